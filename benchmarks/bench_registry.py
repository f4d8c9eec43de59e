"""The registry's log and lineage at scale, side by side with pymerkle on the same entries.

Targets (issue #4): our append, durably committed in batches, at least pymerkle's in-memory rate;
an inclusion proof in <= 1 ms at 1M and 10M entries; full verification of 1M entries in <= 5 s;
ancestors to depth 10 in a 1M-model graph in <= 10 ms on SQLite and on PostgreSQL.

Run: .venv/bin/python -m benchmarks.bench_registry [--entries N] [--models M]
The PostgreSQL half uses $DISTILLGOV_TEST_PG_URL (default the machine's server, database `test`)
in a schema of its own, dropped afterwards; it is left out, with a note, if the server is down.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import machine, report

PG_URL = os.environ.get(
    "DISTILLGOV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BATCH = 10_000


def _median_ms(fn: Callable[[int], object], picks: list[int]) -> float:
    times = []
    for i in picks:
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


TEACHERS = 97


def _entry(i: int) -> tuple[str, dict[str, Any]]:
    """Entry i of a registry as it grows: an organisation, its teacher models, then students,
    each followed by its disclosure."""
    if i == 0:
        return "organisation", {"id": "lab", "name": "A Lab"}
    if i <= TEACHERS:
        return "model", {"id": f"teacher-{i}", "name": f"Teacher {i}", "owner": "lab"}
    j, disclosure = divmod(i - TEACHERS - 1, 2)
    if not disclosure:
        return "model", {"id": f"student-{j}", "name": f"Student {j}", "owner": "lab"}
    return "disclosure", {
        "id": f"d-{j}",
        "student": f"student-{j}",
        "teachers": [{"model": f"teacher-{j % TEACHERS + 1}", "signal": "logits"}],
        "method_summary": "Logit distillation.",
        "data_sources_summary": "Teacher outputs.",
        "filed_on": "2026-01-01",
    }


def _payloads(n: int) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    for start in range(0, n, BATCH):
        yield [_entry(i) for i in range(start, min(n, start + BATCH))]


def _project_all(engine: Any) -> None:
    """The registry's tables filled from the log in bulk (one statement a table), by the same
    projection `registry rebuild` uses."""
    from sqlalchemy import text

    from distillgov.registry import projection

    with engine.begin() as c:
        bodies = [(int(i), str(b)) for i, b in c.execute(text("SELECT idx, body FROM log_entries"))]
        rows, problems = projection.expected(bodies)
        assert not problems, problems[:3]
        projection.insert(c, {table: [r for r, _ in found] for table, found in rows.items()})


def log_figures(entries: int, folder: Path) -> dict[str, float]:
    import pymerkle
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import text

    from distillgov.registry.checkpoint import Checkpoint, parse_verifier_key, verify
    from distillgov.registry.log import TransparencyLog
    from distillgov.storage.db import connect, migrate

    engine = connect(f"sqlite:///{folder / 'log.sqlite'}")
    migrate(engine)
    log = TransparencyLog(engine)
    key = Ed25519PrivateKey.generate()
    log.initialise("bench.example/log", key)
    memory = pymerkle.InmemoryTree()
    disk = pymerkle.SqliteTree(str(folder / "pymerkle.sqlite"))
    # The three take turns batch by batch, so a slow patch on a shared VM hits all of them.
    spent = {"ours": 0.0, "memory": 0.0, "disk": 0.0}
    done = 0
    for batch in _payloads(entries):
        start = time.perf_counter()
        log.append(batch)  # one committed transaction per batch
        spent["ours"] += time.perf_counter() - start
        with engine.connect() as c:
            bodies = [
                str(b).encode()
                for b in c.execute(
                    text("SELECT body FROM log_entries WHERE idx >= :d ORDER BY idx"), {"d": done}
                ).scalars()
            ]
        done += len(bodies)
        start = time.perf_counter()
        for b in bodies:
            memory.append_entry(b)
        spent["memory"] += time.perf_counter() - start
        start = time.perf_counter()
        disk.append_entries(bodies)
        spent["disk"] += time.perf_counter() - start

    start = time.perf_counter()
    note = log.checkpoint(key)
    checkpoint_s = time.perf_counter() - start
    head = Checkpoint.parse(verify(note, *parse_verifier_key(str(log.verifier))))
    # The same entries hashed the same way (RFC 9162) must give the same root.
    if memory.get_root() != head.root or disk.get_root() != head.root:
        raise AssertionError("pymerkle and distillgov disagree on the tree root")

    picks = random.Random(7).sample(range(entries), min(200, entries))
    figures = {
        "append, ours, SQLite, committed per 10k (entries/s)": entries / spent["ours"],
        "append, pymerkle in memory (entries/s)": entries / spent["memory"],
        "append, pymerkle SQLite, per 10k (entries/s)": entries / spent["disk"],
        "checkpoint after all appends (s)": checkpoint_s,
        "inclusion proof bundle, ours, SQLite, median (ms)": _median_ms(log.prove, picks),
        "inclusion proof, pymerkle in memory, median (ms)": _median_ms(
            lambda i: memory.prove_inclusion(i + 1), picks
        ),
        "inclusion proof, pymerkle SQLite, median (ms)": _median_ms(
            lambda i: disk.prove_inclusion(i + 1), picks[:20]
        ),
    }
    start = time.perf_counter()
    finding = log.verify()
    figures["full verification, ours (s)"] = time.perf_counter() - start
    if finding is not None:
        raise AssertionError(f"verification failed: {finding}")
    _project_all(engine)
    from distillgov.registry.registry import Registry

    start = time.perf_counter()
    registry = Registry(engine)
    bodies: list[bytes] = []
    if registry.log.verify(bodies) is not None or registry.verify_projections(bodies):
        raise AssertionError("the registry's tables do not match its log")
    figures["full verification with every projected row, ours (s)"] = time.perf_counter() - start
    # As a user runs it: `registry verify` in a process of its own, start-up included.
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "distillgov", "registry", "verify", "--database", str(engine.url)],
        check=True,
        capture_output=True,
    )
    figures["`registry verify`, whole command (s)"] = time.perf_counter() - start
    disk.close()
    engine.dispose()
    return figures


def _graph(models: int) -> Iterator[tuple[int, list[int]]]:
    """Model i learnt from 1 (80 %), 2 (15 %) or 3 (5 %) of the 50 models registered before it,
    so lineages run hundreds of steps deep."""
    rng = random.Random(11)
    for i in range(1, models):
        k = 1 if rng.random() < 0.8 else 2 if rng.random() < 0.75 else 3
        yield i, rng.sample(range(max(0, i - 50), i), min(k, i))


def _fill_graph(engine: Any, models: int) -> None:
    from sqlalchemy import text

    org = [("lab", "A Lab", 0)]
    model_rows = [(f"m{i}", f"m{i}", "lab", 0) for i in range(models)]
    disclosure_rows, edge_rows = [], []
    for i, teachers in _graph(models):
        disclosure_rows.append((f"d{i}", f"m{i}", "2026-01-01", False, 0))
        edge_rows += [(f"d{i}", f"m{i}", f"m{t}", "logits") for t in teachers]
    tables = [
        ("reg_organisations", "id, name, entry", org),
        ("reg_models", "id, name, owner, entry", model_rows),
        ("reg_disclosures", "id, student, filed_on, late, entry", disclosure_rows),
        ("reg_edges", "disclosure, student, teacher, signal", edge_rows),
    ]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, rows in tables:
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ",".join("?" * len(rows[0]))
                cursor.execute("BEGIN")
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
                cursor.execute("COMMIT")
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("ANALYZE"))


def lineage_figures(models: int, folder: Path) -> dict[str, float]:
    from sqlalchemy import create_engine, text

    from distillgov.registry.registry import Registry
    from distillgov.storage.db import connect, migrate

    picks = random.Random(5).sample(range(models // 2, models), min(100, models // 2))
    figures: dict[str, float] = {}

    def measure(label: str, engine: Any) -> None:
        migrate(engine)
        start = time.perf_counter()
        _fill_graph(engine, models)
        figures[f"lineage graph load, {label} (s)"] = time.perf_counter() - start
        reg = Registry(engine)
        deepest = max(r["depth"] for r in reg.lineage(f"m{picks[0]}", "ancestors", 10))
        if deepest != 10:
            raise AssertionError(f"expected lineage 10 deep, got {deepest}")
        figures[f"ancestors to depth 10, {label}, median (ms)"] = _median_ms(
            lambda i: reg.lineage(f"m{i}", "ancestors", 10), picks
        )
        figures[f"ancestors to depth 10 with base links, {label}, median (ms)"] = _median_ms(
            lambda i: reg.lineage(f"m{i}", "ancestors", 10, bases=True), picks
        )
        engine.dispose()

    measure("SQLite", connect(f"sqlite:///{folder / 'graph.sqlite'}"))
    try:
        admin = create_engine(PG_URL)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the server is down: say so, keep the SQLite figures
        print(f"  (PostgreSQL left out: {str(exc).splitlines()[0]})")
        return figures
    try:
        measure("PostgreSQL", connect(PG_URL, connect_args={"options": f"-csearch_path={schema}"}))
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return figures


def run(entries: int = 1_000_000, models: int = 1_000_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="distillgov-bench-") as tmp:
        return {**log_figures(entries, Path(tmp)), **lineage_figures(models, Path(tmp))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=1_000_000)
    args = parser.parse_args()
    figures = run(args.entries, args.models)
    report(
        f"Registry, {args.entries:,} log entries, {args.models:,}-model graph ({machine()})",
        [(k, format(v, ",.0f" if "/s" in k else ",.3f")) for k, v in figures.items()],
    )


if __name__ == "__main__":
    main()
