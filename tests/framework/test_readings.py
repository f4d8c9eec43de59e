"""The parts that read the rule program agree with what the program decides for a whole case: the
terms review's verdict on a clause against distillation, and the clearinghouse's licence state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from distillgov.assessment import determine
from distillgov.framework.levers import ResolvedLevers
from distillgov.framework.readings import clause_reach, phase_on
from distillgov.jurisdictions import Profile, load_builtin, load_file
from distillgov.licensing.licences import Licence
from distillgov.licensing.tariffs import builtin
from distillgov.teachers.catalogue import ClauseType
from distillgov.teachers.review import review_clause
from tests.conftest import ON, PROFILES, make_case
from tests.teachers.test_review_lineage_suggest import clause


def _profiles(tmp_path: Path) -> list[Profile]:
    no_exclusivity = tmp_path / "filtered-none.yaml"
    no_exclusivity.write_text(
        "id: gs0\nname: GS without exclusivity\nextends: global_south\nlevers:\n"
        "  exclusivity.months:\n    - {from: 2000-01-01, value: 0, cite: adjustments/exclusivity_time/global_south}\n"
    )
    twelve = tmp_path / "filtered-twelve.yaml"
    twelve.write_text(
        no_exclusivity.read_text().replace("value: 0", "value: 12").replace("gs0", "gs12")
    )
    return [*(load_builtin(p) for p in PROFILES), load_file(no_exclusivity), load_file(twelve)]


@pytest.mark.parametrize("released", ["2024-12-01", "2024-05-13", "2020-01-01"])
def test_the_terms_review_and_the_decision_agree_on_a_breached_ban(
    tmp_path: Path, released: str
) -> None:
    """A clause the review calls enforceable makes a breach of it improper means (illicit); one
    it calls void never does; a limited one does only against a substitute in exclusivity."""
    for profile in _profiles(tmp_path):
        levers: ResolvedLevers = profile.as_of(ON)
        finding = review_clause(clause(ClauseType.NO_COMPETING_MODELS), levers.values, None)
        case = make_case(access="terms_breach", teacher={"release_date": released})
        d = determine(case, profile, ON)
        illicit = d.category == "illicit"
        phase = next(t["outcome"] for t in d.trace if t["rule"] == "phase")
        if finding.effect == "enforceable":
            assert illicit, profile.id
        elif finding.effect == "void":
            assert not illicit, profile.id
        else:
            reach = clause_reach(levers.values)["anti_distillation_reach"]
            assert illicit == (reach == "filtered" and phase == "exclusivity"), (profile.id, phase)


def test_research_clause_reach_follows_the_waiver_lever() -> None:
    for pid in PROFILES:
        levers = load_builtin(pid).as_of(ON).values
        reach = clause_reach(levers)["research_clause_reach"]
        assert reach == ("enforced" if levers["contract.research_clause_waivable"] else "void")


def test_licence_state_is_the_rules_phase() -> None:
    start, end = dt.date(2024, 11, 13), dt.date(2026, 11, 13)
    licence = Licence(
        id="l",
        licensee="Cheap Chat Ltd",
        student="s",
        teacher="t",
        teacher_owner="o",
        profile="cn",
        profile_hash="h",
        determination_hash="d",
        window_start=start,
        window_end=end,
        currency="CNY",
        tariff=builtin("cn").as_of(start),
        status="active",
        opened_on=start,
    )
    seen = {}
    for day in (start - dt.timedelta(days=1), start, end - dt.timedelta(days=1), end):
        seen[day] = (licence.state(day), phase_on(day, start, end))
    assert [s for s, _ in seen.values()] == ["not_yet_open", "active", "active", "royalty_free"]
    assert [p for _, p in seen.values()] == [
        "exclusivity",
        "licence_window",
        "licence_window",
        "royalty_free",
    ]
