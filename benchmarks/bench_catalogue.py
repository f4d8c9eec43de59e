"""The teacher catalogue: loading it whole (every file parsed and validated, the overlay
merged), and the regulator's watch over it.

Target (issue #18): loading the whole catalogue stays under 20 ms.

Run: .venv/bin/python -m benchmarks.bench_catalogue [--copies K] [--repeat R]
`--copies K` adds K renamed copies of every shipped family as an overlay folder, to see how the
load grows with the catalogue (a 2026 catalogue holds about three times today's families).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import yaml

from benchmarks.common import best_of, machine, report


def _copies(folder: Path, copies: int) -> None:
    from importlib import resources

    shipped = resources.files("distillgov.teachers") / "catalogue"
    for k in range(copies):
        for f in shipped.iterdir():
            if not f.name.endswith(".yaml"):
                continue
            raw = yaml.safe_load(f.read_text(encoding="utf-8"))
            raw["family"] = f"{raw['family']}-copy{k}"
            ids = {m["id"]: f"{m['id']}-copy{k}" for m in raw["models"]}
            for m in raw["models"]:
                m["id"] = ids[m["id"]]
                m["distilled_from"] = [ids.get(d, d) for d in m.get("distilled_from", [])]
            for t in raw["terms"]:
                t["applies_to"] = [ids[a] for a in t["applies_to"]]
                for c in t["clauses"]:
                    for field in ("models", "bases"):  # clauses that name models
                        if c.get(field):
                            c[field] = [ids.get(m, m) for m in c[field]]
            (folder / f"{raw['family']}.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")


def run(copies: int = 0, repeat: int = 20) -> dict[str, float]:
    from distillgov.jurisdictions import builtin_ids, load_builtin
    from distillgov.teachers.catalogue import _catalogue
    from distillgov.teachers.watch import first_terms, watch

    with tempfile.TemporaryDirectory(prefix="distillgov-bench-") as tmp:
        overlay = None
        if copies:
            _copies(Path(tmp), copies)
            overlay = tmp

        def load() -> None:
            _catalogue.cache_clear()  # each run reads and validates every file again
            _catalogue(overlay)

        loading = best_of(load, repeat)
        teachers = list(_catalogue(overlay).values())
        profiles = [load_builtin(p) for p in builtin_ids()]
        start, end = first_terms(teachers), dt.date(2026, 12, 1)
        watching = best_of(
            lambda: watch(teachers, profiles, start, end, "month"), max(3, repeat // 4)
        )
        _catalogue.cache_clear()
    return {
        "teachers (count)": float(len(teachers)),
        "load the whole catalogue, best run (ms)": loading * 1000,
        "watch-terms, monthly series over every year (ms)": watching * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=0, help="Renamed copies of each family.")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    figures = run(args.copies, args.repeat)
    report(
        f"Teacher catalogue, shipped + {args.copies} copies ({machine()})",
        [(k, format(v, ",.0f" if "count" in k else ",.2f")) for k, v in figures.items()],
    )


if __name__ == "__main__":
    main()
