"""The regime's levers: the schema of every adjustable parameter the rules read, and the values
in force on one date.

The lever *schema* belongs to the framework (the adjustments table names the levers); the dated
*values* are data kept by `distillgov.jurisdictions`, which resolves them into `ResolvedLevers`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from distillgov.framework.citations import Citation
from distillgov.framework.vocabulary import (
    ClauseReach,
    Deployment,
    ExclusivityModel,
    LicenceTrigger,
    Purpose,
    RateSetter,
)

REQUIRED = "required"  # a lever every standalone profile must give


@dataclass(frozen=True, slots=True)
class Lever:
    """One adjustable parameter of the regime."""

    name: str
    kind: str  # "int" | "bool" | "enum" | "set" | "percent" (a decimal 0-100, or null: unset)
    meaning: str
    source: Citation  # where in the framework the lever itself comes from
    choices: tuple[str, ...] = ()  # allowed values of an enum, or of a set's members
    # A lever added after profiles were written has a default, so a profile written before it
    # stays valid; `REQUIRED` levers must be given by every standalone profile.
    default: Any = REQUIRED


def _values(enum: Any) -> tuple[str, ...]:
    return tuple(m.value for m in enum)


LEVERS: dict[str, Lever] = {
    lever.name: lever
    for lever in (
        Lever(
            "exclusivity.months",
            "int",
            "Months after the teacher's release during which cloning needs its owner's consent.",
            Citation("adjustments", "exclusivity_time"),
        ),
        Lever(
            "exclusivity.model",
            "enum",
            "Whether the exclusivity time comes before the compulsory-licence window or is it.",
            Citation("adjustments", "exclusivity_time"),
            _values(ExclusivityModel),
        ),
        Lever(
            "licence_window.months",
            "int",
            "Length of the compulsory-licence window with a usage-based royalty.",
            Citation("types", "commercial_cloning"),
        ),
        Lever(
            "royalty.compulsory_licence_trigger",
            "enum",
            "When the compulsory licence is available to a cloner without the owner's consent.",
            Citation("adjustments", "royalty_rules"),
            _values(LicenceTrigger),
        ),
        Lever(
            "royalty.rate_setter",
            "enum",
            "Who sets the royalty rate of the compulsory licence.",
            Citation("adjustments", "royalty_rules"),
            _values(RateSetter),
        ),
        Lever(
            "royalty.shared_with_creators",
            "bool",
            "Whether royalties are shared with creators through a collective rights body.",
            Citation("adjustments", "royalty_rules"),
        ),
        Lever(
            "royalty.revenue_percent",
            "percent",
            "A royalty rate the regime itself fixes, as a percentage of the licensee's revenue "
            "from the student; null where the rate-setter's tariff schedule decides.",
            Citation("adjustments", "royalty_rules"),
            default=None,
        ),
        Lever(
            "contract.anti_distillation_clauses",
            "enum",
            "How far a teacher's clause against distillation reaches.",
            Citation("adjustments", "contract_reach"),
            _values(ClauseReach),
        ),
        Lever(
            "contract.research_clause_waivable",
            "bool",
            "Whether terms can validly forbid research use (else such clauses are void).",
            Citation("adjustments", "contract_reach"),
        ),
        Lever(
            "research.purposes",
            "set",
            "Purposes the research carve-out covers.",
            Citation("adjustments", "research_carveout"),
            _values(Purpose),
        ),
        Lever(
            "research.deployments",
            "set",
            "Deployments of the student the research carve-out tolerates.",
            Citation("adjustments", "research_carveout"),
            _values(Deployment),
        ),
        Lever(
            "de_minimis.max_outputs",
            "int",
            "Most teacher outputs a one-off, non-training use may involve and stay de minimis.",
            Citation("policies", "de_minimis"),
        ),
        Lever(
            "transformative.safety_reciprocity",
            "bool",
            "Whether transformative use must share its safety improvements back.",
            Citation("types", "transformative"),
        ),
    )
}


def check_value(lever: Lever, value: Any) -> Any:
    """Typed value for a lever, or ValueError with the reason."""
    if lever.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("must be a whole number, 0 or more")
        return value
    if lever.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if lever.kind == "percent":
        return _percent(value)
    if lever.kind == "enum":
        if value not in lever.choices:
            raise ValueError(f"must be one of: {', '.join(lever.choices)}")
        return value
    if not isinstance(value, list) or any(v not in lever.choices for v in value):
        raise ValueError(f"must be a list of: {', '.join(lever.choices)}")
    return frozenset(value)


def _percent(value: Any) -> str | None:
    """A percentage kept as the decimal text it was given (money is exact downstream)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be a percentage from 0 to 100, or null")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("must be a percentage from 0 to 100, or null") from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise ValueError("must be a percentage from 0 to 100, or null")
    return str(value)


@dataclass(frozen=True, slots=True)
class TypedValue:
    effective_from: dt.date
    value: Any
    cite: Citation
    note: str


@dataclass(frozen=True, slots=True)
class Regime:
    """Which profile the levers come from, as a determination names it."""

    id: str
    name: str
    hash: str  # the profile's content hash

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "hash": self.hash}


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: one object per profile and date
class ResolvedLevers:
    """The lever values in force on one date: what the rules read, and where each came from."""

    values: dict[str, Any]
    sources: dict[str, TypedValue]
    version: tuple[int, ...]  # which dated entry of each lever; equal tuples = same values
    regime: Regime
