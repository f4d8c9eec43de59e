"""Witness cosignatures in the C2SP tlog-cosignature format, Ed25519 version (`cosignature/v1`).

A cosignature is one more signature line on a checkpoint: `— <witness name> base64(key ID ||
timestamp || signature)`, the key ID being SHA-256(name || 0x0A || 0x04 || public key)[:4], the
timestamp a big-endian 64-bit POSIX time, and the signature Ed25519 over `cosignature/v1\\n`,
`time <timestamp>\\n` and the checkpoint's body. It says: as of that time, this is the largest
tree the witness has seen for the log, consistent with every one before. (The spec recommends
ML-DSA-44 for new deployments; our cryptography library does not offer it, and Ed25519 is what
every witness in service accepts today.)
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from distillgov.registry import checkpoint
from distillgov.registry.checkpoint import DASH, InvalidCheckpoint

COSIGNATURE = b"\x04"


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    return checkpoint.key_id(name, public, COSIGNATURE)


def witness_key(name: str, public: Ed25519PublicKey) -> str:
    """The vkey a client pins to check this witness's cosignatures."""
    return checkpoint.verifier_key(name, public, COSIGNATURE)


@dataclass(frozen=True)
class Witness:
    name: str
    public: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> Witness:
        try:
            name, public = checkpoint.parse_verifier_key(vkey, COSIGNATURE)
        except InvalidCheckpoint as exc:
            raise InvalidCheckpoint(str(exc).replace("verifier key", "witness key")) from None
        return cls(name, public)


def message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """One cosignature line (with its newline) over a checkpoint's body."""
    if not 0 < timestamp < 2**63:
        raise InvalidCheckpoint("a cosignature's time is a positive POSIX time")
    signature = key.sign(message(body, timestamp))
    raw = key_id(name, key.public_key()) + timestamp.to_bytes(8, "big") + signature
    return f"{DASH} {name} {base64.b64encode(raw).decode()}\n"


def cosigned_at(note: str, witness: Witness) -> int | None:
    """The time of this witness's cosignature on the note, if it has one that verifies; a line
    with its name and key ID whose signature fails makes the note invalid."""
    body, found = checkpoint.signatures_by(note, witness.name, key_id(witness.name, witness.public))
    for raw in found:
        if len(raw) != 8 + 64:
            continue
        timestamp = int.from_bytes(raw[:8], "big")
        try:
            witness.public.verify(raw[8:], message(body, timestamp))
        except InvalidSignature:
            raise InvalidCheckpoint(f"the cosignature by {witness.name} does not verify") from None
        return timestamp
    return None


def quorum(note: str, witnesses: list[Witness], needed: int) -> list[str]:
    """The witnesses whose cosignatures on the note verify; raises unless at least `needed`."""
    found = [w.name for w in witnesses if cosigned_at(note, w) is not None]
    if len(found) < needed:
        raise InvalidCheckpoint(
            f"{len(found)} of the {len(witnesses)} witnesses trusted cosigned this checkpoint "
            f"({', '.join(found) or 'none'}); {needed} are required"
        )
    return found
