"""Profiles: validated with clear errors, dated, amended by extension, hashed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from distillgov.errors import InvalidProfile, NoValueInForce, UnknownJurisdiction
from distillgov.jurisdictions import LEVERS, builtin_ids, load_builtin, load_file, load_profile
from tests.conftest import EXAMPLES

AMENDMENT = EXAMPLES / "profiles" / "us-2027-amendment.yaml"


def write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "profile.yaml"
    f.write_text(text)
    return f


def test_builtin_profiles_define_every_lever_with_a_source() -> None:
    assert builtin_ids() == ["us", "cn", "global_south"]
    for pid in builtin_ids():
        p = load_builtin(pid)
        assert set(p.levers) == set(LEVERS)
        assert all(e.cite for entries in p.levers.values() for e in entries)


def test_levers_are_ordered_as_the_adjustments_table_says() -> None:
    on = dt.date(2025, 1, 1)
    us, cn, gs = (load_builtin(i).as_of(on).values for i in ("us", "cn", "global_south"))
    assert us["exclusivity.months"] > cn["exclusivity.months"] > gs["exclusivity.months"] == 0
    assert (
        us["contract.anti_distillation_clauses"],
        cn["contract.anti_distillation_clauses"],
        gs["contract.anti_distillation_clauses"],
    ) == ("enforced", "subordinated", "filtered")
    # Small, bigger, very broad: each carve-out holds the one before it (the US one is strictly
    # smaller; CN and the Global South differ in contract reach, not here: interpretation 74).
    assert us["research.deployments"] < cn["research.deployments"] <= gs["research.deployments"]
    assert us["research.purposes"] <= cn["research.purposes"] <= gs["research.purposes"]
    assert (us["royalty.rate_setter"], cn["royalty.rate_setter"], gs["royalty.rate_setter"]) == (
        "tribunal",
        "state",
        "collective_body",
    )
    for window in (us, cn, gs):
        assert 12 <= window["licence_window.months"] <= 36  # about one to three years


def test_amendment_takes_effect_on_its_date_and_keeps_history() -> None:
    amended = load_file(AMENDMENT)
    assert amended.as_of(dt.date(2026, 12, 31)).values["exclusivity.months"] == 24
    assert amended.as_of(dt.date(2027, 1, 1)).values["exclusivity.months"] == 12
    before, after = amended.as_of(dt.date(2026, 1, 1)), amended.as_of(dt.date(2027, 6, 1))
    assert before.version != after.version
    assert amended.change_dates()[-1] == dt.date(2027, 1, 1)


def test_no_value_in_force_names_the_lever_and_date(tmp_path: Path) -> None:
    text = "id: late\nname: Late\nlevers:\n" + "".join(
        f"  {name}:\n    - {{from: 2030-01-01, value: {value}, cite: {LEVERS[name].source.table}/{LEVERS[name].source.row}}}\n"
        for name, value in {
            "exclusivity.months": 1,
            "exclusivity.model": "precedes_licence_window",
            "licence_window.months": 12,
            "royalty.compulsory_licence_trigger": "always",
            "royalty.rate_setter": "state",
            "royalty.shared_with_creators": "false",
            "contract.anti_distillation_clauses": "enforced",
            "contract.research_clause_waivable": "false",
            "research.purposes": "[academic_research]",
            "research.deployments": "[none]",
            "de_minimis.max_outputs": 10,
            "transformative.safety_reciprocity": "true",
        }.items()
    )
    p = load_file(write(tmp_path, text))
    with pytest.raises(
        NoValueInForce, match=r"has no value for lever 'exclusivity\.months' on 2029-01-01"
    ):
        p.as_of(dt.date(2029, 1, 1))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "levers:\n  exclusivity.monthz:\n    - {from: 2000-01-01, value: 3, cite: adjustments/exclusivity_time}\n",
            "levers.exclusivity.monthz",
        ),
        (
            "levers:\n  exclusivity.months:\n    - {from: 2000-01-01, value: -3, cite: adjustments/exclusivity_time}\n",
            "must be a whole number",
        ),
        (
            "levers:\n  exclusivity.model:\n    - {from: 2000-01-01, value: sometimes, cite: adjustments/exclusivity_time}\n",
            "must be one of: precedes_licence_window, is_licence_window",
        ),
        (
            "levers:\n  research.purposes:\n    - {from: 2000-01-01, value: [poetry], cite: adjustments/research_carveout}\n",
            "must be a list of",
        ),
        (
            "levers:\n  exclusivity.months:\n    - {from: 2000-01-01, value: 3, cite: adjustments/no_such_row}\n",
            "unknown row 'no_such_row'",
        ),
        (
            "levers:\n  exclusivity.months:\n    - {from: 2020-01-01, value: 3, cite: adjustments/exclusivity_time}\n    - {from: 2019-01-01, value: 4, cite: adjustments/exclusivity_time}\n",
            "strictly increasing",
        ),
        (
            "levers:\n  royalty.revenue_percent:\n    - {from: 2000-01-01, value: 150, cite: adjustments/royalty_rules}\n",
            "levers.royalty.revenue_percent[0].value', value 150: must be a percentage from 0 to 100, or null",
        ),
        (
            "levers:\n  royalty.revenue_percent:\n    - {from: 2000-01-01, value: .nan, cite: adjustments/royalty_rules}\n",
            "must be a percentage from 0 to 100, or null",
        ),
        (
            "levers:\n  royalty.revenue_percent:\n    - {from: 2000-01-01, value: ten, cite: adjustments/royalty_rules}\n",
            "must be a percentage from 0 to 100, or null",
        ),
    ],
)
def test_invalid_amendments_name_the_field(tmp_path: Path, body: str, message: str) -> None:
    f = write(tmp_path, "id: bad\nname: Bad\nextends: us\n" + body)
    with pytest.raises(InvalidProfile) as info:
        load_file(f)
    assert message in str(info.value)
    assert str(f) in info.value.message


def test_a_standalone_profile_must_set_every_lever(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "id: thin\nname: Thin\nlevers:\n  exclusivity.months:\n    - {from: 2000-01-01, value: 3, cite: adjustments/exclusivity_time}\n",
    )
    with pytest.raises(InvalidProfile) as info:
        load_file(f)
    assert "field 'levers.licence_window.months', value (missing): this lever needs a value" in str(
        info.value
    )


def test_unreadable_and_unknown_profiles(tmp_path: Path) -> None:
    with pytest.raises(InvalidProfile, match="cannot read profile"):
        load_file(tmp_path / "missing.yaml")
    with pytest.raises(InvalidProfile, match="not valid YAML"):
        load_file(write(tmp_path, "id: [unclosed\n"))
    with pytest.raises(
        UnknownJurisdiction,
        match=r"unknown jurisdiction 'eu'; built-in profiles: us, cn, global_south",
    ):
        load_profile("eu", None)
    with pytest.raises(UnknownJurisdiction, match="no jurisdiction given"):
        load_profile(None, None)
