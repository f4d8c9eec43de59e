"""Metamorphic tests (#13, item 2): equivalent encodings of one situation get one outcome —
category, rule and compliance — for every example case and for generated ones.

- a breach said outright (`access: terms_breach`) and the same use "within the terms" of the
  public API where the case records the clause that forbids it;
- training on the outputs and learning from the labels or reward signals the teacher gives;
- the order of the uses, and adding a use that teaches nothing to one that does;
- a catalogue teacher, and the same terms written out in the case without the catalogue.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillgov.assessment import determine
from distillgov.assessment.assess import complete
from distillgov.assessment.casefiles import load_case
from distillgov.framework import Case
from distillgov.framework.vocabulary import RESEARCH_PURPOSES
from distillgov.jurisdictions import Profile, load_builtin
from tests.conftest import CASE_FILES, ON, PROFILES
from tests.strategies import cases

ALL = [load_builtin(p) for p in PROFILES]
EXAMPLES = [load_case(p) for p in CASE_FILES]


def outcome(case: Case, profile: Profile) -> tuple[Any, ...]:
    completed, _ = complete(case, case.assessed_on or ON)
    d = determine(completed, profile, case.assessed_on or ON)
    return d.category, d.rule, d.compliant


def _with(case: Case, **changes: Any) -> Case:
    data = case.model_dump(mode="json")  # all of it: a null is "unknown", not the default
    for key, value in changes.items():
        node = data
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return Case.model_validate(data)


def _research(case: Case) -> bool:
    return (
        case.purpose in RESEARCH_PURPOSES
        and case.deployment is not None
        and case.deployment.value in ("none", "non_commercial_release")
    )


def breach_twins(case: Case) -> tuple[Case, Case] | None:
    """The two encodings of a breach of the clause that speaks to the use, with that clause
    recorded: said outright, and "within the terms" of the public API."""
    if case.purpose is None or case.deployment is None:
        return None
    clause = "forbids_research" if _research(case) else "forbids_distillation"
    base = {f"teacher.terms.{clause}": True, "output_use": ["training"], "teacher.id": None}
    if case.teacher.outputs_public is False:
        base["teacher.outputs_public"] = True
    try:
        said = _with(case, access="terms_breach", **base)
        within = _with(case, access="public_api_within_terms", **base)
    except ValueError:
        return None  # the change contradicts another fact of this case
    return said, within


def check_all_relations(case: Case) -> None:
    for profile in ALL:
        twins = breach_twins(case)
        if twins is not None:
            said, within = twins
            assert outcome(said, profile) == outcome(within, profile), (case.id, profile.id)
        if case.output_use and any(u.value == "training" for u in case.output_use):
            uses = [u.value for u in case.output_use]
            relabelled = _with(
                case, output_use=["labelling" if u == "training" else u for u in uses]
            )
            reordered = _with(case, output_use=list(reversed(uses)))
            widened = _with(case, output_use=list(dict.fromkeys([*uses, "evaluation"])))
            expected = outcome(case, profile)
            assert outcome(relabelled, profile) == expected, (case.id, profile.id, "labelling")
            assert outcome(reordered, profile) == expected, (case.id, profile.id, "order")
            assert outcome(widened, profile) == expected, (case.id, profile.id, "evaluation")


def written_out(case: Case) -> Case | None:
    """The case with its catalogue teacher's facts written into it, and no catalogue id."""
    if not case.teacher.id:
        return None
    completed, record = complete(case, case.assessed_on or ON)
    if record is None:
        return None
    data = completed.model_dump(mode="json")  # nulls kept: see _with
    data["teacher"].pop("id", None)
    data["teacher"].pop("distilled_from", None)
    return Case.model_validate(data)


@pytest.mark.parametrize("case", EXAMPLES, ids=lambda c: c.id)
def test_every_example_keeps_its_outcome_under_equivalent_encodings(case: Case) -> None:
    check_all_relations(case)
    plain = written_out(case)
    if plain is not None:
        for profile in ALL:
            assert outcome(plain, profile) == outcome(case, profile), (case.id, profile.id)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(cases(known=True))
def test_generated_cases_keep_their_outcome_under_equivalent_encodings(case: Case) -> None:
    check_all_relations(case)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from(ALL))
def test_a_catalogue_teacher_and_its_terms_written_out_agree(case: Case, profile: Profile) -> None:
    plain = written_out(case)
    if plain is not None:
        assert outcome(plain, profile) == outcome(case, profile)
