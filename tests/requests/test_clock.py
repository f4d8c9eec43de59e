"""Deadline arithmetic, checked by hand against the calendars: weekends, public holidays, China's
weekend working days, month ends, extensions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.framework.levers import parse_period
from distillgov.requests.clock import (
    Calendar,
    add_business_days,
    add_period,
    business_days_between,
    extended,
)

D = dt.date
WEEKENDS = Calendar("weekends_only")
US, CN, BR = Calendar("us_federal"), Calendar("cn_national"), Calendar("br_national")


@pytest.mark.parametrize(
    ("start", "period", "cal", "due"),
    [
        # Calendar days never roll: the CCPA's 45 days end on a Sunday if that is day 45.
        (D(2026, 1, 5), "45 days", US, D(2026, 2, 19)),
        (D(2026, 2, 2), "45 days", US, D(2026, 3, 19)),
        (D(2026, 3, 30), "6 days", US, D(2026, 4, 5)),  # a Sunday, kept
        # Business days skip weekends and the calendar's holidays.
        (D(2026, 2, 2), "10 business days", US, D(2026, 2, 17)),  # Presidents' Day 16 Feb
        (D(2026, 12, 23), "3 business days", US, D(2026, 12, 29)),  # Christmas on a Friday
        (D(2026, 11, 25), "1 business day", US, D(2026, 11, 27)),  # Thanksgiving 26 Nov
        (D(2026, 11, 25), "1 business day", WEEKENDS, D(2026, 11, 26)),
        # China: the Spring Festival week off, and the Sunday 26 Jan 2025 worked in its place.
        (D(2025, 1, 24), "1 business day", CN, D(2025, 1, 26)),
        (D(2025, 1, 24), "3 business days", CN, D(2025, 2, 5)),
        (D(2025, 1, 24), "15 business days", CN, D(2025, 2, 20)),  # Sat 8 Feb worked too
        (D(2025, 9, 26), "2 business days", CN, D(2025, 9, 29)),  # Sun 28 Sep 2025 is worked
        # Brazil: Tiradentes (21 Apr) and Labour Day.
        (D(2026, 4, 20), "2 business days", BR, D(2026, 4, 23)),
        # A month: the same date next month, the month's last day if it has none, then the next
        # working day (the ICO's counting).
        (D(2026, 9, 3), "1 month", WEEKENDS, D(2026, 10, 5)),  # 3 Oct 2026 is a Saturday
        (D(2026, 3, 10), "1 month", WEEKENDS, D(2026, 4, 10)),
        (D(2026, 1, 31), "1 month", WEEKENDS, D(2026, 3, 2)),  # 28 Feb is a Saturday
        (D(2024, 1, 31), "1 month", WEEKENDS, D(2024, 2, 29)),  # leap year
        (D(2026, 11, 30), "3 months", WEEKENDS, D(2027, 3, 1)),  # 28 Feb 2027 is a Sunday
    ],
)
def test_deadlines_counted_by_hand(
    start: dt.date, period: str, cal: Calendar, due: dt.date
) -> None:
    assert add_period(start, period, cal) == due


def test_an_extension_counts_from_the_same_start() -> None:
    # The GDPR: one month plus two is three months from receipt, not two months from the first
    # deadline (31 Jan + 1 month = 28 Feb -> 2 Mar; three months from 31 Jan = 30 Apr).
    assert extended(D(2026, 1, 31), "1 month", "2 months", WEEKENDS) == D(2026, 4, 30)
    assert extended(D(2026, 2, 2), "45 days", "45 days", US) == D(2026, 5, 3)
    # Mixed units run on from the first deadline.
    assert extended(D(2026, 2, 2), "10 business days", "1 month", US) == D(2026, 3, 17)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("1 month", "1 month"), ("2 Months", "2 months"), ("10 working days", "10 business days"),
     ("45  days", "45 days"), ("1 business day", "1 business day")],
)  # fmt: skip
def test_periods_parse_to_one_spelling(text: str, canonical: str) -> None:
    assert str(parse_period(text)) == canonical


@pytest.mark.parametrize("bad", ["", "month", "-3 days", "1.5 months", "3 fortnights", "0 days",
                                 "4000 days", 45, None])  # fmt: skip
def test_a_bad_period_says_what_a_period_looks_like(bad: object) -> None:
    with pytest.raises(ValueError, match=r"must be a period such as|at least 1 day"):
        parse_period(bad)


@settings(deadline=None)  # the first call may load a year of holidays
@given(
    st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 6, 30)),
    st.integers(min_value=0, max_value=60),
    st.sampled_from([WEEKENDS, US, CN, BR]),
)
def test_business_days_land_on_a_working_day_and_count_back(
    start: dt.date, n: int, cal: Calendar
) -> None:
    due = add_business_days(start, n, cal)
    assert business_days_between(start, due, cal) == n
    if n:
        assert cal.is_working_day(due)
        assert business_days_between(start, due - dt.timedelta(days=1), cal) != n


@settings(deadline=None)  # the first call may load a year of holidays
@given(
    st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 6, 30)),
    st.integers(min_value=1, max_value=12),
    st.sampled_from([WEEKENDS, US, CN, BR]),
)
def test_a_month_deadline_is_a_working_day_within_a_few_days_of_the_date(
    start: dt.date, months: int, cal: Calendar
) -> None:
    due = add_period(start, f"{months} months", cal)
    assert cal.is_working_day(due)
    assert due > start
    # China's longest run of days off (Spring Festival or National Day) is nine days.
    month = (start.month - 1 + months) % 12 + 1
    assert due.month == month or (due - dt.timedelta(days=10)).month == month
