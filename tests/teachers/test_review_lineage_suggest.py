"""Terms review under each profile, obligations inherited along lineage, nearest compliant variants."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from distillgov.assessment import determine
from distillgov.assessment.assess import assess_case, complete
from distillgov.assessment.casefiles import load_case
from distillgov.assessment.lineage import Inherited, conflicts, lineage_paths
from distillgov.jurisdictions import load_builtin
from distillgov.teachers.catalogue import Clause, ClauseType, Confidence
from distillgov.teachers.review import review_clause
from tests.conftest import CASE_FILES, EXAMPLES, make_case

ON = dt.date(2025, 6, 1)
EXPECTED_EFFECT = {
    # clause type: effect under us, cn, global_south
    ClauseType.NO_COMPETING_MODELS: ("enforceable", "limited", "void"),
    ClauseType.NO_IMPROVING_OTHER_MODELS: ("enforceable", "limited", "void"),
    ClauseType.NO_EXTRACTION: ("enforceable", "limited", "void"),
    ClauseType.NO_RESEARCH_USE: ("enforceable", "void", "void"),
    ClauseType.GRANTS_DISTILLATION: ("grant", "grant", "grant"),
    ClauseType.PERMISSIVE_LICENCE: ("grant", "grant", "grant"),
    ClauseType.NON_COMMERCIAL_ONLY: ("enforceable", "enforceable", "enforceable"),
    ClauseType.DERIVATIVES_INCLUDE_DISTILLATION: ("informational",) * 3,
    ClauseType.PASS_DOWN_RESTRICTIONS: ("enforceable",) * 3,
    ClauseType.NAME_PREFIX: ("enforceable",) * 3,
    ClauseType.ATTRIBUTION_NOTICE: ("enforceable",) * 3,
    ClauseType.USER_THRESHOLD_LICENCE: ("enforceable",) * 3,
    ClauseType.OUTPUTS_NOT_CLAIMED: ("informational",) * 3,
    ClauseType.REGIONAL_EXCLUSION: ("enforceable",) * 3,
    ClauseType.PERMITTED_USE: ("informational",) * 3,
    ClauseType.ACCEPTABLE_USE_PASS_DOWN: ("enforceable",) * 3,
    ClauseType.LICENCE_NOTICE: ("enforceable",) * 3,
    ClauseType.OUTPUTS_ASSIGNED: ("informational",) * 3,
}


def clause(kind: ClauseType) -> Clause:
    value = {
        ClauseType.NAME_PREFIX: "Llama",
        ClauseType.ATTRIBUTION_NOTICE: "Built with X",
        ClauseType.USER_THRESHOLD_LICENCE: 100,
        ClauseType.ACCEPTABLE_USE_PASS_DOWN: "https://example.org/aup",
        ClauseType.LICENCE_NOTICE: "X is licensed under the X licence.",
    }.get(kind)
    extra: dict[str, object] = {
        ClauseType.REGIONAL_EXCLUSION: {"regions": ["EU"]},
        ClauseType.PERMITTED_USE: {"carves_out": ClauseType.NO_COMPETING_MODELS},
    }.get(kind, {})
    return Clause(
        type=kind, summary="s", value=value, source="test", confidence=Confidence.PRIMARY,
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize("kind", list(ClauseType))
def test_each_clause_type_under_each_profile(kind: ClauseType) -> None:
    assert set(EXPECTED_EFFECT) == set(ClauseType)
    for profile, want in zip(("us", "cn", "global_south"), EXPECTED_EFFECT[kind], strict=True):
        finding = review_clause(clause(kind), load_builtin(profile).as_of(ON).values, profile)
        assert finding.effect == want, (kind, profile)
        assert finding.cite.table in ("adjustments", "types", "stakeholders", "abstract")


def test_the_filter_limits_rather_than_voids_when_there_is_exclusivity(tmp_path: Path) -> None:
    from distillgov.jurisdictions import load_file

    f = tmp_path / "gs.yaml"
    f.write_text(
        "id: gs12\nname: GS 12\nextends: global_south\nlevers:\n  exclusivity.months:\n    - {from: 2000-01-01, value: 12, cite: adjustments/exclusivity_time/global_south}\n"
    )
    finding = review_clause(
        clause(ClauseType.NO_COMPETING_MODELS), load_file(f).as_of(ON).values, None
    )
    assert finding.effect == "limited" and "12-month exclusivity" in finding.why


def test_inheritance_over_a_chain_of_three_models() -> None:
    # student <- llama-3.2-1b (catalogue: distilled from llama-3.1-70b) <- llama-3.1-70b
    case = make_case(
        teacher={"id": "llama-3.2-1b", "release_date": None}, consent={"granted": None}
    )
    paths = lineage_paths(case)
    assert ("base", "llama-3.2-1b", "llama-3.1-70b") in paths
    d = assess_case(case, load_builtin("us"), ON)
    inherited = d.extra["lineage"]["inherited_obligations"]
    came_via = {(i["duty"], tuple(i["path"])) for i in inherited}
    assert ("name_prefix", ("base", "llama-3.2-1b")) in came_via
    assert ("name_prefix", ("base", "llama-3.2-1b", "llama-3.1-70b")) in came_via
    assert all(i["effect"] == "enforceable" for i in inherited)
    assert d.extra["lineage"]["conflicts"] == []
    # The framework's own duty travels too: the disclosure must name the whole lineage.
    assert d.extra["lineage"]["disclosure_must_name"] == [
        "llama-3.2-1b",
        "llama-3.1-8b",
        "llama-3.1-70b",
    ]


def test_lineage_is_cycle_safe() -> None:
    case = make_case(
        teacher={"id": "llama-3.1-70b", "release_date": None, "distilled_from": ["llama-3.2-1b"]}
    )
    paths = lineage_paths(case)
    assert all(len(p) == len(set(p)) for p in paths)
    assert ("base", "llama-3.1-70b", "llama-3.2-1b") in paths


def test_two_names_each_required_first_are_a_conflict() -> None:
    def prefix(model: str, value: str) -> Inherited:
        return Inherited(
            "name_prefix", "", value, model, ("s", model), "t", "src", "primary", "enforceable", {}
        )

    case = make_case()
    clash = conflicts(case, [prefix("a", "Llama"), prefix("b", "Qwen")])
    assert [c["kind"] for c in clash] == ["naming"] and clash[0]["between"] == ["a", "b"]
    assert conflicts(case, [prefix("a", "Llama 3"), prefix("b", "Llama")]) == []


def test_a_non_commercial_base_licence_conflicts_with_commercial_deployment() -> None:
    case = make_case(base_models=["qwen2.5-3b"])
    d = assess_case(case, load_builtin("cn"), ON)
    kinds = [c["kind"] for c in d.extra["lineage"]["conflicts"]]
    assert kinds == ["licence_scope"]


def test_each_other_teacher_is_assessed_as_its_own_link() -> None:
    case = make_case(additional_teachers=[{"id": "gpt-4o", "access": "public_api_within_terms"}])
    d = assess_case(case, load_builtin("us"), ON)
    links = {link["teacher"]: link for link in d.extra["lineage"]["links"]}
    assert (
        links["gpt-4o"]["category"] == "commercial_cloning"
        or links["gpt-4o"]["rule"] == "prohibited"
    )
    assert d.extra["lineage"]["all_links_compliant"] is not True


NON_COMPLIANT = [
    p
    for p in CASE_FILES
    if assess_case(load_case(p), load_builtin("us"), load_case(p).assessed_on).compliant is False
]


@pytest.mark.parametrize("path", NON_COMPLIANT, ids=lambda p: p.stem)
def test_every_suggestion_really_makes_the_case_compliant(path: Path) -> None:
    case = load_case(path)
    day = case.assessed_on
    assert day is not None
    d = assess_case(case, load_builtin("us"), day, suggest=True)
    suggestions = d.extra["suggestions"]
    assert suggestions, f"{path.stem}: no compliant variant found"
    from distillgov.assessment.suggest import _candidates, _variant

    completed, _ = complete(case, day)
    by_id = {c.id: c for c in _candidates(completed, load_builtin("us"), day)}
    for s in suggestions:
        variant = _variant(completed, tuple(by_id[c] for c in s["changes"]), day)
        assert variant is not None
        again = determine(variant, load_builtin("us"), day)  # never another profile
        assert again.compliant is True, (path.stem, s)
        assert (again.category, again.rule) == (s["category"], s["rule"])
    assert len(suggestions[0]["changes"]) <= len(suggestions[-1]["changes"])


def test_a_compliant_case_needs_no_suggestion() -> None:
    case = load_case(EXAMPLES / "cases" / "distilbert-2019.yaml")
    assert (
        assess_case(case, load_builtin("us"), case.assessed_on, suggest=True).extra["suggestions"]
        == []
    )  # type: ignore[arg-type]


def test_letters_show_lineage_duties_as_their_own_list() -> None:
    from distillgov.assessment.render import render

    case = load_case(EXAMPLES / "cases" / "deepseek-r1-distill-llama-70b-2025.yaml")
    d = assess_case(case, load_builtin("cn"), case.assessed_on)  # type: ignore[arg-type]
    md = render(d, "markdown")
    assert "must name all of them.\n\n- inherited *enforceable* **name_prefix** (Llama)" in md
    html = render(d, "html")
    assert "<strong>name_prefix</strong> (Llama)" in html and "llama-3.3-70b" in html
