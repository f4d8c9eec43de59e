"""The wizard skips a question only when the rule program says its answer cannot matter: for
any case and profile, giving a fact `relevant_facts` leaves out any value changes nothing a
determination reports (decision, compliance, each obligation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillgov.framework.case import FACTS, Case, contradictions
from distillgov.framework.missing import probes
from distillgov.framework.procedure import SCALAR
from distillgov.framework.relevance import relevant_facts
from distillgov.framework.rules import OBLIGATIONS
from distillgov.jurisdictions import builtin_ids, load_builtin
from tests.strategies import cases

PROFILES = [load_builtin(p) for p in builtin_ids()]


def _reported(facts: dict[str, Any], params: Any) -> tuple[Any, ...]:
    env = SCALAR.run(facts, params).env
    return (env["decision"], env["compliant"],
            *(env[f"{o.id}.{p}"] for o in OBLIGATIONS for p in ("applies", "status")))  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from(PROFILES))
def test_a_skipped_fact_changes_nothing_reported(case: Case, profile: Any) -> None:
    on = case.assessed_on or dt.date(2025, 3, 1)
    params = profile.as_of(on).values
    facts = case.facts()
    facts["assessed_on"] = on
    keep = relevant_facts(facts, params)
    before = _reported(facts, params)
    env = SCALAR.run(dict(facts), params).env
    for name in FACTS:
        if facts.get(name) is not None or name in keep:
            continue
        for value in probes(name, env, params):
            trial = {**facts, name: value}
            if contradictions(trial):
                continue  # an answer the other facts already rule out
            assert _reported(trial, params) == before, (name, value)


def test_no_personal_data_skips_the_privacy_questions() -> None:
    params = load_builtin("us").as_of(dt.date(2025, 3, 1)).values
    facts: dict[str, Any] = {name: None for name in FACTS}
    facts["assessed_on"] = dt.date(2025, 3, 1)
    asked = relevant_facts(facts, params)
    assert "personal_data.consent" in asked  # unknown whether there is personal data
    facts["personal_data.involved"] = False
    safeguards = {"personal_data.consent", "personal_data.minimisation",
                  "personal_data.purpose_limitation", "personal_data.differential_privacy",
                  "personal_data.user_rights", "personal_data.privacy_violating_use"}  # fmt: skip
    assert not safeguards & relevant_facts(facts, params)
