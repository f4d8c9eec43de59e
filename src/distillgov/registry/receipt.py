"""A signed receipt for every accepted write, like a Certificate Transparency SCT: the log
promises, under its key, that the entry with this hash is at this index, taken at this time.
A filer keeps it and can hold the log to it offline, with the log's verifier key alone: a later
checkpoint whose tree lacks that entry at that index is the log's broken promise.

A receipt is a signed note (the log's key, the log's name) whose body is five lines:
`distillgov.receipt/v1`, the log's origin, the index, the log time (ISO 8601, UTC) and the
entry's leaf hash (base64). Its first line can never be a checkpoint's: a receipt cannot be
passed off as a tree head.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from distillgov.registry.checkpoint import InvalidCheckpoint, parse_verifier_key, sign, verify

HEADER = "distillgov.receipt/v1"


@dataclass(frozen=True)
class Receipt:
    origin: str
    index: int
    logged_at: str
    leaf: bytes

    def body(self) -> str:
        leaf = base64.b64encode(self.leaf).decode()
        return f"{HEADER}\n{self.origin}\n{self.index}\n{self.logged_at}\n{leaf}\n"

    def signed(self, key: Ed25519PrivateKey) -> str:
        return sign(self.body(), self.origin, key)


def check(note: str, vkey: str) -> Receipt:
    """The receipt, if the log's key signed it; raises InvalidCheckpoint otherwise."""
    name, public = parse_verifier_key(vkey)
    lines = verify(note, name, public).split("\n")
    if len(lines) != 6 or lines[0] != HEADER or lines[1] != name:
        raise InvalidCheckpoint("not a distillgov receipt of this log")
    try:
        leaf = base64.b64decode(lines[4], validate=True)
        index = int(lines[2])
    except ValueError:
        raise InvalidCheckpoint("the receipt's index or hash is malformed") from None
    if len(leaf) != 32 or index < 0:
        raise InvalidCheckpoint("the receipt's index or hash is malformed")
    return Receipt(lines[1], index, lines[3], leaf)
