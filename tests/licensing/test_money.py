"""Money: exact amounts, one explicit rounding, and splits that sum to the whole, always."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from distillgov.licensing.money import (
    EXPONENTS,
    MoneyError,
    format_minor,
    round_half_even,
    split,
    split_many,
    to_minor,
)


def test_amounts_convert_exactly_and_refuse_sub_minor_digits() -> None:
    assert to_minor("1234.56", "USD") == 123456
    assert to_minor("7", "JPY") == 7
    assert to_minor("1.234", "KWD") == 1234
    with pytest.raises(MoneyError, match="more decimals than USD has minor units"):
        to_minor("0.001", "USD")
    with pytest.raises(MoneyError, match="not a number"):
        to_minor("12,50", "EUR")
    with pytest.raises(MoneyError, match="'XYZ' is not one we know"):
        to_minor("1", "XYZ")
    assert format_minor(-5, "USD") == "-0.05" and format_minor(1234, "KWD") == "1.234"
    assert format_minor(12, "JPY") == "12"


def test_rounding_is_half_to_even() -> None:
    assert [round_half_even(Fraction(n, 2)) for n in (1, 3, 5, -1, -3)] == [0, 2, 2, 0, -2]
    assert round_half_even(Fraction(2675, 1000)) == 3 and round_half_even(Fraction(1, 3)) == 0


def test_largest_remainder_gives_leftover_units_to_the_largest_remainders() -> None:
    assert split(100, [1, 1, 1]) == [34, 33, 33]  # ties go to the earlier share
    assert split(10, [Fraction(6, 10), Fraction(15, 100), Fraction(25, 100)]) == [6, 2, 2]
    assert split(0, [1, 2]) == [0, 0]
    with pytest.raises(MoneyError):
        split(5, [0, 0])


@given(
    total=st.integers(min_value=0, max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60).filter(
        any
    ),
    currency=st.sampled_from(sorted(EXPONENTS)),
)
def test_every_split_sums_to_its_whole_and_follows_the_weights(
    total: int, weights: list[int], currency: str
) -> None:
    parts = split(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, whole)
        assert exact - 1 < part < exact + 1  # never more than one minor unit off
        assert weight or part == 0
    assert format_minor(sum(parts), currency) == format_minor(total, currency)
    assert split_many(total, np.array(weights)).tolist() == parts


def test_a_million_shares_split_exactly() -> None:
    rng = np.random.default_rng(1)
    weights = rng.integers(1, 5_000, 1_000_000)
    parts = split_many(987_654_321_99, weights)
    assert int(parts.sum()) == 987_654_321_99 and (parts >= 0).all()
