"""Settlement: the royalty each licence owes for each month of reported usage, posted to the ledger.

The aggregation is SQL (DuckDB over the reports' Parquet files, or Spark SQL for a cluster; both
run `AGGREGATE`): usage summed per licence and month, with the days of that month that fall inside
the licence window. The tariff is then applied per licence and month, exactly, in one place
(`royalties`), whichever engine aggregated. A month that straddles the window's end (or start) is
pro-rated by its days inside; usage wholly outside the window owes nothing
(types/commercial_cloning: royalty-free after the window).

Posting is idempotent and crash-safe: each (licence, month) keeps its cumulative royalty; a run
posts only the difference from what was posted before, split among the layered shares, under
transfer ids derived from the licence, month and version, all in one transaction. Killing a run at
any point and running again gives the totals of one clean run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Engine, text

from distillgov.errors import DistillgovError
from distillgov.licensing import ledger
from distillgov.licensing.aggregate import PeriodTotal, aggregate_sql
from distillgov.licensing.licences import Licence, accounts_for, all_licences
from distillgov.licensing.money import split
from distillgov.licensing.spark import spark_totals
from distillgov.licensing.tariffs import Tariff
from distillgov.storage.db import reading
from distillgov.storage.sqlrows import marks

SHARES = ("teacher_developer", "data_creators", "collective_pool")


class SettlementError(DistillgovError):
    """Settlement could not run; nothing was posted."""


@dataclass(frozen=True)
class Royalty:
    licence: str
    period: str  # YYYY-MM
    units: int
    revenue_minor: int
    share: Fraction  # of the month inside the window, and licensed
    royalty_minor: int
    unlicensed_days: int = 0  # inside the window, while suspended or revoked
    days: int = 0  # in the month


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def royalties(
    totals: Iterable[PeriodTotal],
    tariffs: dict[str, Tariff],
    licences: dict[str, Licence] | None = None,
) -> list[Royalty]:
    """The royalty of each licence-month: on the days inside the window on which the licence
    was in force (not suspended or revoked: those days' usage is unlicensed use, flagged and
    not settled), pro rata by days; under the rate period in force on the month's first day
    (interpretation 110)."""
    out = []
    functions: dict[int, Callable[[int, int, int, int], int]] = {}  # by tariff, made once
    for t in totals:
        lic = (licences or {}).get(t.licence)
        off = (
            lic.unlicensed_days(t.period_start, _next_month(t.period_start))
            if lic is not None
            else 0
        )
        share = Fraction(t.days_inside - off, t.days)
        tariff = lic.tariff_for(t.period_start) if lic is not None else tariffs[t.licence]
        royalty = functions.get(id(tariff))
        if royalty is None:
            royalty = functions[id(tariff)] = tariff.royalty_function()
        due = royalty(t.units, t.revenue_minor, t.days_inside - off, t.days)
        out.append(
            Royalty(
                t.licence,
                f"{t.period_start:%Y-%m}",
                t.units,
                t.revenue_minor,
                share,
                due,
                off,
                t.days,
            )
        )
    return out


def duckdb_totals(
    files: list[Path], licences: list[Licence], progress: Callable[[int, int], None] | None = None
) -> list[PeriodTotal]:
    """AGGREGATE in DuckDB, one report file after another (so a progress bar can follow), the
    partial sums combined exactly in DuckDB too."""
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            "CREATE TABLE licences (id VARCHAR, window_start DATE, window_end DATE);"
            "CREATE TABLE partial (licence VARCHAR, period_start DATE, units HUGEINT, "
            "revenue_minor HUGEINT)"
        )
        # Many rows a statement: DuckDB's executemany costs a quarter of a millisecond a row.
        for at in range(0, len(licences), 1000):
            chunk = licences[at : at + 1000]
            con.execute(
                "INSERT INTO licences VALUES " + ", ".join(["(?, ?, ?)"] * len(chunk)),
                [v for lic in chunk for v in (lic.id, lic.window_start, lic.window_end)],
            )
        if not files:
            return []
        if progress is None:  # one pass: grouped first, then joined to the licences' windows
            grouped = (
                "(SELECT licence, period_start, SUM(units) AS units, SUM(revenue_minor) AS "
                f"revenue_minor FROM read_parquet({_files_list(files)}) GROUP BY ALL)"
            )
            rows = con.execute(aggregate_sql("duckdb", usage=grouped)).fetchall()
            return [
                PeriodTotal(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows
            ]
        size = 8  # in batches, for the progress bar to follow
        for done, batch in enumerate(_batches(files, size), start=1):
            con.execute(
                "INSERT INTO partial SELECT licence, period_start, SUM(units), SUM(revenue_minor) "
                "FROM read_parquet(?) GROUP BY ALL",
                [[str(f) for f in batch]],
            )
            progress(min(done * size, len(files)), len(files))
        rows = con.execute(aggregate_sql("duckdb", usage="partial")).fetchall()
    finally:
        con.close()
    return [PeriodTotal(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


def _files_list(files: list[Path]) -> str:
    """The files as a DuckDB list literal (their names are ours: hex digests under our folder;
    quotes are doubled all the same)."""
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def _batches(files: list[Path], size: int) -> Iterable[list[Path]]:
    for at in range(0, len(files), size):
        yield files[at : at + size]


@dataclass(frozen=True)
class Posted:
    periods: int
    changed: int
    transfers: int
    royalty_minor: dict[str, int]  # by currency, cumulative


def post_royalties(
    engine: Engine,
    due: list[Royalty],
    on: dt.date,
    actor: str = "distillgov",
    licences: dict[str, Licence] | None = None,
) -> Posted:
    """Post what changed since the last run, in one transaction. A month settled before that no
    report counts for any more (its reports voided) is settled again at nothing: the reversal
    posts, nothing is edited."""
    if licences is None:  # settle() passes those it aggregated for
        licences = {lic.id: lic for lic in all_licences(engine)}
    transfers: list[ledger.Transfer] = []
    changed = 0
    with engine.begin() as c:
        before = {
            (r[0], r[1]): (int(r[2]), int(r[3]))
            for r in c.execute(
                text("SELECT licence, period, royalty_minor, version FROM lic_settlements")
            ).all()
        }
        closed = set(c.execute(text("SELECT period FROM lic_closed_periods")).scalars())
        if f"{on:%Y-%m}" in closed:
            raise SettlementError(
                f"field 'on', value '{on}': {on:%Y-%m} is closed; date the run in an open period "
                "(what it changes in closed months is posted there as adjustments)"
            )
        adjustments: list[dict[str, Any]] = []
        reported = {(r.licence, r.period) for r in due}
        due = due + [
            Royalty(lic, period, 0, 0, Fraction(0), 0)
            for lic, period in sorted(before)
            if (lic, period) not in reported
        ]
        _flag_unlicensed(c, due)
        updates: list[tuple[Any, ...]] = []
        inserts: list[tuple[Any, ...]] = []
        accounts: dict[str, dict[str, Any]] = {}
        for r in due:
            old, version = before.get((r.licence, r.period), (0, 0))
            if (r.licence, r.period) in before and old == r.royalty_minor:
                continue
            lic = licences[r.licence]
            adjusting = r.period in closed
            if lic.id not in accounts:  # a run moves thousands of months through few accounts
                accounts[lic.id] = accounts_for(lic)
            transfers += _adjustment(lic, r, old, version + 1, on, adjusting, accounts[lic.id])
            changed += 1
            if adjusting:
                adjustments.append(
                    {"l": r.licence, "p": r.period, "v": version + 1, "pp": f"{on:%Y-%m}",
                     "on": on, "d": r.royalty_minor - old}
                )  # fmt: skip
            row = (
                str(r.units),
                str(r.revenue_minor),
                f"{r.share.numerator}/{r.share.denominator}",
                r.royalty_minor,
                version + 1,
                r.licence,
                r.period,
            )
            (updates if (r.licence, r.period) in before else inserts).append(row)
        # One statement each, many rows, straight to the driver: per-row statements were most
        # of a run's time, and binding named parameters a tenth of the rest.
        if updates:
            c.exec_driver_sql(
                "UPDATE lic_settlements SET units = {0}, revenue_minor = {0}, share = {0}, "
                "royalty_minor = {0}, version = {0} WHERE licence = {0} AND period = {0}".format(
                    marks(c, 1)
                ),
                updates,
            )
        if inserts:
            c.exec_driver_sql(
                "INSERT INTO lic_settlements (units, revenue_minor, share, royalty_minor, "
                f"version, licence, period) VALUES ({marks(c, 7)})",
                inserts,
            )
        if adjustments:
            c.execute(
                text(
                    "INSERT INTO lic_adjustments (licence, period, version, posted_period, "
                    "posted_on, delta_minor) VALUES (:l, :p, :v, :pp, :on, :d)"
                ),
                adjustments,
            )
        ledger.post(c, transfers, actor)
        totals: dict[str, int] = {}
        for lic_id, roy in c.execute(
            text("SELECT licence, royalty_minor FROM lic_settlements")
        ).all():
            cur = licences[lic_id].currency
            totals[cur] = totals.get(cur, 0) + int(roy)
    return Posted(len(due), changed, len(transfers), totals)


def _flag_unlicensed(c: Any, due: list[Royalty]) -> None:
    """The usage on days a licence was suspended or revoked, pro rata by days, as the run finds
    it (the table is the latest run's finding, replaced whole in the run's transaction)."""
    c.execute(text("DELETE FROM lic_unlicensed"))
    rows = [
        {
            "l": r.licence,
            "p": r.period,
            "u": str(r.units * r.unlicensed_days // r.days),
            "rev": str(r.revenue_minor * r.unlicensed_days // r.days),
            "d": r.unlicensed_days,
            "n": r.days,
        }
        for r in due
        if r.unlicensed_days
    ]
    if rows:
        c.execute(
            text(
                "INSERT INTO lic_unlicensed (licence, period, units, revenue_minor, days, "
                "days_in_period) VALUES (:l, :p, :u, :rev, :d, :n)"
            ),
            rows,
        )


def close_period(engine: Engine, period: str, on: dt.date, actor: str = "distillgov") -> None:
    """Close a month: from now on, whatever a settlement run changes in it is an adjustment,
    posted in the run's (open) period and naming this one. A month is closed once, and only
    once it has ended."""
    try:
        start = dt.date.fromisoformat(f"{period}-01")
    except ValueError:
        raise SettlementError(f"field 'period', value {period!r}: must be YYYY-MM") from None
    if f"{start:%Y-%m}" != period:
        raise SettlementError(f"field 'period', value {period!r}: must be YYYY-MM")
    if f"{on:%Y-%m}" <= period:
        raise SettlementError(
            f"field 'period', value {period!r}: it has not ended on {on}; close a past month"
        )
    with engine.begin() as c:
        known = c.execute(
            text("SELECT closed_on FROM lic_closed_periods WHERE period = :p"), {"p": period}
        ).scalar()
        if known is not None:
            raise SettlementError(f"field 'period', value {period!r}: closed already on {known}")
        c.execute(
            text(
                "INSERT INTO lic_closed_periods (period, closed_on, closed_by, closed_at) "
                "VALUES (:p, :on, :by, :at)"
            ),
            {"p": period, "on": on, "by": actor,
             "at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)},
        )  # fmt: skip


def adjustments(engine: Engine, licence: str | None = None) -> list[dict[str, Any]]:
    """Every change to a closed month, with the open period it was posted in."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT a.licence, a.period, a.version, a.posted_period, a.posted_on, "
                "a.delta_minor, l.currency FROM lic_adjustments a JOIN lic_licences l "
                "ON l.id = a.licence WHERE CAST(:l AS VARCHAR) IS NULL OR a.licence = :l "
                "ORDER BY a.posted_on, a.licence, a.period, a.version"
            ),
            {"l": licence},
        ).all()
    return [
        {
            "licence": r[0],
            "adjusts_period": r[1],
            "version": int(r[2]),
            "posted_in_period": r[3],
            "posted_on": str(r[4]),
            "delta_minor": int(r[5]),
            "currency": r[6],
        }
        for r in rows
    ]


