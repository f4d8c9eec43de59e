"""Tariffs: each form real tariffs use, the minimum, pro-rating, and consistency with profiles."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.jurisdictions import load_builtin
from distillgov.licensing.tariffs import (
    Tariff,
    TariffError,
    builtin,
    check_against_profile,
    load,
)

DAY = dt.date(2025, 1, 1)


def tariff(schedule: dict[str, object], minimum: str = "0") -> Tariff:
    return Tariff.model_validate(
        {
            "from": "2000-01-01",
            "currency": "USD",
            "set_by": "tribunal",
            "cite": "adjustments/royalty_rules/us",
            "schedule": schedule,
            "minimum_per_period": minimum,
            "split": {
                "teacher_developer": "1",
                "data_creators": "0",
                "collective_pool": "0",
                "cite": "lenses/lockean",
            },
            "pool": {
                "admin_deduction": "0.1",
                "minimum_payout": "10",
                "hold_days": 30,
                "cite": "policies/collective_licensing",
            },
        }
    )


def owed(t: Tariff, units: int, revenue_cents: int, share: Fraction = Fraction(1)) -> int:
    return t.royalty(Fraction(units), Fraction(revenue_cents), share)


def test_per_unit_percent_greater_of_and_minimum() -> None:
    per_token = tariff({"per_unit": {"million_tokens": "2.50"}})
    assert owed(per_token, 3_000_000, 0) == 750  # 3 x $2.50
    percent = tariff({"percent_of_revenue": "3"})
    assert owed(percent, 0, 1_000_000) == 30_000
    greater = tariff(
        {"greater_of": [{"per_unit": {"request": "0.01"}}, {"percent_of_revenue": "3"}]}
    )
    assert owed(greater, 10_000, 1_000_000) == 30_000  # the percentage is larger
    assert owed(greater, 5_000_000, 1_000_000) == 5_000_000  # the per-request price is larger
    floor = tariff({"percent_of_revenue": "3"}, minimum="500")
    assert owed(floor, 0, 0) == 50_000


def test_tiers_are_marginal_by_receipts() -> None:
    tiers = tariff(
        {
            "tiered": [
                {"up_to": "1000", "percent": "10"},
                {"up_to": "5000", "percent": "5"},
                {"percent": "1"},
            ]
        }
    )
    assert owed(tiers, 0, 100_000) == 10_000  # $1,000 at 10 %
    assert owed(tiers, 0, 300_000) == 10_000 + 10_000  # + $2,000 at 5 %
    assert owed(tiers, 0, 1_000_000) == 10_000 + 20_000 + 5_000  # + $5,000 at 1 %
    with pytest.raises(ValueError, match="tier ceilings must rise"):
        tariff({"tiered": [{"up_to": "5", "percent": "1"}, {"up_to": "2", "percent": "1"}]})


def test_a_straddling_period_is_pro_rated_and_rounded_once_half_to_even() -> None:
    t = tariff({"percent_of_revenue": "2.5"}, minimum="50")
    # 12 of May's 31 days inside the window: 2.5 % of 12/31 of $52,000.00 = $503.2258... -> 503.23
    assert owed(t, 0, 5_200_000, Fraction(12, 31)) == 50_323
    assert owed(t, 0, 0, Fraction(12, 31)) == round(5000 * 12 / 31)  # the minimum, pro-rated too
    assert owed(t, 10**9, 10**9, Fraction(0)) == 0


def test_builtin_tariffs_agree_with_their_profiles_royalty_levers() -> None:
    for profile_id in ("us", "cn", "global_south"):
        t = builtin(profile_id).as_of(DAY)
        levers = load_builtin(profile_id).as_of(DAY).values
        check_against_profile(t, levers, profile_id)
        assert t.set_by == levers["royalty.rate_setter"]
    assert builtin("global_south").as_of(DAY).split.collective_pool > 0
    assert builtin("us").as_of(DAY).split.teacher_developer == 1


def test_a_tariff_contradicting_its_profile_is_refused() -> None:
    t = builtin("global_south").as_of(DAY)
    us = load_builtin("us").as_of(DAY).values
    with pytest.raises(TariffError, match="field 'set_by', value 'collective_body'"):
        check_against_profile(t, us, "us")
    with pytest.raises(TariffError, match="does not share royalties with creators"):
        check_against_profile(t, {**us, "royalty.rate_setter": "collective_body"}, "us")


def test_a_bad_tariff_file_names_its_fields(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text(
        (Path(__file__).resolve().parents[2] / "src/distillgov/licensing/schedules/cn.yaml")
        .read_text()
        .replace('teacher_developer: "1"', 'teacher_developer: "0.9"')
        .replace("currency: CNY", "currency: XXX")
        .replace("cite: adjustments/royalty_rules/cn", "cite: adjustments/nowhere/cn", 1)
    )
    with pytest.raises(TariffError) as err:
        load(bad)
    text = "\n".join(err.value.lines())
    assert "the three shares must sum to 1" in text
    assert "'XXX' is not one we know" in text
    assert "nowhere" in text


_FORMS = st.sampled_from(
    [
        {"per_unit": {"million_tokens": "2.50"}},
        {"per_unit": {"request": "0.013"}},
        {"per_unit": {"thousand_requests": "0.7"}},
        {"percent_of_revenue": "3.25"},
        {"greater_of": [{"per_unit": {"token": "0.000007"}}, {"percent_of_revenue": "1.5"}]},
        {"greater_of": [{"percent_of_revenue": "2"}, {"tiered": [{"up_to": "10", "percent": "9"},
                                                                 {"percent": "1"}]}]},
        {"tiered": [{"up_to": "1000", "percent": "10"}, {"percent": "0.5"}]},
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    form=_FORMS,
    minimum=st.sampled_from(["0", "0.01", "12.345", "500"]),
    units=st.integers(0, 10**20),
    revenue=st.integers(0, 10**20),
    days=st.integers(28, 31),
    inside=st.integers(0, 31),
)
def test_royalty_in_integers_is_the_exact_royalty(
    form: dict[str, object], minimum: str, units: int, revenue: int, days: int, inside: int
) -> None:
    """What settlement runs (whole numbers) gives what the exact fractions give, ties and all."""
    t = tariff(form, minimum)
    inside = min(inside, days)
    assert t.royalty_function()(units, revenue, inside, days) == owed(
        t, units, revenue, Fraction(inside, days)
    )


def test_royalty_in_integers_rounds_half_to_even() -> None:
    half_cent = tariff({"per_unit": {"request": "0.005"}})  # half a cent a request
    at = half_cent.royalty_function()
    assert [at(n, 0, 1, 1) for n in (1, 3, 5, 7)] == [0, 2, 2, 4]  # 0.5, 1.5, 2.5, 3.5 cents
