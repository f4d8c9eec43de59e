"""Royalty tariffs: each jurisdiction profile's rate schedule, layered split and collective-pool
rules, as dated, cited data (`schedules/<profile>.yaml`).

A schedule is a tree of the forms real tariffs use: a rate per unit (per million tokens, per
request), a percentage of revenue, marginal tiers by receipts, the greater of several, plus a
minimum per period. Who sets it must be who the profile's `royalty.rate_setter` lever says, and a
profile whose `royalty.shared_with_creators` lever is false gives creators no share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from distillgov.errors import DistillgovError, InputFileError, problems_from
from distillgov.framework.citations import Citation
from distillgov.inputs import decode_text, parse_yaml
from distillgov.licensing.money import MoneyError, exponent, round_half_even

UNIT_SIZES = {"million_tokens": 1_000_000, "thousand_requests": 1_000, "request": 1, "token": 1}


# A tariff's figures as exact fractions, converted once (a settlement applies them thousands of
# times; Fraction(Decimal) is the slow part of each royalty).
@lru_cache(maxsize=4096)
def _per_unit(price: Decimal, unit: str, e: int) -> Fraction:
    rate: Fraction = Fraction(price) * 10**e / UNIT_SIZES[unit]
    return rate


@lru_cache(maxsize=4096)
def _share_of(percent: Decimal) -> Fraction:
    return Fraction(percent) / 100


@lru_cache(maxsize=4096)
def _minor(amount: Decimal, e: int) -> Fraction:
    minor: Fraction = Fraction(amount) * 10**e
    return minor


class TariffError(DistillgovError):
    """A tariff file that does not hold together."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _cited(text: str) -> str:
    Citation.parse(text)  # raises ValueError naming what is wrong
    return text


Cite = Annotated[str, AfterValidator(_cited)]


def _known_currency(code: str) -> str:
    try:
        exponent(code)
    except MoneyError as exc:
        raise ValueError(exc.message) from None
    return code


class PerUnit(_Strict):
    per_unit: Annotated[
        dict[Literal["million_tokens", "thousand_requests", "request", "token"], Decimal],
        Field(min_length=1, max_length=1, description="{unit: price in major units}"),
    ]

    def amount(self, units: Fraction, revenue: Fraction, e: int) -> Fraction:
        ((unit, price),) = self.per_unit.items()
        return units * _per_unit(price, unit, e)

    def kernel(self, e: int) -> Kernel | None:
        ((unit, price),) = self.per_unit.items()
        rn, rd = _per_unit(price, unit, e).as_integer_ratio()
        return lambda u, r, sn, sd: (u * sn * rn, sd * rd)


class PercentOfRevenue(_Strict):
    percent_of_revenue: Decimal = Field(ge=0, le=100)

    def amount(self, units: Fraction, revenue: Fraction, e: int) -> Fraction:
        return revenue * _share_of(self.percent_of_revenue)

    def kernel(self, e: int) -> Kernel | None:
        pn, pd = _share_of(self.percent_of_revenue).as_integer_ratio()
        return lambda u, r, sn, sd: (r * sn * pn, sd * pd)


class Tier(_Strict):
    up_to: Decimal | None = Field(None, description="Receipts in major units; none: no ceiling.")
    percent: Decimal = Field(ge=0, le=100)


class Tiered(_Strict):
    """Marginal rates by receipts in the period: each tier's percent applies to the revenue that
    falls within it."""

    tiered: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> Tiered:
        ceilings = [t.up_to for t in self.tiered]
        if any(c is None for c in ceilings[:-1]):
            raise ValueError("only the last tier may have no ceiling")
        bounded = [c for c in ceilings if c is not None]
        if bounded != sorted(bounded) or len(set(bounded)) != len(bounded):
            raise ValueError("tier ceilings must rise")
        return self

    def amount(self, units: Fraction, revenue: Fraction, e: int) -> Fraction:
        total, floor = Fraction(0), Fraction(0)
        for tier in self.tiered:
            ceiling = None if tier.up_to is None else Fraction(tier.up_to) * 10**e
            band = (revenue if ceiling is None else min(revenue, ceiling)) - floor
            if band <= 0:
                break
            total += band * Fraction(tier.percent) / 100
            if ceiling is None:
                break
            floor = ceiling
        return total

    def kernel(self, e: int) -> Kernel | None:
        return None  # rare; the exact fractions of `amount` serve


