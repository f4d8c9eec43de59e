"""An outsider's monitor catching up on a log it has never seen: a SQLite registry of E entries
(an organisation, teacher models, students and their disclosures) under one checkpoint, served
by `distillgov serve --workers 2`; `registry.monitor.follow` fetches every entry bundle over
the tile API, rebuilds the tree from the entries and checks the signed root, reporting the
disclosures that name one teacher.

Target (issue #14): a 1M-entry log caught up in <= 60 s.

Run: .venv/bin/python -m benchmarks.bench_monitor [--entries 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.bench_registry import _payloads
from benchmarks.bench_service import serving
from benchmarks.common import machine, report


def run(entries: int = 1_000_000) -> dict[str, float]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from distillgov.registry.log import TransparencyLog
    from distillgov.registry.monitor import follow
    from distillgov.storage.db import open_database

    with tempfile.TemporaryDirectory(prefix="distillgov-monitor-") as tmp:
        database = f"sqlite:///{Path(tmp) / 'log.sqlite'}"
        engine = open_database(database)
        log = TransparencyLog(engine)
        key = Ed25519PrivateKey.generate()
        vkey = log.initialise("monitor.example/tlog", key)
        for batch in _payloads(entries):
            log.append(batch)
        log.checkpoint(key)
        engine.dispose()
        with serving(database, Path(tmp)) as url:
            base, state = f"{url}/tlog", Path(tmp) / "m.json"
            started = time.perf_counter()
            done = follow(base, vkey, state, {"teacher-5"})
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            again = follow(base, vkey, state, set())
            second = time.perf_counter() - started
    if done.verdict != "ok" or again.verdict != "ok" or done.new_entries != entries:
        raise AssertionError(f"the monitor did not catch up: {done.verdict} {done.detail}")
    return {
        "catch-up from nothing (s)": seconds,
        "entries verified per second": entries / seconds,
        "disclosures naming the teacher found": float(len(done.found)),
        "follow-up with nothing new (s)": second,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    figures = run(args.entries)
    report(
        f"Monitor catch-up over the tile API, {args.entries:,} entries ({machine()})",
        [
            (k, format(v, ",.0f" if "second" in k or "found" in k else ",.2f"))
            for k, v in figures.items()
        ],
    )


if __name__ == "__main__":
    main()
