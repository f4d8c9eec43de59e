"""Unknown facts, answered together (#13, item 5): where every combination of answers agrees on a
result, it is settled and the determination says which facts it did not need; obligations no
answer can make apply are not listed; only facts whose answers change something are asked."""

from __future__ import annotations

from distillgov.assessment.assess import assess_case
from distillgov.assessment.render import text
from distillgov.jurisdictions import load_builtin
from tests.conftest import ON, make_case


def test_an_outcome_every_answer_agrees_on_is_settled() -> None:
    # Internal access with ownership unknown: the only consistent answer is "same owner".
    case = make_case(access="internal", distiller={"same_owner_as_teacher": None})
    d = assess_case(case, load_builtin("global_south"), ON)
    assert (d.category, d.rule, d.compliant) == ("authorized", "permitted", True)
    assert d.settled["values"]["category"] == "authorized"
    assert "distiller.same_owner_as_teacher" in d.settled["whatever_the_answers_to"]
    assert d.missing_facts == ()  # no answer would change anything
    assert "SETTLED whatever the answers to" in text(d)


def test_compliance_is_settled_when_every_answer_gives_the_same() -> None:
    d = assess_case(make_case(consent={"granted": True}, deployment=None), load_builtin("us"), ON)
    assert d.compliant is True and d.settled["values"]["compliant"] is True
    assert d.settled["whatever_the_answers_to"] == ["deployment"]


def test_obligations_no_answer_can_reach_are_not_listed() -> None:
    d = assess_case(make_case(access=None), load_builtin("us"), ON)
    listed = {o.id for o in d.obligations}
    # Neither is possible for a commercial direct substitute, whatever the access was.
    assert "licence_terms" not in listed and "safety_reciprocity" not in listed
    assert {m.fact for m in d.missing_facts} == {"access"}


def test_nothing_is_settled_that_the_answers_disagree_on() -> None:
    d = assess_case(make_case(access=None), load_builtin("cn"), ON)
    assert d.category is None
    assert "category" not in d.settled.get("values", {})
