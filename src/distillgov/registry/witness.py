"""A witness, as C2SP tlog-witness defines one: it keeps, for each log it trusts, the latest
checkpoint it cosigned, and cosigns a new one only with a proof that it extends that one. Its
state is its own SQLite file, never the log's database: a witness is someone else.

`add_checkpoint` answers the protocol's POST <prefix>/add-checkpoint: 404 for an unknown log,
403 for a missing or failing log signature, 400 for an old size above the new, 409 (with the
size it holds, as text/x.tlog.size) for an old size that is not the one it holds, 422 for a proof
that fails or a same-size checkpoint with another root, else 200 and a cosignature line. The
check and the update are one SQLite write transaction, so two submissions cannot roll it back.
A failing submission from a known log is kept as evidence.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from distillgov.registry.checkpoint import Checkpoint, InvalidCheckpoint, parse_verifier_key, verify
from distillgov.registry.cosign import cosign
from distillgov.registry.merkle import EMPTY_ROOT, InvalidProof, verify_consistency

SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class WitnessState:
    """The witness's own record: per origin, the latest cosigned checkpoint; and evidence."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._open() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS cosigned (origin TEXT PRIMARY KEY, size INTEGER "
                "NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL, cosignature TEXT NOT NULL)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS evidence (received REAL NOT NULL, origin TEXT NOT "
                "NULL, reason TEXT NOT NULL, request TEXT NOT NULL)"
            )

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        return db

    def latest(self, origin: str) -> tuple[int, bytes, str, str] | None:
        with self._open() as db:
            row = db.execute(
                "SELECT size, root, note, cosignature FROM cosigned WHERE origin = ?", (origin,)
            ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]), str(row[2]), str(row[3]))

    def evidence(self) -> list[tuple[str, str]]:
        with self._open() as db:
            return [(str(o), str(r)) for o, r in db.execute("SELECT origin, reason FROM evidence")]


class WitnessService:
    def __init__(
        self, name: str, key: Ed25519PrivateKey, logs: list[str], state: WitnessState
    ) -> None:
        self.name, self.key, self.state = name, key, state
        self.logs = {}
        for vkey in logs:
            origin, public = parse_verifier_key(vkey)
            self.logs[origin] = public

    def add_checkpoint(self, request: str) -> Answer:
        head, sep, note = request.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines[0].startswith("old "):
            return Answer(400, "the body is 'old N', proof lines, a blank line, a checkpoint\n")
        try:
            old = _decimal(lines[0].removeprefix("old "))
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except ValueError:
            return Answer(400, "malformed old size or proof line\n")
        if len(proof) > 63 or any(len(p) != 32 for p in proof):
            return Answer(400, "at most 63 proof lines, each a SHA-256 hash\n")
        origin = note.split("\n", 1)[0]
        public = self.logs.get(origin)
        if public is None:
            return Answer(404, f"this witness does not know the log '{origin}'\n")
        try:
            checkpoint = Checkpoint.parse(verify(note, origin, public))
        except InvalidCheckpoint as exc:
            return Answer(403, f"{exc}\n")
        if old > checkpoint.size:
            return Answer(400, "the old size is larger than the checkpoint's\n")
        return self._compare_and_cosign(old, proof, checkpoint, note, request)

    def _compare_and_cosign(
        self, old: int, proof: list[bytes], checkpoint: Checkpoint, note: str, request: str
    ) -> Answer:
        db = self.state._open()
        try:
            db.execute("BEGIN IMMEDIATE")  # the check and the update, as one
            row = db.execute(
                "SELECT size, root FROM cosigned WHERE origin = ?", (checkpoint.origin,)
            ).fetchone()
            held, held_root = (0, EMPTY_ROOT) if row is None else (int(row[0]), bytes(row[1]))
            if old != held:
                db.execute("ROLLBACK")
                return Answer(409, f"{held}\n", SIZE_TYPE)
            problem = _inconsistent(old, proof, held_root, checkpoint)
            if problem is not None:
                db.execute(
                    "INSERT INTO evidence VALUES (?, ?, ?, ?)",
                    (time.time(), checkpoint.origin, problem, request),
                )
                db.execute("COMMIT")
                return Answer(422, f"{problem}\n")
            line = cosign(checkpoint.body(), self.name, self.key, int(time.time()))
            db.execute(
                "INSERT INTO cosigned VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                "size = excluded.size, root = excluded.root, note = excluded.note, "
                "cosignature = excluded.cosignature",
                (checkpoint.origin, checkpoint.size, checkpoint.root, note, line),
            )
            db.execute("COMMIT")  # kept before it is answered
            return Answer(200, line)
        finally:
            db.close()

    def monitoring(self, origin_hash: str) -> Answer:
        """GET <prefix>/<hex SHA-256 of the origin>/checkpoint: the latest cosigned checkpoint
        with the log's signature and the witness's."""
        for origin in self.logs:
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                found = self.state.latest(origin)
                if found is not None:
                    return Answer(200, found[2] + found[3])
        return Answer(404, "no cosigned checkpoint for that log\n")


def _decimal(text: str) -> int:
    if not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise ValueError(text)
    return int(text)


def _inconsistent(
    old: int, proof: list[bytes], held_root: bytes, checkpoint: Checkpoint
) -> str | None:
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        return "a checkpoint of size 0 must have the empty tree's root"
    if old == 0:
        return "a proof from size 0 must be empty" if proof else None
    if old == checkpoint.size:
        if proof or checkpoint.root != held_root:
            return f"a checkpoint of size {old} with another root than the one cosigned (a fork)"
        return None
    try:
        verify_consistency(old, checkpoint.size, proof, held_root, checkpoint.root)
    except InvalidProof as exc:
        return f"not consistent with the cosigned tree of size {old}: {exc} (a fork)"
    return None


class WitnessApp:
    """The witness over HTTP (plain ASGI): POST /add-checkpoint, GET /<origin hash>/checkpoint."""

    def __init__(self, service: WitnessService) -> None:
        self.service = service

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if method == "POST" and path == "/add-checkpoint":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if len(body) > 64 * 1024:
                    answer = Answer(400, "the request is too large\n")
                    break
                if not message.get("more_body"):
                    answer = self.service.add_checkpoint(body.decode("utf-8", "replace"))
                    break
        elif method == "GET" and path.endswith("/checkpoint") and path.count("/") == 2:
            answer = self.service.monitoring(path.split("/")[1])
        else:
            answer = Answer(404, "POST /add-checkpoint, or GET /<origin hash>/checkpoint\n")
        payload = answer.body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-type", answer.content_type.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
