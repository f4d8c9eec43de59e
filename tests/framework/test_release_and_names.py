""" "Already released" is an answer (with or without a date), and a student's name decides the
naming duties it inherits (#13, item 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from tests.conftest import EXAMPLES, ON, make_case

UNFILED = {"disclosure_filed": False, "filed_on": None}


def _transparency(**changes: object) -> tuple[str | None, list[str]]:
    d = assess_case(make_case(**changes), load_builtin("cn"), ON)
    status = next(o.status for o in d.obligations if o.id == "transparency_disclosure")
    return status, [m.fact for m in d.missing_facts]


def test_already_released_without_a_date_triggers_what_a_release_triggers() -> None:
    released = _transparency(
        commercial_release_date=None, already_released=True, transparency=UNFILED
    )
    assert released == ("breached", [])
    not_yet = _transparency(
        commercial_release_date=None, already_released=False, transparency=UNFILED
    )
    assert not_yet == ("due", [])
    unknown = _transparency(
        commercial_release_date=None, already_released=None, transparency=UNFILED
    )
    assert unknown[0] is None and set(unknown[1]) == {"already_released", "commercial_release_date"}


def test_a_date_decides_over_the_answer() -> None:
    # Released tomorrow: the date says not yet, and "already released" is not consulted.
    tomorrow = (ON + dt.timedelta(days=1)).isoformat()
    for answer in (None, True, False):
        status, missing = _transparency(
            commercial_release_date=tomorrow, already_released=answer, transparency=UNFILED
        )
        assert (status, missing) == ("due", []), answer


def test_released_with_a_filing_but_no_date_asks_for_the_date() -> None:
    status, missing = _transparency(commercial_release_date=None, already_released=True)
    assert status is None and missing == ["commercial_release_date"]


def test_already_released_needs_a_commercial_deployment() -> None:
    with pytest.raises(
        ValidationError, match="said to be commercially released but the deployment"
    ):
        make_case(deployment="none", commercial_release_date=None, already_released=True)


def _naming(name: str | None) -> tuple[str | None, ...]:
    case = load_case(EXAMPLES / "cases" / "deepseek-r1-distill-llama-70b-2025.yaml")
    case = case.model_copy(update={"student_name": name})
    d = assess_case(case, load_builtin("us"), case.assessed_on)
    lineage = d.extra["lineage"]
    assert lineage["teachers"] == ["deepseek-r1"] and lineage["bases"] == ["llama-3.3-70b"]
    return tuple(
        o["status"] for o in lineage["inherited_obligations"] if o["duty"] == "name_prefix"
    )


def test_a_naming_duty_is_judged_from_the_students_name() -> None:
    assert _naming("DeepSeek-R1-Distill-Llama-70B") == ("not_met",)
    assert _naming("Llama-DeepSeek-R1-Distill-70B") == ("met",)
    assert _naming(None) == ("unknown",)  # never "met" for want of a name
