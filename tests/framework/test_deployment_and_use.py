"""The decision table reads deployment and what was done with the outputs (#13, item 1): the types
table's cloning row is about a *commercial* direct market substitute, trained on the teacher."""

from __future__ import annotations

import itertools

import pytest

from distillgov.assessment.assess import assess_case
from distillgov.jurisdictions import Profile
from tests.conftest import ON, PROFILES, make_case

NOT_RELEASED = {"deployment": "none", "commercial_release_date": None}


@pytest.mark.parametrize("profile", PROFILES)
def test_an_undeployed_student_owes_no_royalty_and_is_an_internal_experiment(
    profiles: dict[str, Profile], profile: str
) -> None:
    d = assess_case(make_case(**NOT_RELEASED), profiles[profile], ON)
    assert (d.category, d.rule, d.compliant) == ("internal_experiment", "permitted", True)
    assert d.royalty["due"] is False and d.royalty["rate_setter"] is None
    assert not any(o.id in ("royalty_payment", "owner_licence") for o in d.obligations)
    # The same student, once shipped, is judged as the cloning it then is.
    shipped = assess_case(make_case(), profiles[profile], ON)
    assert shipped.category == "commercial_cloning"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    "uses",
    [
        ["evaluation"],
        ["calibration"],
        ["inspiration"],
        ["evaluation", "calibration", "inspiration"],
    ],
)
def test_outputs_nobody_learns_from_are_not_distillation(
    profiles: dict[str, Profile], profile: str, uses: list[str]
) -> None:
    d = assess_case(make_case(output_use=uses), profiles[profile], ON)
    assert (d.category, d.rule, d.compliant) == ("not_distillation", "permitted", True)
    assert d.royalty["due"] is False
    assert "transparency_disclosure" not in {o.id for o in d.obligations}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("uses", [["training"], ["labelling"], ["labelling", "evaluation"]])
def test_labels_and_reward_signals_are_learning_as_training_is(
    profiles: dict[str, Profile], profile: str, uses: list[str]
) -> None:
    trained = assess_case(make_case(output_use=["training"]), profiles[profile], ON)
    d = assess_case(make_case(output_use=uses), profiles[profile], ON)
    assert (d.category, d.rule, d.compliant) == (trained.category, trained.rule, trained.compliant)


def test_improper_means_and_consent_still_come_first(profiles: dict[str, Profile]) -> None:
    for pid, changes in itertools.product(PROFILES, [NOT_RELEASED, {"output_use": ["evaluation"]}]):
        illicit = assess_case(make_case(access="intrusion", **changes), profiles[pid], ON)
        assert illicit.category == "illicit"
        consent = assess_case(make_case(consent={"granted": True}, **changes), profiles[pid], ON)
        assert consent.category == "authorized"


def test_an_unknown_deployment_or_use_is_asked_for_when_it_matters(
    profiles: dict[str, Profile],
) -> None:
    d = assess_case(make_case(deployment=None, commercial_release_date=None), profiles["cn"], ON)
    assert d.category is None and "deployment" in {m.fact for m in d.missing_facts}
    d = assess_case(make_case(output_use=None), profiles["cn"], ON)
    assert d.category is None and {m.fact for m in d.missing_facts} >= {"output_use.training"}