def unlicensed_use(engine: Engine, licence: str | None = None) -> list[dict[str, Any]]:
    """Usage reported for days a licence was suspended or revoked inside its window: not
    settled as royalties; for the clearinghouse and the teacher's owner to act on."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT u.licence, u.period, u.units, u.revenue_minor, u.days, u.days_in_period, "
                "l.currency, l.licensee FROM lic_unlicensed u JOIN lic_licences l "
                "ON l.id = u.licence WHERE CAST(:l AS VARCHAR) IS NULL OR u.licence = :l "
                "ORDER BY u.licence, u.period"
            ),
            {"l": licence},
        ).all()
    return [
        {
            "licence": r[0],
            "period": r[1],
            "units": int(r[2]),
            "revenue_minor": int(r[3]),
            "days_unlicensed": int(r[4]),
            "days_in_period": int(r[5]),
            "currency": r[6],
            "licensee": r[7],
        }
        for r in rows
    ]


def _adjustment(
    lic: Licence,
    r: Royalty,
    old: int,
    version: int,
    on: dt.date,
    closed: bool = False,
    accounts: dict[str, Any] | None = None,
) -> list[ledger.Transfer]:
    """The transfers that move the posted shares from split(old) to split(new), by the split of
    the rate period the month settles under."""
    weights = tuple(lic.tariff_for(dt.date.fromisoformat(f"{r.period}-01")).split.weights())
    before = split(old, weights) if old else [0, 0, 0]
    after = split(r.royalty_minor, weights) if r.royalty_minor else [0, 0, 0]
    accounts = accounts or accounts_for(lic)
    payer = accounts["licensee"].id
    out = []
    for name, b, a in zip(SHARES, before, after, strict=True):
        delta = a - b
        if not delta:
            continue
        payee = accounts[name].id
        debit, credit = (payer, payee) if delta > 0 else (payee, payer)
        what = (
            f"adjustment to closed period {r.period}, posted in {on:%Y-%m}"
            if closed
            else f"royalty {r.period}"
        )
        out.append(
            ledger.Transfer(
                id=f"{'adjustment' if closed else 'royalty'}/{lic.id}/{r.period}/v{version}/{name}",
                debit=debit,
                credit=credit,
                amount=abs(delta),
                currency=lic.currency,
                memo=f"{what} ({name.replace('_', ' ')}), licence {lic.id}",
                posted_on=on,
            )
        )
    return out


def settle(
    engine: Engine,
    files: list[Path],
    on: dt.date,
    engine_name: str = "duckdb",
    progress: Callable[[int, int], None] | None = None,
    actor: str = "distillgov",
    spark_data_uri: str | None = None,
) -> tuple[list[Royalty], Posted]:
    licences = all_licences(engine)
    if engine_name == "duckdb":
        totals = duckdb_totals(files, licences, progress)
    elif engine_name == "spark":
        totals = spark_totals(files, licences, spark_data_uri)
    else:
        raise SettlementError(f"field 'engine', value {engine_name!r}: use duckdb or spark")
    by_id = {lic.id: lic for lic in licences}
    due = royalties(totals, {k: lic.tariff for k, lic in by_id.items()}, by_id)
    return due, post_royalties(engine, due, on, actor, by_id)


def settlements(engine: Engine, licence: str | None = None) -> list[dict[str, Any]]:
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT s.licence, s.period, s.units, s.revenue_minor, s.share, s.royalty_minor, "
                "s.version, l.currency, l.licensee FROM lic_settlements s "
                "JOIN lic_licences l ON l.id = s.licence "
                "WHERE CAST(:l AS VARCHAR) IS NULL OR s.licence = :l ORDER BY s.licence, s.period"
            ),
            {"l": licence},
        ).all()
    return [
        {
            "licence": r[0],
            "period": r[1],
            "units": int(r[2]),
            "revenue_minor": int(r[3]),
            "share_of_period_in_window": r[4],
            "royalty_minor": int(r[5]),
            "version": int(r[6]),
            "currency": r[7],
            "licensee": r[8],
        }
        for r in rows
    ]


def run_counts(engine: Engine) -> dict[str, int]:
    """How many licence-months have been settled, and how many pool distributions run."""
    with reading(engine) as c:
        settled = c.execute(text("SELECT COUNT(*) FROM lic_settlements")).scalar_one()
        runs = c.execute(text("SELECT COUNT(*) FROM pool_runs")).scalar_one()
    return {"settled_licence_months": int(settled), "pool_runs": int(runs)}


def as_json(rows: list[Royalty]) -> str:
    return json.dumps(
        [
            {
                "licence": r.licence,
                "period": r.period,
                "units": r.units,
                "revenue_minor": r.revenue_minor,
                "share": f"{r.share.numerator}/{r.share.denominator}",
                "royalty_minor": r.royalty_minor,
            }
            for r in rows
        ],
        indent=2,
    )
