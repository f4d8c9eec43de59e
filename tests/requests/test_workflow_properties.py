"""Whatever steps are tried in whatever order, on whatever days: a request never moves back,
never skips verification, never acts after it is closed, and its deadlines follow its clocks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.jurisdictions import load_builtin
from distillgov.requests.workflow import (
    FINAL,
    RANK,
    Action,
    Clocks,
    Identity,
    Kind,
    RefusalReason,
    RequestError,
    State,
    Status,
    TransitionRefused,
    apply,
    deadlines,
    needs_verification,
)

RECEIVED = dt.date(2026, 2, 2)
CLOCKS = {p: Clocks.from_levers(load_builtin(p).as_of(RECEIVED).values) for p in ("us", "cn", "global_south")}  # fmt: skip

steps = st.lists(
    st.tuples(
        st.sampled_from(list(Action)),
        st.integers(min_value=-3, max_value=120),  # days after receipt; some before it
        st.sampled_from([*RefusalReason, None, "no-such-reason"]),
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)  # the first call loads the holiday tables
@given(st.sampled_from(list(Kind)), st.sampled_from(sorted(CLOCKS)), steps)
def test_no_sequence_of_steps_breaks_the_rules(
    kind: Kind, profile: str, tried: list[tuple[Action, int, object]]
) -> None:
    clocks = CLOCKS[profile]
    state = State(kind, RECEIVED)
    verified = False
    for action, offset, reason in tried:
        day = RECEIVED + dt.timedelta(days=offset)
        before = state
        try:
            state = apply(state, action, day, clocks, reason=reason)
        except (TransitionRefused, RequestError):
            assert state == before  # a refused step changes nothing
            continue
        assert day >= RECEIVED, "nothing happens before the request was received"
        assert before.status not in FINAL, "a closed request takes no step"
        assert RANK[state.status] >= RANK[before.status], "statuses never move back"
        verified = verified or state.identity is Identity.VERIFIED
        if state.status is Status.FULFILLED:
            assert verified or not needs_verification(kind, clocks), "fulfilled unverified"
        if state.status is Status.REFUSED:
            assert state.refusal is not None, "a refusal always has its reason"
        if state.extended_on is not None:
            assert clocks.extension is not None
    due = deadlines(state, clocks)
    if clocks.starts == "receipt":
        assert due["response"] is not None and due["response"] > RECEIVED


def test_an_opt_out_under_the_ccpa_needs_no_verification_but_elsewhere_it_does() -> None:
    state = State(Kind.OPT_OUT, RECEIVED)
    done = apply(state, Action.FULFIL, RECEIVED, CLOCKS["us"])
    assert done.status is Status.FULFILLED
    with pytest.raises(TransitionRefused, match="identity is verified"):
        apply(state, Action.FULFIL, RECEIVED, CLOCKS["cn"])
    # The opt-out clock is the CCPA's 15 business days, not its 45 days.
    assert deadlines(state, CLOCKS["us"])["response"] == dt.date(2026, 2, 24)
