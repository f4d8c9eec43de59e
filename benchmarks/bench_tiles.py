"""Serving the log's tiles (C2SP tlog-tiles) under load: `distillgov serve --workers 2` on a
fresh SQLite registry of E entries under one checkpoint, C connections fetching full level-0
tiles (8 KB each, immutable: cached in memory after the first read) with wrk for S seconds (the
Python client of bench_service where wrk is not installed).

Target (issue #14): a full tile >= 5,000 requests/s on loopback.

Run: .venv/bin/python -m benchmarks.bench_tiles [--entries 25600] [--clients 64] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from pathlib import Path

from benchmarks.bench_service import _python, _wrk, serving
from benchmarks.common import machine, report


def _seed(database: str, entries: int) -> list[str]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from distillgov.registry.records import Organisation
    from distillgov.registry.registry import Registry
    from distillgov.registry.tiles import Tile
    from distillgov.storage.db import open_database

    engine = open_database(database)
    reg = Registry(engine)
    key = Ed25519PrivateKey.generate()
    reg.log.initialise("tiles.example/tlog", key)
    reg.add_many([Organisation(id=f"org-{i}", name=f"Organisation {i}") for i in range(entries)])
    reg.log.checkpoint(key)
    engine.dispose()
    return [f"/tlog/{Tile(0, n).path()}" for n in range(entries // 256)]


def run(entries: int = 25_600, clients: int = 64, seconds: float = 30) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="distillgov-tiles-") as tmp:
        database = f"sqlite:///{Path(tmp) / 'tiles.sqlite'}"
        paths = _seed(database, entries)
        with serving(database, Path(tmp)) as base:
            load = {"read": clients}
            sides = (
                _wrk(base, load, seconds, [], paths)
                if shutil.which("wrk")
                else asyncio.run(_python(base, load, seconds, [], paths))
            )
            side = sides["read"]
    return {
        "full tiles per second (req/s)": side.ok / side.seconds,
        "p50 (ms)": side.p50_ms,
        "p99 (ms)": side.p99_ms,
        "errors": float(side.errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=25_600)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    figures = run(args.entries, args.clients, args.seconds)
    report(
        f"Tiles served, {args.entries:,} entries, {args.clients} connections for "
        f"{args.seconds:g} s, 2 workers, wrk ({machine()})",
        [
            (k, format(v, ",.0f" if "/s" in k or k == "errors" else ",.1f"))
            for k, v in figures.items()
        ],
    )


if __name__ == "__main__":
    main()
