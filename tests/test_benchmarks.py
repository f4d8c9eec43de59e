"""The benchmarks run, at a small size, so they cannot rot. Figures are asserted only to exist:
speed targets live in the benchmarks and docs/performance.md, not in tests."""

from __future__ import annotations

import pytest
from benchmarks import (
    bench_batch,
    bench_catalogue,
    bench_lab,
    bench_registry,
    bench_settlement,
    bench_single,
    bench_startup,
)


def test_single_case_benchmark_runs() -> None:
    figures = bench_single.run(cases=200)
    assert len(figures) == 4 and all(v > 0 for v in figures.values())


def test_batch_benchmark_runs() -> None:
    figures = bench_batch.run(rows=3_000)
    assert set(figures) >= {
        "evaluator, all facts known (cases/s)",
        "CSV file to CSV file (cases/s)",
    }
    assert all(v > 0 for v in figures.values())


def test_startup_benchmark_runs() -> None:
    figures = bench_startup.run(runs=1)
    assert all(v > 0 for v in figures.values())


def test_catalogue_benchmark_runs() -> None:
    figures = bench_catalogue.run(copies=1, repeat=2)
    assert figures["teachers (count)"] >= 2 * 22  # the shipped catalogue and one renamed copy
    assert all(v > 0 for v in figures.values())


def test_lab_benchmark_runs() -> None:
    figures = bench_lab.run(draws=200)
    assert all(v > 0 for v in figures.values())


def test_registry_benchmark_runs() -> None:
    figures = bench_registry.run(entries=3_000, models=1_000)
    assert figures["full verification, ours (s)"] > 0
    assert all(v > 0 for v in figures.values())


def test_settlement_benchmark_runs() -> None:
    figures = bench_settlement.run(rows=20_000, holders=2_000, repeat=2)
    ratio = figures["overhead ratio (median of ours / median of hand-written)"]
    assert figures["overhead ratio, lowest run"] <= ratio <= figures["overhead ratio, highest run"]
    assert all(v > 0 for v in figures.values())


def test_service_load_benchmark_runs() -> None:
    from benchmarks import bench_service

    figures = bench_service.run(clients=4, seconds=1.5, mix="both", unique=True, generator="python")
    assert figures["errors"] == 0 and figures["assessments per second (req/s)"] > 0
    assert figures["registry reads per second (req/s)"] > 0


def test_service_load_benchmark_runs_on_postgresql() -> None:
    from benchmarks import bench_service

    from tests.registry.conftest import PG_URL, require_postgres

    require_postgres()
    figures = bench_service.run(
        clients=4, seconds=1.5, mix="assess", generator="python", database=PG_URL
    )
    assert figures["errors"] == 0 and figures["assessments per second (req/s)"] > 0


def test_append_serialisation_benchmark_runs_and_keeps_the_log_linear() -> None:
    from benchmarks import bench_appends

    from tests.registry.conftest import PG_URL, require_postgres

    require_postgres()
    figures = bench_appends.run(processes=2, entries=15, database=PG_URL)  # each run verified
    assert all(figures[f"{s}: appends per second"] > 0 for s in bench_appends.STRATEGIES)


def test_tile_serving_benchmark_runs() -> None:
    import shutil

    from benchmarks import bench_tiles

    if shutil.which("wrk") is None:
        pytest.skip(
            "wrk is not installed (Debian: apt-get install wrk): the tile benchmark needs it"
        )
    figures = bench_tiles.run(entries=512, clients=4, seconds=1)
    assert figures["errors"] == 0 and figures["full tiles per second (req/s)"] > 0


def test_monitor_benchmark_runs() -> None:
    from benchmarks import bench_monitor

    figures = bench_monitor.run(entries=1_500)
    assert figures["entries verified per second"] > 0
    assert figures["disclosures naming the teacher found"] > 0


def test_consent_benchmark_runs() -> None:
    from benchmarks import bench_consent

    figures = bench_consent.run(items=2_000, workers=2, reservations=100)
    assert figures["items per second"] > 0 and figures["peak memory, parent + workers (MB)"] > 0
