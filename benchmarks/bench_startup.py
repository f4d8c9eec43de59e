"""CLI start-up: wall time of `distillgov assess CASE -f json` as a user runs it (target <= 0.3 s),
beside the floor of the interpreter and of the libraries it cannot do without.

Run: .venv/bin/python -m benchmarks.bench_startup [--runs N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from benchmarks.common import ROOT, main_for

CASE = ROOT / "examples" / "cases" / "startup-clones-chat-model-via-public-api.yaml"


def timed(cmd: list[str], runs: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, check=True, capture_output=True, env=env)  # warm the caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(runs: int = 20) -> dict[str, float]:
    py = sys.executable
    return {
        "python -c pass (s)": timed([py, "-c", "pass"], runs),
        "python -c 'import pydantic, yaml, typer' (s)": timed(
            [py, "-c", "import pydantic, yaml, typer"], runs
        ),
        "distillgov assess CASE -j us -f json (s)": timed(
            [py, "-m", "distillgov", "assess", str(CASE), "-j", "us", "-f", "json"], runs
        ),
    }


def title(n: int) -> str:
    return f"CLI start-up in seconds, median of {n} runs"


def main() -> None:
    main_for(__doc__, "runs", 20, run, title, ".3f")


if __name__ == "__main__":
    main()
