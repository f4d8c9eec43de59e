"""Hypothesis strategies for cases: every fact drawn from its domain, or left unknown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from distillgov.errors import InvalidCase
from distillgov.framework import Case
from distillgov.framework.case import FACTS, contradictions

DAYS = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2029, 12, 31))
USES = ["training", "evaluation", "calibration", "inspiration"]
# Catalogue teachers of every kind of terms, a name the catalogue does not know, and none.
TEACHER_IDS = [
    None,
    None,
    "not-in-catalogue",
    "gpt-4",
    "llama-3-70b",
    "llama-3.1-70b",
    "deepseek-r1",
    "qwen2.5-3b",
    "gemini-1.5-pro",
    "gemma-2-9b",
    "mistral-7b",
    "llama-3.2-11b-vision",  # a regional exclusion
    "llama-3-8b",  # a ban with an exception for students built on Llama 3
]
# Where the distiller is established (inside the EU, outside it, unknown) and what the student is
# built on: read by the catalogue's completion, in a batch as in a single case.
REGIONS = [None, "DE", "US"]
BASES = [[], ["llama-3-8b"], ["qwen2.5-32b"]]
# Facts that are legitimately absent even when everything is known (no release, no filing yet).
OPTIONAL_WHEN_KNOWN = frozenset({"transparency.filed_on", "commercial_release_date"})


def _maybe(values: st.SearchStrategy[Any], known: bool) -> st.SearchStrategy[Any]:
    return values if known else st.one_of(st.none(), values)


# Weighted draws, so that improper means (which decide everything) do not crowd out the rest.
_PROPER = [
    "internal",
    "licensed_weights",
    "licensed_api",
    "public_api_within_terms",
    "published_outputs",
]
WEIGHTED: dict[str, list[Any]] = {
    "access": [
        *_PROPER,
        *_PROPER,
        *_PROPER,
        "terms_breach",
        "terms_breach",
        "circumvention",
        "intrusion",
        "leaked_weights",
        "privacy_violating_collection",
    ],
    "safety.unsafe_use": [False, False, False, False, True],
    "personal_data.privacy_violating_use": [False, False, False, False, True],
    "consent.granted": [False, False, True],
    "distiller.same_owner_as_teacher": [False, False, False, True],
}


def _value_for(name: str, known: bool) -> st.SearchStrategy[Any]:
    spec = FACTS[name]
    known = known and name not in OPTIONAL_WHEN_KNOWN
    if name in WEIGHTED:
        return _maybe(st.sampled_from(WEIGHTED[name]), known)
    if spec.kind == "date":
        return _maybe(DAYS, known)
    if spec.kind == "int":
        return _maybe(st.sampled_from([0, 1, 50, 99, 100, 101, 5000, 10**9]), known)
    return _maybe(st.sampled_from(spec.domain), known)


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
def cases(draw: st.DrawFn, known: bool = False) -> Case:
    """A consistent case; with `known`, every fact the rules read is given (bar a release or
    filing date where there is none)."""
    flat = {
        name: draw(_value_for(name, known)) for name in FACTS if not name.startswith("output_use.")
    }
    uses = draw(_maybe(st.lists(st.sampled_from(USES), min_size=1, max_size=4, unique=True), known))
    if known and flat["deployment"] == "commercial" and flat["commercial_release_date"] is None:
        flat["commercial_release_date"] = draw(DAYS)
    if known and flat["deployment"] != "commercial":
        flat["already_released"] = False  # "released commercially" needs a commercial deployment
    if known and flat["personal_data.involved"] is False:
        flat["personal_data.privacy_violating_use"] = False  # it needs personal data
    if known and flat["transparency.disclosure_filed"] and flat["transparency.filed_on"] is None:
        flat["transparency.filed_on"] = draw(DAYS)
    facts = dict(flat)
    for use in USES:
        facts[f"output_use.{use}"] = None if uses is None else use in uses
    # Draw only consistent cases: contradictions are tested separately.
    found = contradictions(facts)
    if found:
        assume(not known)  # a fully known case cannot be repaired by forgetting a fact
        for field, _, _ in found:
            flat[field] = None  # forgetting the offending fact keeps the draw useful
    data = _nest(flat)
    data["output_use"] = uses
    data["id"] = f"c{draw(st.integers(0, 10**6))}"
    data["assessed_on"] = draw(DAYS)
    data["teacher"]["id"] = draw(st.sampled_from(TEACHER_IDS))
    data.setdefault("distiller", {})["region"] = draw(st.sampled_from(REGIONS))
    data["base_models"] = draw(st.sampled_from(BASES))
    case = Case.model_validate(data)
    if case.teacher.id:
        from distillgov.assessment.assess import complete

        try:
            complete(case, data["assessed_on"])
        except InvalidCase:
            assume(False)  # the catalogue's facts contradict the drawn ones
    return case


def flat_row(case: Case) -> dict[str, Any]:
    """A case as one row of a batch file (dotted columns, output_use as a list)."""
    row: dict[str, Any] = {
        "id": case.id,
        "assessed_on": case.assessed_on,
        "teacher.id": case.teacher.id,
    }
    for name, value in case.facts().items():
        if not name.startswith("output_use."):
            row[name] = value
    row["output_use"] = None if case.output_use is None else [u.value for u in case.output_use]
    row["distiller.region"] = case.distiller.region
    row["base_models"] = list(case.base_models)
    return row
