"""Unknown facts: never silently assumed; named when they matter, with what each answer gives."""

from __future__ import annotations

import datetime as dt

from distillgov.assessment import determine
from distillgov.jurisdictions import load_builtin
from tests.conftest import make_case


def test_unknown_access_is_named_with_each_answer() -> None:
    d = determine(make_case(access=None), load_builtin("us"), dt.date(2025, 3, 1))
    # In the US, during exclusivity, every answer leads to a prohibition: the rule is known even
    # though the category (illicit, or cloning that needs the owner's licence) is not.
    assert (d.category, d.rule, d.compliant, d.determined) == (None, "prohibited", False, False)
    (missing,) = d.missing_facts
    assert missing.fact == "access"
    outcomes = {o["value"]: (o["category"], o["rule"]) for o in missing.outcomes}
    assert outcomes["intrusion"] == ("illicit", "prohibited")
    assert outcomes["terms_breach"] == ("illicit", "prohibited")  # the US enforces terms
    assert outcomes["public_api_within_terms"] == ("commercial_cloning", "prohibited")
    # 'internal' would contradict distiller.same_owner_as_teacher: false, so it is not offered.
    assert "internal" not in outcomes


def test_unknown_fact_that_cannot_change_the_outcome_is_not_listed() -> None:
    # With leaked weights the case is illicit whatever the market relation or purpose.
    d = determine(
        make_case(access="leaked_weights", market_relation=None, purpose=None),
        load_builtin("cn"),
        dt.date(2025, 3, 1),
    )
    assert d.category == "illicit"
    assert d.missing_facts == ()


def test_unknown_release_date_is_probed_on_both_sides_of_the_window() -> None:
    d = determine(
        make_case(teacher={"release_date": None}), load_builtin("cn"), dt.date(2025, 3, 1)
    )
    assert d.category == "commercial_cloning" and d.rule is None
    (missing,) = [m for m in d.missing_facts if m.fact == "teacher.release_date"]
    rules = {o["rule"] for o in missing.outcomes}
    assert rules == {"prohibited", "compulsory_license", "permitted"}


def test_unknown_disclosure_status_before_release() -> None:
    d = determine(
        make_case(transparency={"disclosure_filed": None, "filed_on": None}),
        load_builtin("global_south"),
        dt.date(2025, 3, 1),
    )
    assert d.category == "commercial_cloning" and d.compliant is None
    assert [m.fact for m in d.missing_facts] == ["transparency.disclosure_filed"]


def test_an_empty_case_is_undetermined_not_an_error() -> None:
    from distillgov.framework import Case

    d = determine(Case(), load_builtin("us"), dt.date(2025, 1, 1))
    assert not d.determined
    assert {m.fact for m in d.missing_facts} >= {"access", "safety.unsafe_use"}


def test_category_known_while_rule_waits_on_a_date() -> None:
    d = determine(
        make_case(teacher={"release_date": None}), load_builtin("us"), dt.date(2025, 3, 1)
    )
    assert (d.category, d.rule) == ("commercial_cloning", None)


def test_probes_come_from_the_rules_comparisons() -> None:
    """Every date or count the rules compare gets probes from those comparisons, under every
    profile; the release date's sit where exclusivity and the licence window turn over."""
    from distillgov.framework.case import FACTS
    from distillgov.framework.missing import COMPARISONS, boundaries, probes
    from distillgov.framework.rules import PROGRAM

    compared = set()
    for left, right in COMPARISONS:
        compared |= PROGRAM.base_refs(left) | PROGRAM.base_refs(right)
    ordered = {n for n in compared if FACTS.get(n) and FACTS[n].kind in ("date", "int")}
    assert ordered >= {"teacher.release_date", "commercial_release_date", "volume.outputs"}
    for pid in ("us", "cn", "global_south"):
        levers = load_builtin(pid).as_of(dt.date(2025, 3, 1)).values
        for name in ordered:
            assert boundaries(name, levers), (pid, name)
        e, w = levers["exclusivity.months"], levers["licence_window.months"]
        months = {b.months for b in boundaries("teacher.release_date", levers)}
        precedes = levers["exclusivity.model"] == "precedes_licence_window"
        assert months == ({e, e + w} if precedes else {0, e})
        cap = levers["de_minimis.max_outputs"]
        env = {"assessed_on": dt.date(2025, 3, 1)}
        assert probes("volume.outputs", env, levers) == [cap - 1, cap, cap + 1]
