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
    ReservationEffect,
)

REQUIRED = "required"  # a lever every standalone profile must give


@dataclass(frozen=True, slots=True)
class Lever:
    """One adjustable parameter of the regime."""

    name: str
    # "int" | "bool" | "enum" | "set" | "percent" (a decimal 0-100, or null: unset) |
    # "period" (a length of time such as "1 month", "45 days", "10 business days", or null: none)
    kind: str
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
        Lever(
            "consent.reserved_works",
            "enum",
            "What a creator's machine-readable reservation of a work from AI training does: "
            "binding (leave the work out or license it), collective (use it under the "
            "collective licence) or informational (no legal effect).",
            Citation("stakeholders", "content_creators"),
            _values(ReservationEffect),
            default="informational",
        ),
        # The privacy row asks for access, deletion and opt-out rights but sets no clocks: the
        # profiles take them from a real regime each (docs/privacy.md; interpretations 82-86).
        Lever(
            "privacy.acknowledge_period",
            "period",
            "Time to confirm receipt of a data subject's request; null where no regime asks.",
            Citation("policies", "privacy"),
            default=None,
        ),
        Lever(
            "privacy.response_period",
            "period",
            "Time to answer a data subject's access, deletion or correction request.",
            Citation("policies", "privacy"),
            default="1 month",
        ),
        Lever(
            "privacy.extension_period",
            "period",
            "Further time the organisation may take, by notice given before the first period "
            "ends; null where no extension is allowed.",
            Citation("policies", "privacy"),
            default="2 months",
        ),
        Lever(
            "privacy.opt_out_period",
            "period",
            "Time to honour an opt-out; null where the response period applies.",
            Citation("policies", "privacy"),
            default=None,
        ),
        Lever(
            "privacy.clock_starts",
            "enum",
            "Whether the response clock runs from receipt of the request or from the "
            "verification of the requester's identity.",
            Citation("policies", "privacy"),
            ("receipt", "verification"),
            default="verification",
        ),
        Lever(
            "privacy.opt_out_needs_verification",
            "bool",
            "Whether an opt-out, like the other requests, waits for the requester's identity to "
            "be verified.",
            Citation("policies", "privacy"),
            default=True,
        ),
        Lever(
            "privacy.records_months",
            "int",
            "Months a closed request's record is kept before its last identifiers are purged.",
            Citation("policies", "privacy"),
            default=24,
        ),
        Lever(
            "privacy.calendar",
            "enum",
            "Whose public holidays business days skip (weekends are always skipped, save the "
            "weekend working days a calendar declares).",
            Citation("policies", "privacy"),
            ("weekends_only", "us_federal", "cn_national", "br_national"),
            default="weekends_only",
        ),
        Lever(
            "privacy.downstream_duty",
            "enum",
            "What a deletion or opt-out against a dataset or a teacher requires of each "
            "registered student downstream of it.",
            Citation("policies", "privacy"),
            ("exclude_from_training", "filter_outputs", "retrain_or_unlearn"),
            default="retrain_or_unlearn",
        ),
        Lever(
            "privacy.downstream_period",
            "period",
            "Time a downstream student's owner has to carry out that duty.",
            Citation("policies", "privacy"),
            default="3 months",
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
    if lever.kind == "period":
        return None if value is None else str(parse_period(value))
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


PERIOD_UNITS = {
    "day": "days",
    "days": "days",
    "business day": "business days",
    "business days": "business days",
    "working day": "business days",
    "working days": "business days",
    "month": "months",
    "months": "months",
}


@dataclass(frozen=True, slots=True)
class Period:
    """A length of time as a law states it: calendar days, business days or calendar months."""

    amount: int
    unit: str  # "days" | "business days" | "months"

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit.removesuffix("s")
        return f"{self.amount} {unit}"


MAX_PERIOD_DAYS = 3660  # ten years: a longer clock is a typing error, not a law


def parse_period(value: Any) -> Period:
    """A period from its text ("1 month", "45 days", "10 business days"), or ValueError."""
    text = value.strip().lower() if isinstance(value, str) else None
    amount, _, unit = (text or "").partition(" ")
    unit = " ".join(unit.split())
    if not amount.isdigit() or unit not in PERIOD_UNITS:
        raise ValueError(
            "must be a period such as '1 month', '45 days' or '10 business days', or null"
        )
    period = Period(int(amount), PERIOD_UNITS[unit])
    days = period.amount * (31 if period.unit == "months" else 1)
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise ValueError("must be at least 1 day and at most ten years")
    return period


@dataclass(frozen=True, slots=True)
class TypedValue:
    effective_from: dt.date
    value: Any
    cite: Citation
    note: str
    # For a value the framework gives no number for (the privacy clocks): the real law it
    # follows, e.g. "Cal. Code Regs. tit. 11, s. 7021(b)".
    law: str = ""


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
