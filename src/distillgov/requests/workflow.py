"""The life of a data subject's request, as a pure state machine: which action may follow which,
and what the deadlines are under a profile's clocks. The store (`store.py`) keeps the events;
this module decides whether an event is allowed and what the request looks like after it.

Statuses move one way only: received -> acknowledged -> verified -> fulfilled | refused, with
`withdrawn` (by the requester) and `refused` open from any unfinished status. Identity
verification is a step with its own states (not_started -> evidence_requested -> verified |
failed); nothing is fulfilled before the identity is verified. An extension is a dated notice,
allowed once, before the first deadline, where the profile has an extension period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from distillgov.errors import Conflict, DistillgovError
from distillgov.requests.clock import Calendar, add_period, extended


class Kind(StrEnum):
    ACCESS = "access"
    DELETION = "deletion"
    CORRECTION = "correction"
    OPT_OUT = "opt_out"  # of the use of one's data for training


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    VERIFIED = "verified"
    FULFILLED = "fulfilled"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Identity(StrEnum):
    NOT_STARTED = "not_started"
    EVIDENCE_REQUESTED = "evidence_requested"
    VERIFIED = "verified"
    FAILED = "failed"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    REQUEST_EVIDENCE = "request_evidence"
    VERIFY = "verify"
    FAIL_VERIFICATION = "fail_verification"
    EXTEND = "extend"
    FULFIL = "fulfil"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"


class RefusalReason(StrEnum):
    """Why a request is refused: the Data Rights Protocol's reasons, plus the legal exemptions
    the GDPR (art. 17(3)) and the CCPA (s. 1798.105(d)) name in general terms."""

    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    NO_MATCH = "no_match"
    SUSPECTED_FRAUD = "suspected_fraud"
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGAL_CLAIMS = "legal_claims"
    FREEDOM_OF_EXPRESSION = "freedom_of_expression"
    RESEARCH_EXEMPTION = "research_exemption"
    OUTSIDE_JURISDICTION = "outside_jurisdiction"
    OTHER = "other"


RANK = {
    Status.RECEIVED: 0,
    Status.ACKNOWLEDGED: 1,
    Status.VERIFIED: 2,
    Status.FULFILLED: 3,
    Status.REFUSED: 3,
    Status.WITHDRAWN: 3,
}
FINAL = frozenset({Status.FULFILLED, Status.REFUSED, Status.WITHDRAWN})
OPEN = frozenset(Status) - FINAL
# Who may take each action: the organisation the request is addressed to, or the requester.
BY_REQUESTER = frozenset({Action.WITHDRAW})


class TransitionRefused(Conflict):
    """The action is not allowed in the request's present state; nothing was written."""


class RequestError(DistillgovError):
    """A request or an action on it is malformed; nothing was written."""


@dataclass(frozen=True)
class Clocks:
    """A profile's privacy levers in force on the day a request was received."""

    acknowledge: str | None
    response: str
    extension: str | None
    opt_out: str | None
    starts: str  # "receipt" | "verification"
    opt_out_needs_verification: bool
    records_months: int
    calendar: Calendar
    downstream_duty: str
    downstream_period: str

    @classmethod
    def from_levers(cls, values: dict[str, Any]) -> Clocks:
        return cls(
            values["privacy.acknowledge_period"],
            values["privacy.response_period"],
            values["privacy.extension_period"],
            values["privacy.opt_out_period"],
            values["privacy.clock_starts"],
            values["privacy.opt_out_needs_verification"],
            values["privacy.records_months"],
            Calendar(values["privacy.calendar"]),
            values["privacy.downstream_duty"],
            values["privacy.downstream_period"],
        )


@dataclass(frozen=True)
class State:
    """A request as its events leave it."""

    kind: Kind
    received_on: dt.date
    status: Status = Status.RECEIVED
    identity: Identity = Identity.NOT_STARTED
    verified_on: dt.date | None = None
    extended_on: dt.date | None = None
    closed_on: dt.date | None = None
    refusal: RefusalReason | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN


