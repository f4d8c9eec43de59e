"""Deadline arithmetic for data subjects' requests: calendar days, business days and calendar
months, over a profile's holiday calendar. Pure: the calendar is data, the dates are arguments.

How each unit counts (docs/privacy.md, interpretations 83):
- "N days": the Nth calendar day after the day of receipt; no roll-over (the CCPA's 45 days).
- "N business days": the Nth working day after the day of receipt; weekends and the calendar's
  holidays are skipped, and a weekend day the calendar declares a working day is counted.
- "N months": the same date N months on; a date the month lacks becomes its last day, and a
  deadline on a non-working day moves to the next working day (the UK ICO's reading of the
  GDPR's one month).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays

from distillgov.framework.levers import Period, parse_period

CALENDARS = ("weekends_only", "us_federal", "cn_national", "br_national")
# The holidays library's country codes (python-holidays, which keeps each country's official
# calendar, China's weekend working days included).
_COUNTRY = {"us_federal": "US", "cn_national": "CN", "br_national": "BR"}
MAX_BUSINESS_DAYS = 1000  # a bound on every walk over the calendar


@dataclass(frozen=True)
class Calendar:
    name: str

    def __post_init__(self) -> None:
        if self.name not in CALENDARS:
            raise ValueError(f"unknown calendar {self.name!r}; known: {', '.join(CALENDARS)}")

    def is_working_day(self, day: dt.date) -> bool:
        country = _COUNTRY.get(self.name)
        if country is None:
            return day.weekday() < 5
        return _year(country, day.year).is_working_day(day)

    def holiday_name(self, day: dt.date) -> str | None:
        country = _COUNTRY.get(self.name)
        return None if country is None else _year(country, day.year).get(day)


@lru_cache(maxsize=64)
def _year(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def add_business_days(start: dt.date, count: int, cal: Calendar) -> dt.date:
    if not 0 <= count <= MAX_BUSINESS_DAYS:
        raise ValueError(f"business days must be 0 to {MAX_BUSINESS_DAYS}, not {count}")
    day, left = start, count
    while left:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            left -= 1
    return day


def next_working_day(day: dt.date, cal: Calendar) -> dt.date:
    for _ in range(MAX_BUSINESS_DAYS):
        if cal.is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    raise ValueError(f"no working day within {MAX_BUSINESS_DAYS} days of {day}")  # pragma: no cover


def add_months(start: dt.date, months: int) -> dt.date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, _calendar.monthrange(year, month)[1]))


def add_period(start: dt.date, period: Period | str, cal: Calendar) -> dt.date:
    """The last day of `period` counted from `start` (the day of receipt or verification)."""
    p = parse_period(period) if isinstance(period, str) else period
    if p.unit == "days":
        return start + dt.timedelta(days=p.amount)
    if p.unit == "business days":
        return add_business_days(start, p.amount, cal)
    return next_working_day(add_months(start, p.amount), cal)


def extended(
    start: dt.date, first: Period | str, extension: Period | str, cal: Calendar
) -> dt.date:
    """The deadline after an extension, counted like the first period from the same start: for
    periods of one unit the two lengths are added (one month plus two is three months from the
    start, as the ICO counts it); otherwise the extension runs on from the first deadline."""
    a = parse_period(first) if isinstance(first, str) else first
    b = parse_period(extension) if isinstance(extension, str) else extension
    if a.unit == b.unit:
        return add_period(start, Period(a.amount + b.amount, a.unit), cal)
    return add_period(add_period(start, a, cal), b, cal)


def business_days_between(start: dt.date, end: dt.date, cal: Calendar) -> int:
    """Working days after `start` up to and including `end` (negative if `end` is earlier)."""
    if end < start:
        return -business_days_between(end, start, cal)
    if (end - start).days > MAX_BUSINESS_DAYS * 2:
        raise ValueError("dates more than 2,000 days apart")
    return sum(
        cal.is_working_day(start + dt.timedelta(days=i)) for i in range(1, (end - start).days + 1)
    )
