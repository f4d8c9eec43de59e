"""The log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the checkpoint, hash tiles and
entry bundles, each a static resource a CDN can hold.

A tile at level L, index N holds the hashes of the 256 complete subtrees of 256**L entries that
start at entry N * 256**(L+1); in the log's own terms they are the stored nodes at binary level
8L, indexes N*256 to N*256+255 — so a tile is one range read of stored hashes. A partial tile
(`.p/W`) holds the first W. An entry bundle holds the entries' bodies, each after its length as
a big-endian 16-bit number. Full tiles and bundles never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import DistillgovError, NotFound
from distillgov.registry import storedhashes
from distillgov.storage.db import reading

WIDTH = 256
HEIGHT = 8  # binary levels per tile level
MAX_ENTRY = 0xFFFF  # an entry bundle gives each entry's length in 16 bits


class UnknownTile(NotFound):
    """No such tile or bundle: its path is malformed, or the log does not hold it yet."""


@dataclass(frozen=True)
class Tile:
    level: int  # tile level; -1 for an entry bundle
    index: int
    width: int = WIDTH

    @property
    def partial(self) -> bool:
        return self.width < WIDTH

    def path(self) -> str:
        where = "entries" if self.level < 0 else str(self.level)
        tail = f".p/{self.width}" if self.partial else ""
        return f"tile/{where}/{encode_index(self.index)}{tail}"


def encode_index(n: int) -> str:
    """1234067 -> x001/x234/067: three-digit groups, all but the last after an x."""
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


_PATH = re.compile(
    r"^tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?$"
)


def parse(path: str) -> Tile:
    """A tile's path (after the prefix), checked as the spec writes it."""
    found = _PATH.match(path)
    if found is None:
        raise UnknownTile(f"'{path}' is not a tile path (tile/<L>/<N>[.p/<W>])")
    level_text, index_text, width_text = found.groups()
    level = -1 if level_text == "entries" else int(level_text)
    if level > 63:
        raise UnknownTile(f"'{path}': the level is 0 to 63")
    width = int(width_text) if width_text else WIDTH
    if width_text and width >= WIDTH:
        raise UnknownTile(f"'{path}': a partial tile is 1 to 255 wide")
    index = int(index_text.replace("x", "").replace("/", ""))
    tile = Tile(level, index, width)
    if tile.path() != path:  # e.g. leading zeros in a group that should not be there
        raise UnknownTile(f"'{path}' is not the canonical path of a tile")
    return tile


def covered(tile: Tile, size: int) -> bool:
    """Does a tree of `size` entries hold this tile (a full one, or a partial one of exactly
    this width at this size or any larger)?"""
    level = max(tile.level, 0)
    span = WIDTH**level  # entries per hash
    end: int = (tile.index * WIDTH + tile.width) * span
    return end <= size


def tiles_for(size: int) -> list[Tile]:
    """Every tile and bundle of a tree of `size` entries: full ones, and the partial ones this
    size needs."""
    found: list[Tile] = []
    level = 0
    while WIDTH**level <= size:
        hashes = size // WIDTH**level  # complete subtrees at this level
        full, rest = divmod(hashes, WIDTH)
        found += [Tile(level, n) for n in range(full)]
        if rest:
            found.append(Tile(level, full, rest))
        if level == 0:
            found += [Tile(-1, n) for n in range(full)]
            if rest:
                found.append(Tile(-1, full, rest))
        level += 1
    return found


def read(c: Any, tile: Tile, size: int) -> bytes:
    """The tile's bytes, from the stored hashes (or entry bodies), as of a tree of `size`."""
    if not covered(tile, size):
        raise UnknownTile(f"the log of {size} entries holds no {tile.path()}")
    start = tile.index * WIDTH
    if tile.level < 0:
        cursor = c.connection.dbapi_connection.cursor()
        try:
            cursor.execute(
                f"SELECT body FROM log_entries WHERE idx >= {start} AND idx < "
                f"{start + tile.width} ORDER BY idx"
            )
            bodies = [str(r[0]).encode() for r in cursor.fetchall()]
        finally:
            cursor.close()
        return b"".join(len(b).to_bytes(2, "big") + b for b in bodies)
    if tile.level == 0:
        rows = c.execute(
            text("SELECT leaf_hash FROM log_entries WHERE idx >= :a AND idx < :b ORDER BY idx"),
            {"a": start, "b": start + tile.width},
        ).scalars()
    else:
        first = storedhashes.node_id((tile.level * HEIGHT, start))
        rows = c.execute(
            text("SELECT hash FROM log_hashes WHERE id >= :a AND id < :b ORDER BY id"),
            {"a": first, "b": first + tile.width},
        ).scalars()
    hashes = [bytes(h) for h in rows]
    if len(hashes) != tile.width:
        raise DistillgovError(
            f"the log's stored hashes for {tile.path()} are incomplete: run `registry verify`"
        )
    return b"".join(hashes)


def fetch(engine: Engine, tile: Tile, size: int) -> bytes:
    with reading(engine) as c:
        return read(c, tile, size)


def export(c: Any, size: int, checkpoint: str, folder: Path) -> int:
    """Write the checkpoint and every tile of a tree of `size` entries under `folder`, as a
    static host would serve them; the number of files written (tiles already there and full
    are kept: they never change)."""
    written = 0
    for tile in tiles_for(size):
        target = folder / tile.path()
        if target.exists() and not tile.partial:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".tmp")
        partial.write_bytes(read(c, tile, size))
        partial.replace(target)
        written += 1
    (folder / "checkpoint.tmp").write_text(checkpoint, encoding="utf-8")
    (folder / "checkpoint.tmp").replace(folder / "checkpoint")
    return written + 1
