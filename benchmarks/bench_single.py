"""Single-case throughput, in process: determinations per second (target >= 20,000 with trace).

Run: .venv/bin/python -m benchmarks.bench_single [--cases N]
"""

from __future__ import annotations

import datetime as dt

from benchmarks.common import ROOT, best_of, main_for


def run(cases: int = 20_000) -> dict[str, float]:
    from distillgov.assessment import determine
    from distillgov.assessment.assess import complete
    from distillgov.assessment.casefiles import load_case
    from distillgov.jurisdictions import load_builtin

    paths = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
    profile = load_builtin("us")
    day = dt.date(2025, 6, 1)
    # The cases as the command line assesses them: catalogue teachers' facts filled in, once.
    mix = [complete(load_case(p), day)[0] for p in paths if p.name != "expected.yaml"]
    batch = [mix[i % len(mix)] for i in range(cases)]

    def recorded() -> None:
        for case in batch:
            determine(case, profile, day)

    def rendered() -> None:
        for case in batch:
            _ = determine(case, profile, day).trace

    def as_json() -> None:
        for case in batch:
            determine(case, profile, day).to_json()

    determined = [c for c in batch if determine(c, profile, day).determined]
    kinds = sum(determine(c, profile, day).determined for c in mix)

    def recorded_determined() -> None:
        for case in determined:
            determine(case, profile, day)

    repeat = 5 if cases >= 5_000 else 2
    return {
        f"assess, trace recorded, all {len(mix)} examples (cases/s)": cases
        / best_of(recorded, repeat),
        f"assess, trace recorded, the {kinds} determined ones (cases/s)": len(determined)
        / best_of(recorded_determined, repeat),
        "assess, trace lines rendered (cases/s)": cases / best_of(rendered, repeat),
        "assess + canonical JSON (cases/s)": cases / best_of(as_json, repeat),
    }


def title(n: int) -> str:
    return f"Single-case throughput, {n:,} cases cycling through the examples, us profile"


def main() -> None:
    main_for(__doc__, "cases", 20_000, run, title, ",.0f")


if __name__ == "__main__":
    main()
