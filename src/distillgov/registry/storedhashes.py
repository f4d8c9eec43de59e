"""The log's stored hashes in the database: one row per complete subtree, keyed by one integer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text

from distillgov.errors import DistillgovError
from distillgov.registry.merkle import Node

_INDEX_BITS = 48  # room for 2**48 leaves; the level goes in the bits above


def node_id(node: Node) -> int:
    level, index = node
    return level << _INDEX_BITS | index


def fetch(c: Any, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """The stored hashes of `nodes`, in one query; a missing one means tampering."""
    wanted = {node_id(n): n for n in nodes}
    if not wanted:
        return {}
    found: dict[Node, bytes] = {}
    ids = list(wanted)
    for at in range(0, len(ids), 500):  # stay well under any driver's parameter limit
        chunk = ids[at : at + 500]
        params = {f"i{k}": v for k, v in enumerate(chunk)}
        placeholders = ",".join(":" + p for p in params)
        rows = c.execute(
            text(f"SELECT id, hash FROM log_hashes WHERE id IN ({placeholders})"), params
        ).all()
        found.update({wanted[int(i)]: bytes(h) for i, h in rows})
    if len(found) != len(wanted):
        missing = sorted(set(wanted.values()) - set(found))[0]
        raise DistillgovError(
            f"the log's stored hash of subtree {missing} is missing: run `registry verify`"
        )
    return found


def store(c: Any, hashes: list[tuple[Node, bytes]]) -> None:
    if hashes:
        c.execute(
            text("INSERT INTO log_hashes (id, hash) VALUES (:id, :hash)"),
            [{"id": node_id(n), "hash": h} for n, h in hashes],
        )
