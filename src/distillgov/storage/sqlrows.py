"""Plain SQL helpers shared by the stores: parameters in the driver's own style, and look-ups of
many keys at once (chunked to stay under every driver's parameter limit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CHUNK = 500


def marks(c: Any, n: int) -> str:
    """`?, ?` or `%s, %s`: n parameters in the connection's driver's style."""
    return ", ".join(["?" if c.dialect.paramstyle == "qmark" else "%s"] * n)


def select_in(c: Any, sql: str, keys: Sequence[Any]) -> list[Any]:
    """Rows of `sql`, whose `{}` stands for the list of keys in an `IN (...)`, for every key."""
    rows: list[Any] = []
    for at in range(0, len(keys), CHUNK):
        chunk = tuple(keys[at : at + CHUNK])
        rows += c.exec_driver_sql(sql.format(marks(c, len(chunk))), chunk).all()
    return rows