class GreaterOf(_Strict):
    greater_of: list[Formula] = Field(min_length=2)

    def amount(self, units: Fraction, revenue: Fraction, e: int) -> Fraction:
        return max(f.amount(units, revenue, e) for f in self.greater_of)

    def kernel(self, e: int) -> Kernel | None:
        parts = [f.kernel(e) for f in self.greater_of]
        if any(k is None for k in parts):
            return None
        kernels = [k for k in parts if k is not None]

        def greatest(u: int, r: int, sn: int, sd: int) -> tuple[int, int]:
            best = kernels[0](u, r, sn, sd)
            for k in kernels[1:]:
                n, d = k(u, r, sn, sd)
                if n * best[1] > best[0] * d:
                    best = (n, d)
            return best

        return greatest


Formula = PerUnit | PercentOfRevenue | Tiered | GreaterOf
# A formula in integers: (units, revenue in minor units, share numerator, share denominator) to
# the amount as a numerator and a positive denominator, unreduced. A settlement applies its
# tariffs thousands of times, and Fraction's arithmetic was a third of a run's own time.
Kernel = Callable[[int, int, int, int], tuple[int, int]]
GreaterOf.model_rebuild()


class Split(_Strict):
    """The layered (Lockean) split of each royalty: shares summing to one."""

    teacher_developer: Decimal = Field(ge=0, le=1)
    data_creators: Decimal = Field(ge=0, le=1)
    collective_pool: Decimal = Field(ge=0, le=1)
    cite: Cite

    @model_validator(mode="after")
    def _whole(self) -> Split:
        if self.teacher_developer + self.data_creators + self.collective_pool != 1:
            raise ValueError("the three shares must sum to 1")
        return self

    def weights(self) -> list[Decimal]:
        return [self.teacher_developer, self.data_creators, self.collective_pool]


class PoolRules(_Strict):
    admin_deduction: Decimal = Field(ge=0, lt=1, description="Share kept for administration.")
    minimum_payout: Decimal = Field(ge=0, description="Major units; smaller amounts carry forward.")
    hold_days: int = Field(ge=0, description="How long unmatched claims' shares are held.")
    cite: Cite


class Tariff(_Strict):
    from_: dt.date = Field(alias="from")
    currency: Annotated[str, AfterValidator(_known_currency)]
    set_by: Literal["negotiated", "state", "tribunal", "collective_body"]
    schedule: Formula
    minimum_per_period: Decimal = Field(Decimal(0), ge=0, description="Major units.")
    cite: Cite
    note: str | None = None
    split: Split
    pool: PoolRules
    payment_terms_days: int = Field(
        30, ge=0, le=365, description="Days from an invoice's issue to its due date."
    )
    late_interest_percent: Decimal = Field(
        Decimal(0), ge=0, le=100, description="Simple interest a year on what is overdue."
    )

    def royalty(self, units: Fraction, revenue_minor: Fraction, share: Fraction) -> int:
        """The royalty for one period, in minor units. `share` is the part of the period inside
        the licence window; usage, revenue and the minimum are pro-rated by it."""
        e = exponent(self.currency)
        due = self.schedule.amount(units * share, revenue_minor * share, e)
        minimum = _minor(self.minimum_per_period, e) * share
        return round_half_even(max(due, minimum))

    def royalty_function(self) -> Callable[[int, int, int, int], int]:
        """`royalty` as a function of whole numbers (units, revenue in minor units, and the
        share as numerator and denominator), the same exact result in integer arithmetic; for
        settling many periods under one tariff."""
        e = exponent(self.currency)
        kernel = self.schedule.kernel(e)
        if kernel is None:
            return lambda u, r, sn, sd: self.royalty(Fraction(u), Fraction(r), Fraction(sn, sd))
        mn, md = _minor(self.minimum_per_period, e).as_integer_ratio()
        formula = kernel

        def royalty(u: int, r: int, sn: int, sd: int) -> int:
            n, d = formula(u, r, sn, sd)
            if mn * sn * d > n * md * sd:  # the minimum, pro rata, is more
                n, d = mn * sn, md * sd
            whole, rest = divmod(n, d)  # d > 0: floor division, then ties to even
            return whole + (2 * rest > d or (2 * rest == d and whole % 2 == 1))

        return royalty


