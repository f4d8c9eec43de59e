"""The decision table has no gaps: every fully known, consistent case is determined."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillgov.assessment import determine
from distillgov.framework import Case
from distillgov.jurisdictions import Profile, load_builtin
from tests.strategies import cases

PROFILES = [load_builtin("us"), load_builtin("cn"), load_builtin("global_south")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(cases(known=True), st.sampled_from(PROFILES))
def test_every_fully_known_case_is_determined(case: Case, profile: Profile) -> None:
    d = determine(case, profile)
    assert d.determined, d.missing_facts
    assert d.compliant is not None
    assert d.missing_facts == ()
    assert all(o.applies is True and o.status is not None for o in d.obligations)
