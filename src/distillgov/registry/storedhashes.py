"""The log's stored hashes in the database: one row per complete subtree of two or more leaves,
keyed by one integer. A leaf's hash (level 0) is kept once, with its entry in `log_entries`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from distillgov.errors import DistillgovError
from distillgov.registry.merkle import Node
from distillgov.storage.sqlrows import marks, select_in

INDEX_BITS = 48  # room for 2**48 leaves; the level goes in the bits above


def node_id(node: Node) -> int:
    level, index = node
    return level << INDEX_BITS | index


def _select(c: Any, sql: str, keys: list[int]) -> list[tuple[int, bytes]]:
    return [(int(k), bytes(h)) for k, h in select_in(c, sql, keys)]


def fetch(c: Any, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """The stored hashes of `nodes`, in one query per table; a missing one means tampering."""
    wanted = set(nodes)
    leaves = [index for level, index in wanted if level == 0]
    inner = {node_id(n): n for n in wanted if n[0] > 0}
    found: dict[Node, bytes] = {}
    if leaves:
        sql = "SELECT idx, leaf_hash FROM log_entries WHERE idx IN ({})"
        found.update({(0, i): h for i, h in _select(c, sql, leaves)})
    if inner:
        sql = "SELECT id, hash FROM log_hashes WHERE id IN ({})"
        found.update({inner[i]: h for i, h in _select(c, sql, list(inner))})
    if len(found) != len(wanted):
        missing = sorted(wanted - set(found))[0]
        raise DistillgovError(
            f"the log's stored hash of subtree {missing} is missing: run `registry verify`"
        )
    return found


def store(c: Any, hashes: list[tuple[Node, bytes]]) -> None:
    """Keep the new subtrees' hashes (leaves are stored with their entries)."""
    rows = [(node_id(n), h) for n, h in hashes if n[0] > 0]
    if rows:
        c.exec_driver_sql(f"INSERT INTO log_hashes (id, hash) VALUES ({marks(c, 2)})", rows)
