"""Hypothesis strategies for cases: every fact drawn from its domain, or left unknown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from distillgov.framework import Case
from distillgov.framework.case import FACTS, contradictions

DAYS = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2029, 12, 31))


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


def _value_for(name: str) -> st.SearchStrategy[Any]:
    spec = FACTS[name]
    if spec.kind == "date":
        return _maybe(DAYS)
    if spec.kind == "int":
        return _maybe(st.sampled_from([0, 1, 50, 99, 100, 101, 5000, 10**9]))
    return _maybe(st.sampled_from(spec.domain))


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in flat.items():
        parts = name.split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


@st.composite
def cases(draw: st.DrawFn) -> Case:
    flat = {name: draw(_value_for(name)) for name in FACTS if not name.startswith("output_use.")}
    uses = draw(
        _maybe(
            st.lists(
                st.sampled_from(["training", "evaluation", "calibration", "inspiration"]),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
    )
    facts = dict(flat)
    for use in ("training", "evaluation", "calibration", "inspiration"):
        facts[f"output_use.{use}"] = None if uses is None else use in uses
    # Draw only consistent cases: contradictions are tested separately.
    if contradictions(facts):
        # Resolve by forgetting the offending facts, which keeps the draw useful.
        for field, _, _ in contradictions(facts):
            flat[field] = None
    data = _nest(flat)
    data["output_use"] = uses
    data["id"] = f"c{draw(st.integers(0, 10**6))}"
    data["assessed_on"] = draw(DAYS)
    return Case.model_validate(data)


def flat_row(case: Case) -> dict[str, Any]:
    """A case as one row of a batch file (dotted columns, output_use as a list)."""
    row: dict[str, Any] = {"id": case.id, "assessed_on": case.assessed_on}
    for name, value in case.facts().items():
        if not name.startswith("output_use."):
            row[name] = value
    row["output_use"] = None if case.output_use is None else [u.value for u in case.output_use]
    return row
