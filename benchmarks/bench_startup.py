"""CLI start-up: wall time of `distillgov assess CASE -f json` as a user runs it (targets: median
<= 0.3 s, and at most 1.6x the floor `python -c "import pydantic, yaml, typer"`), beside the
floor of the interpreter and of the libraries it cannot do without. The commands are run in
turn, round after round, so that a burst of load on the machine falls on all of them alike.

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
FLOOR = "python -c 'import pydantic, yaml, typer' (s)"
OURS = "distillgov assess CASE -j us -f json (s)"


def commands() -> dict[str, list[str]]:
    py = sys.executable
    return {
        "python -c pass (s)": [py, "-c", "pass"],
        FLOOR: [py, "-c", "import pydantic, yaml, typer"],
        OURS: [py, "-m", "distillgov", "assess", str(CASE), "-j", "us", "-f", "json"],
    }


def run(runs: int = 20) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cmds = commands()
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for cmd in cmds.values():
        subprocess.run(cmd, check=True, capture_output=True, env=env)  # warm the caches
    for _ in range(runs):
        for name, cmd in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    medians["ratio to the floor (x)"] = medians[OURS] / medians[FLOOR]
    return medians


def title(n: int) -> str:
    return f"CLI start-up in seconds, median of {n} interleaved runs"


def main() -> None:
    main_for(__doc__, "runs", 20, run, title, ".3f")


if __name__ == "__main__":
    main()
