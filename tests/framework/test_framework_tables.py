"""Every row of the framework's type, policy and adjustment tables, exercised.

Each test names the table row it exercises (as in `framework.citations`); `test_citations.py`
checks that every such row is covered here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from distillgov.assessment import determine
from distillgov.framework import Determination
from distillgov.jurisdictions import Profile, load_builtin, load_file
from tests.conftest import ON, PROFILES, make_case

pytestmark = pytest.mark.filterwarnings("error")


def decide(profile: str | Profile, on: dt.date = ON, **changes: Any) -> Determination:
    chosen = load_builtin(profile) if isinstance(profile, str) else profile
    return determine(make_case(**changes), chosen, on)


def obligation(d: Determination, oid: str) -> Any:
    found = [o for o in d.obligations if o.id == oid]
    return found[0] if found else None


# --- Types table ---------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_types_authorized_consent_permits_and_binds_to_licence(profile: str) -> None:
    d = decide(profile, consent={"granted": True, "licence": "Apache-2.0"})
    assert (d.category, d.rule, d.compliant) == ("authorized", "permitted", True)
    assert obligation(d, "licence_terms").status == "ongoing"
    assert d.royalty["due"] is False


@pytest.mark.parametrize("profile", PROFILES)
def test_types_authorized_internal_same_owner(profile: str) -> None:
    d = decide(profile, access="internal", distiller={"same_owner_as_teacher": True})
    assert (d.category, d.rule) == ("authorized", "permitted")


def test_types_commercial_cloning_compulsory_licence_window_then_royalty_free() -> None:
    # CN: exclusivity 6 months, then a 24-month window: 2024-11-13 to 2026-11-13.
    during = decide("cn", on=dt.date(2025, 3, 1))
    assert (during.category, during.rule, during.compliant) == (
        "commercial_cloning",
        "compulsory_license",
        True,
    )
    assert during.royalty == {
        "due": True,
        "phase": "licence_window",
        "window_start": "2024-11-13",
        "window_end": "2026-11-13",
        "rate_setter": "state",
        "basis": "usage-based royalty under the compulsory licence",
        "shared_with_creators": False,
    }
    assert obligation(during, "royalty_payment").due == "2026-11-13"
    after = decide("cn", on=dt.date(2026, 11, 13))
    assert (after.rule, after.royalty["due"], after.royalty["phase"]) == (
        "permitted",
        False,
        "royalty_free",
    )
    assert obligation(after, "royalty_payment") is None


@pytest.mark.parametrize("profile", PROFILES)
def test_types_transformative_no_royalty_but_safety_reciprocity(profile: str) -> None:
    d = decide(profile, market_relation="transformative_new_domain")
    assert (d.category, d.rule, d.compliant) == ("transformative", "conditional", True)
    assert d.royalty["due"] is False
    assert obligation(d, "safety_reciprocity").status == "met"
    unshared = decide(
        profile,
        market_relation="transformative_added_functionality",
        safety={"improvements_shared": False},
    )
    assert unshared.violations == ("safety_reciprocity",)
    assert unshared.compliant is False
    immunity = {i["id"]: i for i in unshared.immunities}["transformative_use"]
    assert immunity["holds"] is False and immunity["suspended_by"] == ["safety_reciprocity"]


def test_types_transformative_reciprocity_is_a_lever(tmp_path: Path) -> None:
    lax = tmp_path / "lax.yaml"
    lax.write_text(
        "id: lax\nname: No reciprocity\nextends: us\nlevers:\n"
        "  transformative.safety_reciprocity:\n"
        "    - {from: 2000-01-01, value: false, cite: types/transformative}\n"
    )
    d = decide(
        load_file(lax),
        market_relation="transformative_new_domain",
        safety={"improvements_shared": False},
    )
    assert obligation(d, "safety_reciprocity") is None and d.compliant is True


@pytest.mark.parametrize("profile", PROFILES)
def test_types_research_exempt_while_non_commercial(profile: str) -> None:
    d = decide(
        profile, purpose="academic_research", deployment="none", commercial_release_date=None
    )
    assert (d.category, d.rule, d.compliant) == ("research", "exempt", True)
    commercial = decide(profile, purpose="academic_research")
    assert commercial.category == "commercial_cloning"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    "changes",
    [
        {"access": "intrusion"},
        {"access": "circumvention"},
        {"access": "leaked_weights"},
        {"access": "privacy_violating_collection"},
        {"safety": {"unsafe_use": True}},
        # Lawfully obtained outputs, used in a way that violates privacy: illicit as unsafe use is.
        {"personal_data": {"involved": True, "privacy_violating_use": True}},
    ],
)
def test_types_illicit_defeats_every_safe_harbour(profile: str, changes: dict[str, Any]) -> None:
    # Consent, research and de minimis would each apply, but improper means comes first.
    for harbour in (
        {"consent": {"granted": True}},
        {"purpose": "safety_research", "deployment": "none", "commercial_release_date": None},
        {"output_use": ["evaluation"], "volume": {"outputs": 5, "one_off": True}},
    ):
        d = decide(profile, **harbour, **changes)
        assert (d.category, d.rule, d.compliant) == ("illicit", "prohibited", False)
        assert d.violations == ("proper_means",)


# --- Policies table --------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_policies_de_minimis_threshold_and_uses(profile: str) -> None:
    small = {
        "output_use": ["evaluation", "calibration"],
        "volume": {"outputs": 100, "one_off": True},
    }
    d = decide(profile, **small)
    assert (d.category, d.rule) == ("de_minimis", "exempt")
    assert obligation(d, "transparency_disclosure") is None
    assert (
        decide(
            profile, output_use=["evaluation"], volume={"outputs": 101, "one_off": True}
        ).category
        != "de_minimis"
    )
    assert (
        decide(profile, output_use=["training"], volume={"outputs": 5, "one_off": True}).category
        != "de_minimis"
    )
    assert (
        decide(
            profile, output_use=["inspiration"], volume={"outputs": 5, "one_off": False}
        ).category
        != "de_minimis"
    )


@pytest.mark.parametrize(
    ("transparency", "release", "status"),
    [
        ({"disclosure_filed": True, "filed_on": "2025-01-10"}, "2025-01-20", "met"),
        ({"disclosure_filed": True, "filed_on": "2025-01-20"}, "2025-01-20", "met"),
        ({"disclosure_filed": True, "filed_on": "2025-01-21"}, "2025-01-20", "breached"),
        ({"disclosure_filed": False, "filed_on": None}, "2025-01-20", "breached"),
        ({"disclosure_filed": False, "filed_on": None}, "2025-06-01", "due"),
    ],
)
def test_policies_transparency_before_commercial_release(
    transparency: dict[str, Any], release: str, status: str
) -> None:
    d = decide("global_south", transparency=transparency, commercial_release_date=release)
    ob = obligation(d, "transparency_disclosure")
    assert (ob.status, ob.due) == (status, release)
    assert ("transparency_disclosure" in d.violations) == (status == "breached")


def test_policies_transparency_not_for_uncommercial_students() -> None:
    d = decide("cn", purpose="academic_research", deployment="none", commercial_release_date=None)
    assert obligation(d, "transparency_disclosure") is None


@pytest.mark.parametrize("profile", PROFILES)
def test_policies_collective_licensing_for_creative_works_at_scale(profile: str) -> None:
    d = decide(profile, market_relation="transformative_new_domain", creative_works_at_scale=True)
    assert obligation(d, "collective_licence").status == "ongoing"
    assert (
        obligation(
            decide(profile, market_relation="transformative_new_domain"), "collective_licence"
        )
        is None
    )


@pytest.mark.parametrize(
    ("safeguards", "status"),
    [
        (
            {
                "consent": True,
                "minimisation": True,
                "purpose_limitation": True,
                "user_rights": True,
            },
            "met",
        ),
        (
            {
                "consent": False,
                "differential_privacy": True,
                "minimisation": True,
                "purpose_limitation": True,
                "user_rights": True,
            },
            "met",
        ),
        (
            {
                "consent": False,
                "differential_privacy": False,
                "minimisation": True,
                "purpose_limitation": True,
                "user_rights": True,
            },
            "breached",
        ),
        (
            {
                "consent": True,
                "minimisation": False,
                "purpose_limitation": True,
                "user_rights": True,
            },
            "breached",
        ),
        (
            {
                "consent": True,
                "minimisation": True,
                "purpose_limitation": True,
                "user_rights": False,
            },
            "breached",
        ),
    ],
)
def test_policies_privacy_safeguards(safeguards: dict[str, Any], status: str) -> None:
    d = decide(
        "us",
        market_relation="transformative_new_domain",
        personal_data={"involved": True, **safeguards},
    )
    assert obligation(d, "privacy_safeguards").status == status
    assert d.compliant is (status == "met")


def test_policies_privacy_unknown_safeguard_leaves_compliance_open() -> None:
    d = decide(
        "us",
        market_relation="transformative_new_domain",
        personal_data={
            "involved": True,
            "consent": True,
            "minimisation": True,
            "purpose_limitation": True,
        },
    )
    assert d.category == "transformative" and d.compliant is None
    assert [m.fact for m in d.missing_facts] == ["personal_data.user_rights"]


# --- Adjustments table ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "start", "end"),
    [
        ("us", "2026-05-13", "2029-05-13"),
        ("cn", "2024-11-13", "2026-11-13"),
        ("global_south", "2024-05-13", "2025-05-13"),
    ],
)
def test_adjustments_exclusivity_time_per_column(profile: str, start: str, end: str) -> None:
    d = decide(profile)
    assert (d.royalty["window_start"], d.royalty["window_end"]) == (start, end)
    # The day before the window opens is still exclusivity; the day it opens is not.
    opening = dt.date.fromisoformat(start)
    assert decide(profile, on=opening - dt.timedelta(days=1)).royalty["phase"] == "exclusivity"
    assert decide(profile, on=opening).royalty["phase"] == "licence_window"


def test_adjustments_exclusivity_can_be_the_window(tmp_path: Path) -> None:
    merged = tmp_path / "merged.yaml"
    merged.write_text(
        "id: merged\nname: Exclusivity is the window\nextends: cn\nlevers:\n"
        "  exclusivity.model:\n    - {from: 2000-01-01, value: is_licence_window, cite: adjustments/exclusivity_time}\n"
    )
    d = decide(load_file(merged))
    # The 6-month exclusivity is itself the royalty window: 2024-05-13 to 2024-11-13.
    assert (d.royalty["window_start"], d.royalty["window_end"], d.rule) == (
        "2024-05-13",
        "2024-11-13",
        "permitted",
    )


def test_adjustments_contract_reach_anti_distillation_clause() -> None:
    breach = {"access": "terms_breach", "teacher": {"terms": {"forbids_distillation": True}}}
    assert decide("us", **breach).category == "illicit"  # terms of service are king
    assert decide("cn", **breach).rule == "compulsory_license"  # terms yield to state policy
    assert (
        decide("global_south", **breach).rule == "compulsory_license"
    )  # no exclusivity to protect
    assert decide("global_south", **breach).immunities[0]["id"] == "reverse_engineering_harbour"


def test_adjustments_contract_reach_filter_binds_only_during_exclusivity(tmp_path: Path) -> None:
    f = tmp_path / "gs12.yaml"
    f.write_text(
        "id: gs12\nname: GS with a year of exclusivity\nextends: global_south\nlevers:\n"
        "  exclusivity.months:\n    - {from: 2000-01-01, value: 12, cite: adjustments/exclusivity_time/global_south}\n"
    )
    breach = {"access": "terms_breach"}
    profile = load_file(f)
    assert decide(profile, on=dt.date(2025, 3, 1), **breach).category == "illicit"
    assert decide(profile, on=dt.date(2025, 6, 1), **breach).rule == "compulsory_license"
    # A transformative student is outside the filter's reach even during exclusivity.
    transformative = decide(profile, market_relation="transformative_new_domain", **breach)
    assert transformative.category == "transformative"


@pytest.mark.parametrize(
    ("profile", "category"), [("us", "illicit"), ("cn", "research"), ("global_south", "research")]
)
def test_adjustments_contract_reach_research_clauses(profile: str, category: str) -> None:
    d = decide(
        profile,
        access="terms_breach",
        teacher={"terms": {"forbids_research": True}},
        purpose="safety_research",
        deployment="none",
        commercial_release_date=None,
    )
    assert d.category == category


def test_adjustments_royalty_rules_per_column() -> None:
    us_window = dt.date(2026, 6, 1)
    refused = decide("us", on=us_window)
    assert (refused.rule, refused.violations) == ("prohibited", ("owner_licence",))
    abused = decide("us", on=us_window, teacher={"abuse_proven": True})
    assert (abused.rule, abused.royalty["rate_setter"]) == ("compulsory_license", "tribunal")
    assert decide("cn").royalty["rate_setter"] == "state"
    gs = decide("global_south", on=dt.date(2024, 8, 1))
    assert (gs.royalty["rate_setter"], gs.royalty["shared_with_creators"]) == (
        "collective_body",
        True,
    )


@pytest.mark.parametrize(
    ("profile", "academic_release", "audit"),
    [
        ("us", "commercial_cloning", "research"),
        ("cn", "research", "research"),  # bigger than the US one: it holds auditing too
        ("global_south", "research", "research"),
    ],
)
def test_adjustments_research_carveout_breadth(
    profile: str, academic_release: str, audit: str
) -> None:
    release = decide(
        profile,
        purpose="academic_research",
        deployment="non_commercial_release",
        commercial_release_date=None,
    )
    assert release.category == academic_release
    audited = decide(
        profile, purpose="accountability_audit", deployment="none", commercial_release_date=None
    )
    assert audited.category == audit


# --- The abstract's elements ---------------------------------------------------------------------


def test_abstract_reverse_engineering_harbour_needs_public_outputs() -> None:
    published = decide("cn", access="published_outputs")
    assert "reverse_engineering_harbour" in [i["id"] for i in published.immunities]
    licensed = decide("cn", access="licensed_api")
    assert "reverse_engineering_harbour" not in [i["id"] for i in licensed.immunities]


def test_abstract_immunities_are_conditional() -> None:
    late = decide("cn", transparency={"disclosure_filed": True, "filed_on": "2025-02-01"})
    harbour = {i["id"]: i for i in late.immunities}["reverse_engineering_harbour"]
    assert harbour["holds"] is False and harbour["suspended_by"] == ["transparency_disclosure"]
    assert late.compliant is False


@pytest.mark.parametrize("profile", PROFILES)
def test_types_illicit_privacy_violating_use_is_handled_as_unsafe_use_is(profile: str) -> None:
    unsafe = decide(profile, safety={"unsafe_use": True})
    privacy = decide(profile, personal_data={"involved": True, "privacy_violating_use": True})
    assert (unsafe.category, unsafe.rule, unsafe.violations) == (
        privacy.category,
        privacy.rule,
        privacy.violations,
    )
    # Without personal data the question does not arise, and an unknown answer changes nothing.
    clean = decide(profile, personal_data={"involved": False, "privacy_violating_use": None})
    assert clean.category == "commercial_cloning"
    assert "personal_data.privacy_violating_use" not in {m.fact for m in clean.missing_facts}
    unsure = decide(profile, personal_data={"involved": True, "privacy_violating_use": None})
    assert "personal_data.privacy_violating_use" in {m.fact for m in unsure.missing_facts}


def test_a_privacy_violating_use_without_personal_data_is_refused() -> None:
    with pytest.raises(ValidationError, match="a privacy-violating use needs personal data"):
        make_case(personal_data={"involved": False, "privacy_violating_use": True})
