"""The log's side of C2SP tlog-witness: the witnesses it is configured with, each signed
checkpoint submitted to them with a consistency proof from the size each last cosigned, and the
cosignatures kept, so that the checkpoint the log publishes carries them.

A witness that is down, or refuses, does not stop the log: the result says which cosigned and
why the others did not, and the next submission starts from the size each one holds (a 409
tells it).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx
from sqlalchemy import text

from distillgov.errors import DistillgovError
from distillgov.registry.checkpoint import InvalidCheckpoint
from distillgov.registry.cosign import Witness, cosigned_at
from distillgov.registry.log import TransparencyLog
from distillgov.registry.queries import latest_checkpoint
from distillgov.storage.db import reading


class WitnessError(DistillgovError):
    """A witness could not be added (nothing was written)."""


@dataclass(frozen=True)
class Submitted:
    witness: str
    cosigned: bool
    detail: str


def add_witness(log: TransparencyLog, vkey: str, url: str) -> str:
    try:
        witness = Witness.parse(vkey)
    except InvalidCheckpoint as exc:
        raise WitnessError(f"field 'vkey', value {vkey[:40]!r}: {exc}") from None
    if not url.startswith(("http://", "https://")):
        raise WitnessError(f"field 'url', value {url!r}: the witness's submission URL (http[s])")
    with log.engine.begin() as c:
        if c.execute(
            text("SELECT 1 FROM log_witnesses WHERE name = :n"), {"n": witness.name}
        ).first():
            raise WitnessError(f"field 'vkey': the witness '{witness.name}' is configured already")
        c.execute(
            text("INSERT INTO log_witnesses (name, vkey, url, size) VALUES (:n, :v, :u, 0)"),
            {"n": witness.name, "v": vkey.strip(), "u": url.rstrip("/")},
        )
    return witness.name


def witnesses(log: TransparencyLog) -> list[dict[str, object]]:
    with reading(log.engine) as c:
        rows = c.execute(
            text("SELECT name, vkey, url, size FROM log_witnesses ORDER BY name")
        ).all()
    return [{"name": r[0], "vkey": r[1], "url": r[2], "size": int(r[3])} for r in rows]


def submit(log: TransparencyLog, timeout: float = 10.0) -> list[Submitted]:
    """Submit the latest signed checkpoint to every configured witness."""
    latest = latest_checkpoint(log)  # the log's own note: the witness adds its signature
    if latest is None:
        return []
    size, note = latest
    done = []
    with httpx.Client(timeout=timeout) as http:
        for w in witnesses(log):
            done.append(_submit_one(log, http, w, int(size), note))
    return done


def _submit_one(
    log: TransparencyLog, http: httpx.Client, w: dict[str, object], size: int, note: str
) -> Submitted:
    name, held = str(w["name"]), int(str(w["size"]))
    witness = Witness.parse(str(w["vkey"]))
    for _ in range(2):  # a 409 tells the size the witness holds: once more from there
        if held > size:
            return Submitted(name, False, f"it holds size {held}, larger than ours ({size})")
        proof = log.consistency_proof(held, size)
        body = f"old {held}\n" + "".join(base64.b64encode(p).decode() + "\n" for p in proof)
        try:
            answer = http.post(f"{w['url']}/add-checkpoint", content=f"{body}\n{note}")
        except httpx.HTTPError as exc:
            return Submitted(name, False, f"unreachable: {exc}")
        if answer.status_code == 409 and answer.text.strip().isdigit():
            held = int(answer.text.strip())
            continue
        if answer.status_code != 200:
            return Submitted(name, False, f"{answer.status_code}: {answer.text.strip()[:200]}")
        line = answer.text if answer.text.endswith("\n") else answer.text + "\n"
        try:
            if cosigned_at(note + line, witness) is None:
                return Submitted(name, False, "its answer holds no cosignature by its key")
        except InvalidCheckpoint as exc:
            return Submitted(name, False, str(exc))
        with log.engine.begin() as c:
            c.execute(
                text("DELETE FROM log_cosignatures WHERE size = :s AND witness = :w"),
                {"s": size, "w": name},
            )
            c.execute(
                text("INSERT INTO log_cosignatures (size, witness, line) VALUES (:s, :w, :l)"),
                {"s": size, "w": name, "l": line},
            )
            c.execute(
                text("UPDATE log_witnesses SET size = :s WHERE name = :w"), {"s": size, "w": name}
            )
        return Submitted(name, True, f"cosigned size {size}")
    return Submitted(name, False, "it keeps answering 409")
