"""What a determination says, as a practitioner reads it (#13, item 9): duties required before a
release say so, the rate-setter appears only where a licence is or will be open, lens notes fit
the phase, the illicit outcome names its consequences, the profile applied is stated as the only
one spoken for, and no suggestion proposes moving to another jurisdiction."""

from __future__ import annotations

import datetime as dt

from distillgov.assessment.assess import assess_case
from distillgov.assessment.render import text
from distillgov.jurisdictions import load_builtin
from tests.conftest import ON, make_case

# BASE: teacher released 2024-05-13; cn's window runs 2024-11-13 to 2026-11-13; us's opens 2026-05-13.


def test_a_pre_release_duty_reads_required_before_the_release() -> None:
    d = assess_case(make_case(), load_builtin("us"), ON)  # exclusivity: needs the owner's licence
    owner = next(o for o in d.obligations if o.id == "owner_licence")
    assert (owner.status, owner.due, owner.due_basis) == (
        "breached",
        "2025-01-20",
        "commercial_release_date",
    )
    assert (
        "[breached] Get the owner's licence first (owner_licence), required before 2025-01-20"
        in (text(d))
    )
    royalty = next(
        o
        for o in assess_case(make_case(), load_builtin("cn"), ON).obligations
        if o.id == "royalty_payment"
    )
    assert "until 2026-11-13" in text(assess_case(make_case(), load_builtin("cn"), ON))
    assert royalty.due_basis == "window_end"


def test_the_rate_setter_only_where_a_licence_is_or_will_be_open() -> None:
    cn = load_builtin("cn")
    open_now = assess_case(make_case(), cn, ON).royalty
    assert open_now["rate_setter"] == "state"
    after = assess_case(make_case(), cn, dt.date(2027, 1, 1)).royalty
    assert after["phase"] == "royalty_free" and after["rate_setter"] is None
    # US: no abuse proven, so no licence will open; with abuse proven, it will.
    us = load_builtin("us")
    closed = assess_case(make_case(), us, dt.date(2026, 6, 1)).royalty
    assert closed["rate_setter"] is None
    will = assess_case(make_case(teacher={"abuse_proven": True}), us, ON).royalty
    assert (will["phase"], will["rate_setter"]) == ("exclusivity", "tribunal")
    assert "Rate set by" not in text(assess_case(make_case(), cn, dt.date(2027, 1, 1)))


def test_lens_notes_fit_the_phase_the_row_fired_in() -> None:
    us = load_builtin("us")
    during = assess_case(make_case(), us, ON)
    in_window = assess_case(make_case(), us, dt.date(2026, 6, 1))
    assert during.decision == in_window.decision == "cloning_needs_consent"
    assert "During exclusivity" in during.lenses["utilitarian"]["note"]
    assert "exclusivity is over" in in_window.lenses["utilitarian"]["note"]
    assert all("During exclusivity" not in v["note"] for v in in_window.lenses.values())


def test_the_illicit_outcome_names_its_consequences() -> None:
    d = assess_case(make_case(access="intrusion"), load_builtin("global_south"), ON)
    assert d.category == "illicit"
    assert len(d.consequences) == 3
    assert all(c["source"] == {"table": "types", "row": "illicit"} for c in d.consequences)
    assert any("fair-use" in c["what"] for c in d.consequences)
    assert assess_case(make_case(), load_builtin("cn"), ON).consequences == ()


def test_the_determination_states_its_profile_and_no_other() -> None:
    d = assess_case(make_case(), load_builtin("cn"), ON)
    assert d.scope.startswith("Applies the China profile (cn) only")
    assert "no defence there" in d.scope and d.as_dict()["scope"] == d.scope


def test_suggestions_never_move_jurisdiction_and_other_profiles_are_apart() -> None:
    case = make_case()
    d = assess_case(case, load_builtin("us"), ON, suggest=True)
    assert d.compliant is False
    for s in d.extra["suggestions"]:
        assert not any(c.startswith("jurisdiction") for c in s["changes"])
        assert "jurisdiction" not in s and "profile" not in " ".join(s["what"]).lower()
    others = {o["profile"]: o for o in d.extra["other_profiles"]}
    assert set(others) == {"cn", "global_south"}
    assert others["cn"]["rule"] == "compulsory_license"
    assert "HOW OTHER PROFILES SEE IT (not a fix" in text(d)
