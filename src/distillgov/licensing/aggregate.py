"""The settlement's one aggregation, as SQL that DuckDB and Spark both run, and its result: the
units, revenue and days inside the licence window of each licence-month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The one aggregation, in SQL both DuckDB and Spark run; `aggregate_sql` fills in the date
# arithmetic their dialects spell differently. `usage` holds the ingested rows, `licences` each
# licence's window; a month's days inside the window are [max(month, window_start),
# min(next month, window_end)).
AGGREGATE = """
SELECT u.licence,
       u.period_start,
       SUM({wide_units}) AS units,
       SUM({wide_revenue}) AS revenue_minor,
       GREATEST(0, {days_from_inside_start_to_inside_end}) AS days_inside,
       {days_from_month_start_to_next_month} AS days
FROM {usage} u JOIN licences l ON l.id = u.licence
GROUP BY u.licence, u.period_start, l.window_start, l.window_end
ORDER BY u.licence, u.period_start
"""
_INSIDE_START = "GREATEST(u.period_start, l.window_start)"
# Sums past 2^63 must stay exact (or be refused), never wrap: DuckDB's partial sums are HUGEINT
# already; Spark sums DECIMAL(38, 0), which with ANSI mode on raises on overflow instead of
# returning NULL.
_DIALECTS = {
    "duckdb": {
        "wide_units": "u.units",
        "wide_revenue": "u.revenue_minor",
        "days_from_inside_start_to_inside_end": f"DATE_DIFF('day', {_INSIDE_START}, "
        "LEAST(CAST(u.period_start + INTERVAL 1 MONTH AS DATE), l.window_end))",
        "days_from_month_start_to_next_month": "DATE_DIFF('day', u.period_start, "
        "CAST(u.period_start + INTERVAL 1 MONTH AS DATE))",
    },
    "spark": {
        "wide_units": "CAST(u.units AS DECIMAL(38, 0))",
        "wide_revenue": "CAST(u.revenue_minor AS DECIMAL(38, 0))",
        "days_from_inside_start_to_inside_end": "DATEDIFF(LEAST(ADD_MONTHS(u.period_start, 1), "
        f"l.window_end), {_INSIDE_START})",
        "days_from_month_start_to_next_month": "DATEDIFF(ADD_MONTHS(u.period_start, 1), "
        "u.period_start)",
    },
}


def aggregate_sql(dialect: str, usage: str = "usage") -> str:
    return AGGREGATE.format(usage=usage, **_DIALECTS[dialect])


@dataclass(frozen=True)
class PeriodTotal:
    licence: str
    period_start: dt.date
    units: int
    revenue_minor: int
    days_inside: int
    days: int
