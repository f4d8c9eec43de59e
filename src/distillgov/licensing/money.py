"""Money as integers of a currency's minor unit, with explicit rounding, and splits that always sum
to the whole (largest remainder).

Amounts are computed exactly (as Fractions) and rounded once, half to even, to the minor unit. A
split of an amount among shares gives each its floor and then hands the units left over, one
each, to the largest remainders (ties to the earlier share), so the parts sum to the whole,
to the minor unit, always.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from math import gcd

import numpy as np

from distillgov.errors import DistillgovError

# ISO 4217 minor-unit exponents of the currencies a clearinghouse here is likely to see.
EXPONENTS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CNY": 2, "HKD": 2, "INR": 2, "BRL": 2, "ZAR": 2, "NGN": 2,
    "KES": 2, "IDR": 2, "MXN": 2, "CAD": 2, "AUD": 2, "CHF": 2, "SGD": 2, "KRW": 0, "JPY": 0,
    "VND": 0, "CLP": 0, "KWD": 3, "BHD": 3, "TND": 3,
}  # fmt: skip


class MoneyError(DistillgovError):
    """An amount or currency that cannot be taken as money."""


def exponent(currency: str) -> int:
    try:
        return EXPONENTS[currency]
    except KeyError:
        known = ", ".join(sorted(EXPONENTS))
        raise MoneyError(f"currency {currency!r} is not one we know (known: {known})") from None


def to_minor(amount: str | Decimal | int, currency: str) -> int:
    """A decimal amount in major units ('1234.56') as integer minor units; refuses sub-minor
    digits rather than rounding money someone reported."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise MoneyError(f"{amount!r} is not a number") from None
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a finite amount")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            f"{amount!r} has more decimals than {currency} has minor units ({exponent(currency)})"
        )
    return int(scaled)


def format_minor(minor: int, currency: str) -> str:
    e = exponent(currency)
    sign, digits = ("-" if minor < 0 else ""), str(abs(minor)).rjust(e + 1, "0")
    return f"{sign}{digits[:-e]}.{digits[-e:]}" if e else f"{sign}{digits}"


def round_half_even(value: Fraction) -> int:
    """The nearest integer, ties to even: the one rounding every computed amount goes through."""
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1):
        return floor + 1
    return floor


def split(total: int, weights: Sequence[int | Fraction | Decimal]) -> list[int]:
    """`total` minor units in proportion to `weights` (non-negative, not all zero), by largest
    remainder; the parts sum to `total` exactly."""
    if total < 0:
        raise MoneyError(f"cannot split a negative amount ({total})")
    whole_weights = _integer_weights(tuple(weights))
    whole = sum(whole_weights)
    # total * w / whole exactly, in integers: its floor and its remainder (over `whole`).
    parts, remainders = [], []
    for w in whole_weights:
        part, remainder = divmod(total * w, whole)
        parts.append(part)
        remainders.append(remainder)
    left = total - sum(parts)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


@lru_cache(maxsize=1024)
def _integer_weights(weights: tuple[int | Fraction | Decimal, ...]) -> tuple[int, ...]:
    """The same proportions as whole numbers (over the weights' common denominator): splits
    run in integer arithmetic, and a tariff's split is converted once."""
    fractions = [Fraction(w) for w in weights]
    if any(w < 0 for w in fractions) or not any(fractions):
        raise MoneyError("split weights must be non-negative and not all zero")
    common = 1
    for f in fractions:
        common = common * f.denominator // gcd(common, f.denominator)
    return tuple(int(f * common) for f in fractions)


def split_many(total: int, weights: np.ndarray) -> np.ndarray:
    """`split` for a million integer weights at once (NumPy, exact integer arithmetic)."""
    w = np.asarray(weights, dtype=np.int64)
    if total < 0 or (w < 0).any() or not w.any():
        raise MoneyError("split needs a non-negative total and non-negative, non-zero weights")
    whole = int(w.sum())
    if total * int(w.max()) >= 2**62:  # the products below must fit in 64 bits
        return np.array(split(total, [int(x) for x in w]), dtype=np.int64)
    product = w * total
    parts, remainder = np.divmod(product, whole)
    left = total - int(parts.sum())
    if left:
        # Largest remainder first; among equal remainders the earlier share (a stable sort).
        order = np.argsort(-remainder, kind="stable")
        parts[order[:left]] += 1
    return parts
