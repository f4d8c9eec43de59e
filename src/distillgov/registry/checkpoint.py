"""Signed checkpoints in the C2SP formats: tlog-checkpoint bodies in signed notes (Ed25519).

A checkpoint body is the log's origin, its size in decimal and its root in base64, one per line.
A signed note is the body, a blank line, and `— <key name> base64(key ID || signature)` lines;
the key ID is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key). Anyone
with the verifier key (`<name>+<hex key ID>+base64(0x01 || public key)`) can check a checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
DASH = "\u2014"


class InvalidCheckpoint(ValueError):
    """A checkpoint or note is malformed or its signature does not verify."""


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public: Ed25519PublicKey, kind: bytes = ED25519) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4]; the type byte is 0x01 for a note
    signature, 0x04 for a witness's cosignature."""
    return hashlib.sha256(name.encode() + b"\n" + kind + _raw(public)).digest()[:4]


def verifier_key(name: str, public: Ed25519PublicKey, kind: bytes = ED25519) -> str:
    """The text an outsider needs to verify this key's signatures (a vkey)."""
    raw = base64.b64encode(kind + _raw(public)).decode()
    return f"{name}+{key_id(name, public, kind).hex()}+{raw}"


def parse_verifier_key(text: str, kind: bytes = ED25519) -> tuple[str, Ed25519PublicKey]:
    try:
        name, hex_id, b64 = text.strip().split("+", 2)  # names cannot hold "+"; base64 can
        raw = base64.b64decode(b64, validate=True)
        if raw[:1] != kind or len(raw) != 33:
            raise ValueError(f"not an Ed25519 key of type 0x{kind.hex()}")
        public = Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError as exc:
        raise InvalidCheckpoint(f"not a verifier key: {exc}") from None
    if key_id(name, public, kind).hex() != hex_id:
        raise InvalidCheckpoint("the verifier key's ID does not match its name and key")
    return name, public


def signatures_by(note: str, name: str, wanted_id: bytes) -> tuple[str, list[bytes]]:
    """A signed note's text, and the payloads (after the key ID) of its signature lines by this
    key name and key ID; other lines are ignored, as signed-note requires."""
    text, sep, lines = note.rpartition("\n\n")
    if not sep:
        raise InvalidCheckpoint("a signed note has a blank line before its signatures")
    found = []
    for line in lines.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or parts[1] != name:
            continue
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError:
            continue
        if raw[:4] == wanted_id:
            found.append(raw[4:])
    return text + "\n", found


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise InvalidCheckpoint("a checkpoint body is origin, size and root, one per line")
        try:
            size = int(lines[1])
            root = base64.b64decode(lines[2], validate=True)
        except ValueError:
            raise InvalidCheckpoint("the checkpoint's size or root is malformed") from None
        if size < 0 or str(size) != lines[1] or len(root) != 32:
            raise InvalidCheckpoint("the checkpoint's size or root is malformed")
        return cls(lines[0], size, root)


def sign(body: str, name: str, key: Ed25519PrivateKey) -> str:
    """A signed note: the body, a blank line, one signature line."""
    if not body.endswith("\n"):
        raise InvalidCheckpoint("a note's text ends with a newline")
    signature = key_id(name, key.public_key()) + key.sign(body.encode())
    return f"{body}\n{DASH} {name} {base64.b64encode(signature).decode()}\n"


def verify(note: str, name: str, public: Ed25519PublicKey) -> str:
    """The note's text, if a signature by this key verifies; raises InvalidCheckpoint otherwise."""
    text, found = signatures_by(note, name, key_id(name, public))
    for signature in found[:1]:
        try:
            public.verify(signature, text.encode())
        except InvalidSignature:
            raise InvalidCheckpoint(f"the signature by {name} does not verify") from None
        return text
    raise InvalidCheckpoint(f"no signature by {name} on the note")
