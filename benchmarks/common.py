"""Shared helpers for the benchmarks: timing, the case mix, and printing a table."""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_BATCH = ROOT / "examples" / "batch" / "example-cases.csv"
# The examples whose outcome depends on a missing fact (they cost the missing-fact analysis).
UNDETERMINED = ("startup-unsure-how-outputs-were-collected", "s1-32b-2025")


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Seconds of the fastest of `repeat` runs: the least disturbed by other load on the VM."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def case_mix(rows: int, undetermined: bool) -> pl.DataFrame:
    """The example cases resampled to `rows` rows (seeded); optionally without the cases whose
    outcome depends on a missing fact, which cost the extra missing-fact analysis."""
    from distillgov.assessment.batch import read_frame

    base = read_frame(EXAMPLE_BATCH)
    if not undetermined:
        base = base.filter(~pl.col("id").is_in(UNDETERMINED))
    sample = base.sample(rows, with_replacement=True, seed=20261123)
    # Each row its own id: a batch refuses repeated ids.
    return sample.with_columns(pl.format("{}-{}", pl.col("id"), pl.int_range(pl.len())).alias("id"))


def machine() -> str:
    import os

    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"


def report(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")


def main_for(
    doc: str | None,
    option: str,
    default: int,
    run: Callable[[int], dict[str, float]],
    title: Callable[[int], str],
    fmt: str = ",.0f",
) -> None:
    """The command line every benchmark shares: one size option, a table of figures."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument(f"--{option}", type=int, default=default)
    size = getattr(parser.parse_args(), option)
    figures = run(size)
    report(f"{title(size)} ({machine()})", [(k, format(v, fmt)) for k, v in figures.items()])