class TariffFile(_Strict):
    profile: str
    versions: list[Tariff] = Field(min_length=1)

    def as_of(self, day: dt.date) -> Tariff:
        usable = [v for v in self.versions if v.from_ <= day]
        if not usable:
            raise TariffError(f"tariff '{self.profile}': nothing in force on {day}")
        return max(usable, key=lambda v: v.from_)


def _read(path: Path | Any, origin: str) -> TariffFile:
    try:
        return TariffFile.model_validate(parse_yaml(decode_text(path.read_bytes(), origin), origin))
    except InputFileError as exc:
        raise TariffError(exc.message) from None
    except OSError as exc:
        raise TariffError(f"{origin}: cannot read: {exc.strerror}") from None
    except ValidationError as exc:
        raise TariffError(f"{origin}: invalid tariff", problems_from(exc, TariffFile)) from None


@cache
def builtin(profile_id: str) -> TariffFile:
    path = resources.files("distillgov.licensing") / "schedules" / f"{profile_id}.yaml"
    if not path.is_file():
        raise TariffError(f"no built-in tariff for profile '{profile_id}'")
    return _read(path, f"schedules/{profile_id}.yaml")


def schedules_for(profile: Any, given: TariffFile | None = None) -> TariffFile:
    """The tariff versions for a profile: a user's file (its `profile` must be the profile or
    the built-in one it extends), else the built-in schedule of the profile or of its parent."""
    if given is not None:
        if given.profile not in (profile.id, profile.extends):
            raise TariffError(
                f"field 'profile', value {given.profile!r}: the tariff file is for another "
                f"profile than '{profile.id}'"
            )
        return given
    try:
        return builtin(profile.id)
    except TariffError:
        if not profile.extends:
            raise
        return builtin(profile.extends)


def resolved(profile: Any, version: Tariff, day: dt.date) -> Tariff:
    """A tariff version as it applies under a profile on a day: replaced by a percentage of
    revenue where the profile's `royalty.revenue_percent` lever fixes the rate, and checked
    against the profile's royalty levers."""
    levers = profile.as_of(day).values
    fixed = levers.get("royalty.revenue_percent")
    if fixed is not None:
        version = version.model_copy(
            update={
                "schedule": PercentOfRevenue(percent_of_revenue=Decimal(fixed)),
                "note": f"rate fixed by profile '{profile.id}': royalty.revenue_percent {fixed}",
            }
        )
    check_against_profile(version, levers, profile.id)
    return version


def in_force(profile: Any, on: dt.date, given: TariffFile | None = None) -> Tariff:
    """The tariff a licence under `profile` opens with on a date (see `schedules_for` and
    `resolved`)."""
    return resolved(profile, schedules_for(profile, given).as_of(on), on)


def later_periods(profile: Any, on: dt.date, given: TariffFile | None = None) -> list[Tariff]:
    """The rate periods that begin after `on`, each as it will apply from its own date."""
    schedules = schedules_for(profile, given)
    return [
        resolved(profile, v, v.from_)
        for v in sorted(schedules.versions, key=lambda v: v.from_)
        if v.from_ > on
    ]


def load(path: Path) -> TariffFile:
    return _read(path, str(path))


def check_against_profile(tariff: Tariff, levers: dict[str, Any], profile_id: str) -> None:
    """A tariff may not contradict its profile's royalty levers."""
    setter = levers.get("royalty.rate_setter")
    if setter is not None and setter != tariff.set_by:
        raise TariffError(
            f"tariff for '{profile_id}': field 'set_by', value {tariff.set_by!r}: the profile's "
            f"royalty.rate_setter lever says {setter!r}"
        )
    if levers.get("royalty.shared_with_creators") is False and (
        tariff.split.data_creators or tariff.split.collective_pool
    ):
        raise TariffError(
            f"tariff for '{profile_id}': field 'split': the profile does not share royalties "
            "with creators (royalty.shared_with_creators is false)"
        )
