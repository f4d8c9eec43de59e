"""Batch throughput: the vectorized evaluator alone, and end to end from files.

Target: >= 2,000,000 cases/s on this 2-core machine.
Run: .venv/bin/python -m benchmarks.bench_batch [--rows N]
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

from benchmarks.common import best_of, case_mix, main_for


def evaluator_rate(frame: pl.DataFrame) -> float:
    """Encoded columns in, every derived value out (category, rule, obligations, missing facts)."""
    from distillgov.assessment.batch import CHUNK, complete_frame, encode
    from distillgov.framework.columns import evaluate
    from distillgov.jurisdictions import load_builtin

    columns, _ = encode(complete_frame(frame, None), None)
    n = frame.height
    profile = load_builtin("global_south")

    def one(start: int) -> None:
        stop = min(start + CHUNK, n)
        evaluate({k: v[start:stop] for k, v in columns.items()}, profile.as_of, stop - start)

    def all_chunks() -> None:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(one, range(0, n, CHUNK)))

    return n / best_of(all_chunks, 3)


def file_rate(frame: pl.DataFrame, suffix: str, folder: Path) -> float:
    """A file in, a result file out: read, validate, encode, evaluate, render, write."""
    from distillgov.assessment.batch import assess_frame, read_frame, write_frame
    from distillgov.jurisdictions import load_builtin

    source = folder / f"cases{suffix}"
    if suffix == ".csv":
        frame.write_csv(source)
    else:
        frame.write_parquet(source)
    target = folder / f"results{suffix}"
    profile = load_builtin("global_south")

    def whole() -> None:
        write_frame(assess_frame(read_frame(source), profile, None), target)

    return frame.height / best_of(whole, 2)


def run(rows: int = 2_000_000) -> dict[str, float]:
    known = case_mix(rows, undetermined=False)
    mixed = case_mix(rows, undetermined=True)
    figures = {
        "evaluator, all facts known (cases/s)": evaluator_rate(known),
        "evaluator, incl. the 2 examples with unknown facts (cases/s)": evaluator_rate(mixed),
    }
    with tempfile.TemporaryDirectory() as tmp:
        figures["Parquet file to Parquet file (cases/s)"] = file_rate(known, ".parquet", Path(tmp))
        figures["CSV file to CSV file (cases/s)"] = file_rate(known, ".csv", Path(tmp))
    return figures


def title(n: int) -> str:
    return f"Batch throughput, {n:,} rows resampled from the examples, global_south"


def main() -> None:
    main_for(__doc__, "rows", 2_000_000, run, title, ",.0f")


if __name__ == "__main__":
    main()
