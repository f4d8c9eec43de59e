"""The determination: what the framework says about one case, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson


@dataclass(slots=True)
class ObligationResult:
    id: str
    what: str
    applies: bool | None  # None: it may apply, depending on a missing fact
    status: str | None  # met | due | ongoing | breached, None when unknown
    due: str | None  # ISO date
    due_basis: str  # what the due date is
    source: dict[str, str]
    conditions_immunity: bool = False  # a breach suspends the case's safe harbours

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "what": self.what,
            "applies": self.applies,
            "status": self.status,
            "due": self.due,
            "due_basis": self.due_basis,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class MissingFact:
    fact: str
    question: str
    outcomes: tuple[dict[str, Any], ...]  # one per value tried

    def as_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "question": self.question, "outcomes": list(self.outcomes)}


@dataclass(eq=False)
class Determination:
    """Treat as immutable once made (not frozen only because freezing slows every assessment)."""

    case: dict[str, Any]
    assessed_on: str
    profile: dict[str, str]
    category: str | None
    rule: str | None
    compliant: bool | None
    decision: str | None
    summary: str
    obligations: tuple[ObligationResult, ...]
    violations: tuple[str, ...]
    immunities: tuple[dict[str, Any], ...]
    royalty: dict[str, Any]
    trace_builder: Callable[[], tuple[dict[str, Any], ...]]
    lenses: dict[str, Any]
    missing_facts: tuple[MissingFact, ...]
    levers: dict[str, Any]
    framework_version: str
    consequences: tuple[dict[str, Any], ...] = ()  # what the category entails (illicit: its ban)
    scope: str = ""  # which profile this applies, and that it speaks for no other
    settled: dict[str, Any] = field(default_factory=dict)  # what every answer agrees on
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def trace(self) -> tuple[dict[str, Any], ...]:
        """The ordered trace. Recorded during assessment; rendered to lines on first use."""
        return self.trace_builder()

    @property
    def determined(self) -> bool:
        return self.category is not None and self.rule is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "assessed_on": self.assessed_on,
            "profile": self.profile,
            "determined": self.determined,
            "category": self.category,
            "rule": self.rule,
            "compliant": self.compliant,
            "decision_row": self.decision,
            "summary": self.summary,
            "obligations": [o.as_dict() for o in self.obligations],
            "violations": list(self.violations),
            "immunities": list(self.immunities),
            "royalty": self.royalty,
            "consequences": list(self.consequences),
            "settled": self.settled,
            "scope": self.scope,
            "missing_facts": [m.as_dict() for m in self.missing_facts],
            "trace": list(self.trace),
            "lenses": self.lenses,
            "levers": self.levers,
            "framework_version": self.framework_version,
            **self.extra,
        }

    def to_json(self) -> str:
        """Canonical JSON: the same determination always gives the same bytes (fields in a fixed
        order, two-space indent, UTF-8)."""
        return orjson.dumps(self.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"

    def row(self) -> dict[str, Any]:
        """The flat projection the batch evaluator produces, for comparison and for tables."""
        return {
            "case_id": self.case.get("id"),
            "category": self.category,
            "rule": self.rule,
            "compliant": self.compliant,
            "determined": self.determined,
            "obligations": ";".join(
                f"{o.id}:{o.status or 'unknown'}" + ("" if o.applies else "?")
                for o in self.obligations
            ),
            "violations": ";".join(self.violations),
            "immunities": ";".join(
                f"{i['id']}:{_IMMUNITY_STATE[i['holds']]}" for i in self.immunities
            ),
            "royalty_due": self.royalty["due"],
            "window_start": self.royalty["window_start"],
            "window_end": self.royalty["window_end"],
            "missing_facts": ";".join(m.fact for m in self.missing_facts),
        }


_IMMUNITY_STATE = {True: "holds", False: "suspended", None: "unknown"}

ROW_COLUMNS = (
    "case_id",
    "category",
    "rule",
    "compliant",
    "determined",
    "obligations",
    "violations",
    "immunities",
    "royalty_due",
    "window_start",
    "window_end",
    "missing_facts",
)
