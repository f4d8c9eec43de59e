"""The transparency log stored in a database: append, checkpoint, prove, verify.

Entries are canonical JSON (encoding version 1: sorted keys, no spaces, UTF-8) holding their own
index and the tree root before them, so that verification can name the first bad row whether a
row was edited, deleted or moved. Rows are never updated or deleted by distillgov: an amendment is
a new entry. Checkpoints are C2SP signed notes; the log refuses to sign a checkpoint that is not
consistent with the last one it signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import Engine, text

from distillgov.errors import DistillgovError
from distillgov.registry.checkpoint import (
    Checkpoint,
    parse_verifier_key,
    sign,
    verifier_key,
    verify,
)
from distillgov.registry.merkle import MerkleTree, leaf_hash

ENCODING = 1


class LogError(DistillgovError):
    """The log refused an operation."""


def encode(index: int, prev_root: bytes, kind: str, data: dict[str, Any]) -> str:
    """The canonical, versioned entry body: what the leaf hash commits to."""
    body = {"v": ENCODING, "index": index, "prev_root": prev_root.hex(), "kind": kind, "data": data}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def create_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    path.chmod(0o600)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise LogError(f"{path}: not an Ed25519 private key")
    return key


@dataclass(frozen=True)
class Finding:
    """The first thing wrong with a stored log."""

    entry: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry}" if self.entry is not None else "the log"
        return f"{where}: {self.reason}"


class TransparencyLog:
    def __init__(self, engine: Engine, origin: str | None = None) -> None:
        self.engine = engine
        with engine.connect() as c:
            rows: dict[str, str] = {
                str(name): str(value)
                for name, value in c.execute(text("SELECT name, value FROM log_settings")).all()
            }
        if origin is not None and rows.get("origin", origin) != origin:
            raise LogError(f"this database holds the log '{rows['origin']}', not '{origin}'")
        self.origin = rows.get("origin", origin)
        self.verifier = rows.get("verifier_key")

    # --- setting up ---------------------------------------------------------------------------

    def initialise(self, origin: str, key: Ed25519PrivateKey) -> str:
        """Record the log's name and public key; returns the verifier key to publish."""
        if self.origin is not None and self.verifier is not None:
            raise LogError(f"the log '{self.origin}' is already initialised")
        vkey = verifier_key(origin, key.public_key())
        with self.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO log_settings (name, value) "
                    "VALUES ('origin', :o), ('verifier_key', :v)"
                ),
                {"o": origin, "v": vkey},
            )
        self.origin, self.verifier = origin, vkey
        return vkey

    # --- writing ------------------------------------------------------------------------------

    def _tree(self, c: Any) -> MerkleTree:
        hashes = c.execute(text("SELECT leaf_hash FROM log_entries ORDER BY idx")).scalars().all()
        return MerkleTree([bytes(h) for h in hashes])

    def _tree_from_bodies(self, c: Any) -> MerkleTree:
        """The tree as the stored bodies say it is: what a checkpoint may sign."""
        bodies = c.execute(text("SELECT body FROM log_entries ORDER BY idx")).scalars().all()
        return MerkleTree([leaf_hash(str(b).encode()) for b in bodies])

    def append(self, entries: list[tuple[str, dict[str, Any]]]) -> list[int]:
        """Append entries in one transaction (all or none); returns their indexes."""
        with self.engine.begin() as c:
            return self.append_in(c, entries)

    def append_in(self, c: Any, entries: list[tuple[str, dict[str, Any]]]) -> list[int]:
        """Append inside the caller's transaction, so records and their projections commit
        together with their log entries."""
        if self.origin is None:
            raise LogError("the log is not initialised")
        if c.dialect.name == "postgresql":  # one writer at a time
            c.execute(text("LOCK TABLE log_entries IN EXCLUSIVE MODE"))
        tree = self._tree(c)
        rows, indexes = [], []
        for kind, data in entries:
            index = len(tree)
            body = encode(index, tree.root(), kind, data)
            h = leaf_hash(body.encode())
            tree.append_hash(h)
            rows.append({"idx": index, "kind": kind, "body": body, "leaf_hash": h})
            indexes.append(index)
        if rows:
            c.execute(
                text(
                    "INSERT INTO log_entries (idx, kind, body, leaf_hash) "
                    "VALUES (:idx, :kind, :body, :leaf_hash)"
                ),
                rows,
            )
        return indexes

    def checkpoint(self, key: Ed25519PrivateKey) -> str:
        """Sign the current tree head, after checking it extends the last signed one."""
        if self.origin is None or self.verifier is None:
            raise LogError("the log is not initialised")
        if verifier_key(self.origin, key.public_key()) != self.verifier:
            raise LogError("that key is not this log's key")
        with self.engine.begin() as c:
            tree = self._tree_from_bodies(c)
            last = c.execute(
                text("SELECT size, root FROM log_checkpoints ORDER BY size DESC LIMIT 1")
            ).first()
            if last is not None:
                size, root = int(last[0]), bytes(last[1])
                if size > len(tree) or tree.root(size) != root:
                    raise LogError(
                        f"refusing to sign: the stored entries no longer match the checkpoint at "
                        f"size {size} (run `registry verify`)"
                    )
                if size == len(tree):
                    return str(
                        c.execute(
                            text("SELECT note FROM log_checkpoints WHERE size = :s"), {"s": size}
                        ).scalar_one()
                    )
            note = sign(Checkpoint(self.origin, len(tree), tree.root()).body(), self.origin, key)
            c.execute(
                text("INSERT INTO log_checkpoints (size, root, note) VALUES (:s, :r, :n)"),
                {"s": len(tree), "r": tree.root(), "n": note},
            )
        return note

    # --- reading ------------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(text("SELECT COUNT(*) FROM log_entries")).scalar_one())

    def prove(self, index: int) -> dict[str, Any]:
        """An offline proof bundle: entry, inclusion proof, signed checkpoint and verifier key."""
        with self.engine.connect() as c:
            row = c.execute(
                text("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
            ).first()
            if row is None or int(row[0]) <= index:
                raise LogError(
                    f"no signed checkpoint covers entry {index} yet: run `registry checkpoint`"
                )
            size, note = int(row[0]), str(row[1])
            body = c.execute(
                text("SELECT body FROM log_entries WHERE idx = :i"), {"i": index}
            ).scalar_one_or_none()
            if body is None:
                raise LogError(f"no entry {index}")
            tree = self._tree(c)
        return {
            "version": 1,
            "entry": body,
            "index": index,
            "size": size,
            "proof": [h.hex() for h in tree.inclusion_proof(index, size)],
            "checkpoint": note,
            "verifier_key": self.verifier,
        }

    def verify(self) -> Finding | None:
        """Recompute everything from the stored rows; the first problem found, or None."""
        if self.verifier is None:
            return Finding(None, "the log is not initialised")
        name, public = parse_verifier_key(self.verifier)
        with self.engine.connect() as c:
            rows = c.execute(
                text("SELECT idx, body, leaf_hash FROM log_entries ORDER BY idx")
            ).all()
            checkpoints = c.execute(
                text("SELECT size, root, note FROM log_checkpoints ORDER BY size")
            ).all()
        tree = MerkleTree()
        for position, (idx, body, stored) in enumerate(rows):
            if int(idx) != position:
                return Finding(position, f"missing (the next stored entry is {int(idx)})")
            if leaf_hash(str(body).encode()) != bytes(stored):
                return Finding(position, "its body does not match its stored hash (edited)")
            try:
                decoded = json.loads(body)
                recorded_index, recorded_root = (
                    int(decoded["index"]),
                    bytes.fromhex(decoded["prev_root"]),
                )
            except (ValueError, KeyError, TypeError):
                return Finding(position, "its body is not a valid log entry")
            if recorded_index != position:
                return Finding(position, f"it was written as entry {recorded_index} (moved)")
            if recorded_root != tree.root():
                return Finding(
                    position - 1, "edited: the next entry's recorded tree root no longer matches"
                )
            tree.append_hash(bytes(stored))
        # Every checkpoint's root is recomputed from the one tree of stored rows, so matching roots
        # also prove the checkpoints consistent with each other.
        for size, root, note in checkpoints:
            size, root = int(size), bytes(root)
            try:
                signed = Checkpoint.parse(verify(str(note), name, public))
            except ValueError as exc:
                return Finding(None, f"checkpoint at size {size}: {exc}")
            if (signed.size, signed.root) != (size, root):
                return Finding(
                    None, f"checkpoint at size {size}: the stored row differs from the signed note"
                )
            if size > len(tree):
                return Finding(len(tree), f"missing: the checkpoint at size {size} covers it")
            if tree.root(size) != root:
                return Finding(size - 1, f"edited: the checkpoint at size {size} no longer matches")
        return None
