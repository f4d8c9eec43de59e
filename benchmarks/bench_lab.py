"""Policy lab Monte Carlo: draws x a 100-point window grid (target: 10,000 draws in <= 10 s).

Run: .venv/bin/python -m benchmarks.bench_lab [--draws N]
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from benchmarks.common import best_of, main_for


def run(draws: int = 10_000) -> dict[str, float]:
    from distillgov.jurisdictions import builtin_ids, load_builtin
    from distillgov.policylab.lab import Assumptions, levers_for, uncertainty

    a = Assumptions.model_validate(
        {
            "economy": {
                "rd_elasticity": {"uniform": [0.0, 1.0]},
                "substitution": {"uniform": [0.2, 0.9]},
                "interest": {"normal": [0.08, 0.02], "min": 0.01},
                "distillation_cost": {"lognormal": [1.5, 0.5]},
            }
        }
    )
    levers = {i: levers_for(load_builtin(i), dt.date(2025, 1, 1), a) for i in builtin_ids()}
    windows = np.linspace(0, 20, 100)
    seconds = best_of(lambda: uncertainty(a, levers, windows, draws, 1, 0.3), 3)
    return {"Monte Carlo, 100-point window grid (s)": seconds}


def title(n: int) -> str:
    return f"Policy lab, {n:,} draws"


def main() -> None:
    main_for(__doc__, "draws", 10_000, run, title, ".3f")


if __name__ == "__main__":
    main()
