"""The clearinghouse at scale: settling usage rows (DuckDB) beside a hand-written DuckDB aggregate
of the same rows, usage ingestion, and a distribution to many rights-holders.

Targets (issue #5): settle 100 million usage rows in <= 60 s, at most 1.5x the hand-written
aggregate; distribute to 1 million rights-holders in <= 10 s.

Run: .venv/bin/python -m benchmarks.bench_settlement [--rows N] [--holders M] [--licences L]
    [--repeat R]
The rows are generated with DuckDB straight into Parquet report files (100 licences, 12 months)
and recorded as ingested reports; ingestion itself is measured on a smaller CSV.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine, report

LICENCES = 100
FILES = 20
ON = dt.date(2026, 1, 1)


def _setup(folder: Path, licences: int = LICENCES) -> Any:
    from distillgov.assessment.assess import assess_case
    from distillgov.assessment.casefiles import load_case
    from distillgov.jurisdictions import load_builtin
    from distillgov.licensing.licences import open_licence
    from distillgov.storage.db import connect, migrate

    engine = connect(f"sqlite:///{folder / 'clearinghouse.sqlite'}")
    migrate(engine)
    root = Path(__file__).resolve().parents[1]
    case = load_case(root / "examples/cases/startup-clones-chat-model-via-public-api.yaml")
    profile = load_builtin("global_south")
    determination = assess_case(case, profile, dt.date(2025, 3, 1))
    for i in range(licences):
        open_licence(
            engine, determination, case, profile, dt.date(2025, 3, 1), f"s{i}", f"lic-{i:03d}"
        )
    return engine


def _generate(rows: int, folder: Path, engine: Any, licences: int = LICENCES) -> list[Path]:
    import duckdb
    from sqlalchemy import text

    usage = folder / "usage"
    usage.mkdir()
    per_file = rows // FILES
    files = []
    con = duckdb.connect()
    for f in range(FILES):
        path = usage / f"bench-{f:03d}.parquet"
        con.execute(
            f"""
            COPY (
                SELECT i AS row,
                       'lic-' || lpad(CAST(i % {licences} AS VARCHAR), 3, '0') AS licence,
                       CAST(DATE '2024-06-01' + TO_MONTHS(CAST((i // {licences}) % 12 AS INTEGER))
                            AS DATE) AS period_start,
                       (hash(i) % 1000000)::BIGINT AS units,
                       (hash(i + 7) % 100000)::BIGINT AS revenue_minor,
                       'bench-{f:03d}' AS report
                FROM range({f * per_file}, {(f + 1) * per_file}) t(i)
            ) TO '{path}' (FORMAT parquet)
            """
        )
        files.append(path)
    con.close()
    with engine.begin() as c:
        for f, path in enumerate(files):
            c.execute(
                text(
                    "INSERT INTO lic_reports (id, content_hash, file, rows, received_at) "
                    "VALUES (:i, 'generated', :f, :n, :t)"
                ),
                {
                    "i": f"bench-{f:03d}",
                    "f": path.name,
                    "n": per_file,
                    "t": dt.datetime(2026, 1, 1),
                },
            )
    return files


def settlement_figures(
    rows: int, folder: Path, licences: int = LICENCES, repeat: int = 3
) -> dict[str, float]:
    """Ours and the hand-written aggregate, `repeat` times each, alternating, each settlement on
    a fresh copy of the same database: this VM's speed drifts by a quarter within minutes, so one
    run of each says little about their ratio."""
    import shutil
    import statistics

    import duckdb

    from distillgov.licensing import ledger
    from distillgov.licensing.settlement import settle
    from distillgov.licensing.usage import report_files
    from distillgov.storage.db import connect

    engine = _setup(folder, licences)
    _generate(rows, folder, engine, licences)
    files = report_files(engine, folder)
    engine.dispose()
    database = folder / "clearinghouse.sqlite"
    pristine = folder / "pristine.sqlite"
    shutil.copyfile(database, pristine)
    ours, by_hand = [], []
    for _ in range(repeat):
        shutil.copyfile(pristine, database)
        engine = connect(f"sqlite:///{database}")
        start = time.perf_counter()
        due, posted = settle(engine, files, ON)
        ours.append(time.perf_counter() - start)
        if ledger.check(engine) or posted.changed != len(due):
            raise AssertionError("the settlement did not balance")
        engine.dispose()
        con = duckdb.connect()
        start = time.perf_counter()
        hand = con.execute(
            "SELECT licence, period_start, SUM(units), SUM(revenue_minor) "
            "FROM read_parquet(?) GROUP BY ALL",
            [[str(f) for f in files]],
        ).fetchall()
        by_hand.append(time.perf_counter() - start)
        con.close()
        if {(r[0], r[1]): (int(r[2]), int(r[3])) for r in hand} != {
            (r.licence, dt.date.fromisoformat(r.period + "-01")): (r.units, r.revenue_minor)
            for r in due
        }:
            raise AssertionError("the hand-written aggregate disagrees with the settlement")
    ratios = [a / b for a, b in zip(ours, by_hand, strict=True)]
    return {
        f"settlement, DuckDB, aggregate + tariff + ledger posting, median of {repeat} (s)": (
            statistics.median(ours)
        ),
        f"hand-written DuckDB aggregate of the same rows, median of {repeat} (s)": (
            statistics.median(by_hand)
        ),
        "overhead ratio (median of ours / median of hand-written)": (
            statistics.median(ours) / statistics.median(by_hand)
        ),
        "overhead ratio, lowest run": min(ratios),
        "overhead ratio, highest run": max(ratios),
        "settled usage rows per second (rows/s)": rows / statistics.median(ours),
    }


def ingestion_figures(rows: int, folder: Path) -> dict[str, float]:
    import random

    from distillgov.licensing.usage import ingest

    (folder / "ingest").mkdir()
    engine = _setup(folder / "ingest")
    rng = random.Random(1)
    csv = folder / "report.csv"
    with csv.open("w") as f:
        f.write("licence,period,units,revenue,currency\n")
        for _ in range(rows):
            f.write(
                f"lic-{rng.randrange(LICENCES):03d},2025-{rng.randint(1, 12):02d},"
                f"{rng.randrange(10**7)},{rng.randrange(10**6)}.{rng.randrange(100):02d},USD\n"
            )
    start = time.perf_counter()
    ingest(engine, csv, folder=folder / "ingest")
    return {"usage ingestion, validated CSV (rows/s)": rows / (time.perf_counter() - start)}


def distribution_figures(holders: int, folder: Path) -> dict[str, float]:
    import numpy as np

    from distillgov.licensing import ledger
    from distillgov.licensing.pool import Claim, distribute, pool_accounts, register_claims
    from distillgov.licensing.tariffs import builtin

    (folder / "pool").mkdir()
    engine = _setup(folder / "pool")
    weights = np.random.default_rng(2).integers(1, 10_000, holders)
    claims = [
        Claim(f"claim-{i:07d}", f"holder-{i:07d}", "works", int(w), i % 50 != 0)
        for i, w in enumerate(weights)
    ]
    start = time.perf_counter()
    register_claims(engine, "global_south", claims, ON)
    registering = time.perf_counter() - start
    accounts = pool_accounts("global_south", "USD")
    with engine.begin() as c:
        ledger.ensure_accounts(c, list(accounts.values()))
        ledger.post(
            c,
            [
                ledger.Transfer(
                    "fund",
                    "licensee:cheap-chat-inc:USD",
                    accounts["collected"].id,  # cash collected for the pool
                    10**11,
                    "USD",
                    "",
                    ON,
                )
            ],
        )
    rules = builtin("global_south").as_of(ON).pool
    start = time.perf_counter()
    run = distribute(engine, "global_south", "USD", rules, ON)
    distributing = time.perf_counter() - start
    if run.admin + run.paid + run.carried + run.held != run.amount:
        raise AssertionError("the distribution does not add up")
    return {
        f"register {holders:,} claims (s)": registering,
        f"distribute to {holders:,} rights-holders (s)": distributing,
    }


def run(
    rows: int = 100_000_000, holders: int = 1_000_000, licences: int = LICENCES, repeat: int = 3
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="distillgov-bench-") as tmp:
        folder = Path(tmp)
        return {
            **settlement_figures(rows, folder, licences, repeat),
            **ingestion_figures(min(rows, 1_000_000), folder),
            **distribution_figures(holders, folder),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--holders", type=int, default=1_000_000)
    parser.add_argument(
        "--licences", type=int, default=LICENCES, help="Licences (each over 12 months)."
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="Settlements timed (medians reported)."
    )
    args = parser.parse_args()
    figures = run(args.rows, args.holders, args.licences, args.repeat)
    report(
        f"Clearinghouse, {args.rows:,} usage rows over {args.licences * 12:,} licence-months, "
        f"{args.holders:,} rights-holders ({machine()})",
        [(k, format(v, ",.0f" if "/s" in k else ",.3f")) for k, v in figures.items()],
    )


if __name__ == "__main__":
    main()