def apply(state: State, action: Action, on: dt.date, clocks: Clocks, **detail: Any) -> State:
    """The state after `action` on day `on`, or TransitionRefused saying why it cannot be."""
    if on < state.received_on:
        raise TransitionRefused(
            f"field 'on', value '{on}': before the request was received ({state.received_on})"
        )
    if not state.open:
        raise TransitionRefused(f"the request is {state.status}: it takes no further action")
    if action is Action.ACKNOWLEDGE:
        if state.status is not Status.RECEIVED:
            raise TransitionRefused(f"the request is {state.status}: already acknowledged")
        return replace(state, status=Status.ACKNOWLEDGED)
    if action is Action.REQUEST_EVIDENCE:
        if state.identity is not Identity.NOT_STARTED:
            raise TransitionRefused(f"identity verification is {state.identity} already")
        return replace(state, identity=Identity.EVIDENCE_REQUESTED)
    if action is Action.VERIFY:
        if state.identity in (Identity.VERIFIED, Identity.FAILED):
            raise TransitionRefused(f"identity verification is {state.identity} already")
        return replace(state, status=Status.VERIFIED, identity=Identity.VERIFIED, verified_on=on)
    if action is Action.FAIL_VERIFICATION:
        if state.identity in (Identity.VERIFIED, Identity.FAILED):
            raise TransitionRefused(f"identity verification is {state.identity} already")
        return replace(state, identity=Identity.FAILED)
    if action is Action.EXTEND:
        return _extend(state, on, clocks)
    if action is Action.FULFIL:
        if state.identity is not Identity.VERIFIED and needs_verification(state.kind, clocks):
            raise TransitionRefused(
                "a request is fulfilled only after the requester's identity is verified "
                f"(identity is {state.identity})"
            )
        return replace(state, status=Status.FULFILLED, closed_on=on)
    if action is Action.REFUSE:
        reason = detail.get("reason")
        if reason not in set(RefusalReason):
            raise RequestError(
                f"field 'reason', value {reason!r}: one of {', '.join(RefusalReason)}"
            )
        return replace(state, status=Status.REFUSED, closed_on=on, refusal=RefusalReason(reason))
    if action is Action.WITHDRAW:
        return replace(state, status=Status.WITHDRAWN, closed_on=on)
    raise RequestError(f"field 'action', value {action!r}: unknown")  # pragma: no cover


def needs_verification(kind: Kind, clocks: Clocks) -> bool:
    return kind is not Kind.OPT_OUT or clocks.opt_out_needs_verification


def _extend(state: State, on: dt.date, clocks: Clocks) -> State:
    if clocks.extension is None:
        raise TransitionRefused("this profile allows no extension of the response period")
    if state.extended_on is not None:
        raise TransitionRefused(f"the request was extended already, on {state.extended_on}")
    first = deadlines(state, clocks).get("response")
    if first is not None and on > first:
        raise TransitionRefused(
            f"an extension must be notified before the first deadline ({first}), not on {on}"
        )
    return replace(state, extended_on=on)


def deadlines(state: State, clocks: Clocks) -> dict[str, dt.date | None]:
    """The request's deadlines: acknowledgement (where the profile asks for one) and response
    (None while a clock that starts at verification waits for it)."""
    out: dict[str, dt.date | None] = {}
    if clocks.acknowledge is not None:
        out["acknowledge"] = add_period(state.received_on, clocks.acknowledge, clocks.calendar)
    period = clocks.opt_out if state.kind is Kind.OPT_OUT and clocks.opt_out else clocks.response
    start = state.received_on if clocks.starts == "receipt" else state.verified_on
    if start is None:
        out["response"] = None
    elif state.extended_on is not None and clocks.extension is not None:
        out["response"] = extended(start, period, clocks.extension, clocks.calendar)
    else:
        out["response"] = add_period(start, period, clocks.calendar)
    return out


def overdue(state: State, clocks: Clocks, today: dt.date) -> list[str]:
    """Which deadlines have passed with their step undone, as of `today`."""
    late = []
    due = deadlines(state, clocks)
    ack = due.get("acknowledge")
    if ack is not None and state.status is Status.RECEIVED and today > ack:
        late.append("acknowledge")
    response = due.get("response")
    if response is not None and state.open and today > response:
        late.append("response")
    return late
