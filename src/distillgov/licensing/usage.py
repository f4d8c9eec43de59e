"""Usage reports in: CSV, JSONL or Parquet rows of (licence, period, units, revenue, currency).

A report is checked whole; if any row is bad, nothing is kept and every bad row is listed (line,
field, value, reason). A good report is written as a Parquet file under the data directory
(to a temporary name, flushed to disk, then renamed) and only then recorded in the database, in
one transaction: a report is either fully in or not in at all, whenever the process dies.
Settlement reads only recorded reports. Re-submitting the same report (same id, same rows) changes
nothing and says so; a different report under a used id is refused; the same rows under another
id are refused as a duplicate, naming the report that holds them, unless sent as the correction
of a report (which it then replaces). A report is never edited or deleted: it is voided, and the
next settlement run posts the reversal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, text

from distillgov.errors import Conflict, DistillgovError, NotFound, Problem
from distillgov.licensing.money import EXPONENTS
from distillgov.storage.db import reading
from distillgov.tables import place_name, read_table

COLUMNS = ("licence", "period", "units", "revenue", "currency")
# Bounds of one row, so that sums of millions of rows stay exact in 64-bit integers.
MAX_UNITS = 10**15 - 1
MAX_WHOLE_DIGITS = 13
DATA_DIR_ENV = "DISTILLGOV_DATA_DIR"
MAX_LISTED = 50  # bad rows listed one by one; the rest are counted
_PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_INTEGER = r"^[0-9]+$"
_AMOUNT = r"^[0-9]+(\.[0-9]+)?$"


class UsageError(DistillgovError):
    """A usage report was refused whole; nothing was kept."""


class ReportConflict(UsageError, Conflict):
    """A different report was ingested under the same id, or the same rows under another."""


class UnknownReport(UsageError, NotFound):
    """No usage report with that id."""


@dataclass(frozen=True)
class Ingested:
    report: str
    rows: int
    new: bool  # False: the same report was already in, nothing changed
    replaced: str | None = None  # the report this one corrects, now voided


def data_dir(explicit: Path | None = None) -> Path:
    return explicit or Path(os.environ.get(DATA_DIR_ENV, "distillgov-data"))


def _read(path: Path, origin: str | None) -> tuple[pl.DataFrame, str]:
    """The file as columns, and how to name a row's place in it."""
    return read_table(path, origin), place_name(path)


def validate(
    df: pl.DataFrame, licences: dict[str, str], origin: str, unit: str, only: str | None = None
) -> pl.DataFrame:
    """Every row checked at once; the rows as they will be stored, or UsageError listing every
    bad row. `licences` maps each licence id the rows may name to its currency; `only` names
    the one licence a report was sent for, if it was sent for one."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise UsageError(
            f"{origin}: missing column(s) {', '.join(missing)}; a usage report has "
            f"{', '.join(COLUMNS)}"
        )
    first = 2 if unit == "line" and origin.lower().endswith(".csv") else 1
    text_cols = df.select(
        [pl.col(c).cast(pl.String, strict=False).str.strip_chars().alias(c) for c in COLUMNS]
    ).with_row_index("n")
    known = pl.DataFrame(
        {"licence": list(licences), "licence_currency": list(licences.values())},
        schema={"licence": pl.String, "licence_currency": pl.String},
    )
    exps = pl.DataFrame(
        {"currency": list(EXPONENTS), "exp": list(EXPONENTS.values())},
        schema={"currency": pl.String, "exp": pl.Int64},
    )
    rows = text_cols.join(known, on="licence", how="left").join(exps, on="currency", how="left")
    rows = rows.sort("n")
    frac = pl.col("revenue").str.extract(r"\.([0-9]+)$", 1)
    checks: list[tuple[str, pl.Expr, str]] = [
        ("licence", pl.col("licence").is_null(), "missing"),
        (
            "licence",
            pl.col("licence").is_not_null() & pl.col("licence_currency").is_null(),
            "no such licence" if only is None else f"this report is for licence {only}",
        ),
        ("period", ~pl.col("period").str.contains(_PERIOD).fill_null(False), "must be YYYY-MM"),
        (
            "units",
            ~pl.col("units").str.contains(_INTEGER).fill_null(False),
            "must be a whole number, 0 or more",
        ),
        (
            "units",
            pl.col("units").str.len_chars().fill_null(0) > len(str(MAX_UNITS)),
            f"at most {MAX_UNITS:,} in one row",
        ),
        (
            "revenue",
            ~pl.col("revenue").str.contains(_AMOUNT).fill_null(False),
            "must be an amount, 0 or more, like 1234.56",
        ),
        (
            "revenue",
            pl.col("revenue").str.extract(r"^([0-9]+)", 1).str.len_chars().fill_null(0)
            > MAX_WHOLE_DIGITS,
            f"at most {MAX_WHOLE_DIGITS} digits before the decimal point in one row",
        ),
        (
            "currency",
            pl.col("licence_currency").is_not_null()
            & (pl.col("currency").fill_null("") != pl.col("licence_currency")),
            "not the licence's currency",
        ),
        (
            "revenue",
            pl.col("exp").is_not_null() & (frac.str.len_chars().fill_null(0) > pl.col("exp")),
            "more decimals than the currency has minor units",
        ),
    ]
    flagged = rows.select(
        "n",
        *[c for c in COLUMNS],
        "licence_currency",
        *[expr.alias(f"bad{i}") for i, (_, expr, _) in enumerate(checks)],
    )
    bad_any = pl.any_horizontal([f"bad{i}" for i in range(len(checks))])
    bad = flagged.filter(bad_any)
    if bad.height:
        problems: list[Problem] = []
        for r in bad.head(MAX_LISTED).iter_rows(named=True):
            for i, (field, _, reason) in enumerate(checks):
                if r[f"bad{i}"]:
                    why = reason
                    if field == "currency" and r["licence_currency"]:
                        why = f"{reason} ({r['licence_currency']})"
                    problems.append(Problem(field, r[field], why, f"{unit} {r['n'] + first}"))
                    break
        more = f"; {bad.height - MAX_LISTED} more not listed" if bad.height > MAX_LISTED else ""
        raise UsageError(
            f"{origin}: refused, {bad.height} bad row(s) of {df.height}{more}; nothing was kept",
            problems,
        )
    whole = pl.col("revenue").str.extract(r"^([0-9]+)", 1).cast(pl.Int64)
    minor = whole * pl.lit(10).pow(pl.col("exp")) + (
        frac.fill_null("")
        .str.pad_end(8, "0")
        .str.slice(0, pl.col("exp"))
        .cast(pl.Int64, strict=False)
    ).fill_null(0)
    return rows.select(
        pl.col("n").cast(pl.Int64).alias("row"),
        "licence",
        (pl.col("period") + "-01").str.to_date("%Y-%m-%d").alias("period_start"),
        pl.col("units").cast(pl.Int64).alias("units"),
        minor.cast(pl.Int64).alias("revenue_minor"),
    )


def content_hash(rows: pl.DataFrame) -> str:
    """What the report says, independent of the file format it came in."""
    digest = hashlib.sha256()
    for chunk in rows.iter_slices(200_000):
        digest.update(chunk.write_csv(include_header=False).encode())
    return "sha256:" + digest.hexdigest()


def ingest(
    engine: Engine,
    path: Path,
    report_id: str | None = None,
    folder: Path | None = None,
    licence: str | None = None,
    origin: str | None = None,
    corrects: str | None = None,
    actor: str = "distillgov",
) -> Ingested:
    """Take in a report; with `licence`, every row must be for that licence. `origin` names
    the file in messages (an upload's own name rather than where it was saved). With
    `corrects`, the report replaces that earlier one (voided in the same transaction)."""
    report = report_id or path.stem
    if not report or len(report) > 160:
        raise UsageError(f"field 'report', value {report!r}: 1 to 160 characters")
    df, unit = _read(path, origin)
    with reading(engine) as c:
        licences = {
            r[0]: r[1] for r in c.execute(text("SELECT id, currency FROM lic_licences")).all()
        }
        old = c.execute(
            text("SELECT content_hash, rows FROM lic_reports WHERE id = :i"), {"i": report}
        ).first()
    if licence is not None:
        licences = {k: v for k, v in licences.items() if k == licence}
    rows = validate(df, licences, origin or str(path), unit, licence).with_columns(
        pl.lit(report).alias("report")
    )
    digest = content_hash(rows.drop("report"))
    if old is not None:
        if old[0] == digest:
            return Ingested(report, int(old[1]), new=False)
        raise ReportConflict(
            f"field 'report', value {report!r}: a different report was already ingested under "
            "this id; give this one its own id"
        )
    with reading(engine) as c:
        earlier = _check_duplicate_and_correction(c, digest, corrects)
    if earlier is not None and licence is not None:
        # A report sent for one licence (an upload by its licensee) corrects only a report of
        # that licence alone: nobody corrects another licensee's usage.
        named = set(
            pl.scan_parquet(data_dir(folder) / "usage" / earlier)
            .select("licence")
            .unique()
            .collect()["licence"]
        )
        if named != {licence}:
            raise ReportConflict(
                f"field 'corrects', value {corrects!r}: that report is not for licence {licence} "
                "alone"
            )
    target_dir = data_dir(folder) / "usage"
    target_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(report.encode()).hexdigest()[:32] + ".parquet"
    final, temporary = target_dir / name, target_dir / (name + ".partial")
    rows.write_parquet(temporary)
    with open(temporary, "rb") as f:
        os.fsync(f.fileno())
    os.replace(temporary, final)  # atomic: a reader sees the whole file or none
    _fsync_directory(target_dir)  # the rename itself survives a power loss
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with engine.begin() as c:
        replaced = f"replaced by report {report}"
        # Voided meanwhile by someone else: refused, and nothing is written.
        if corrects is not None and not _mark_void(c, corrects, replaced, actor, now):
            raise ReportConflict(f"field 'corrects', value {corrects!r}: voided meanwhile")
        c.execute(
            text(
                "INSERT INTO lic_reports (id, content_hash, file, rows, received_at, received_by, "
                "replaces) VALUES (:i, :h, :f, :n, :t, :a, :c)"
            ),
            {
                "i": report,
                "h": digest,
                "f": name,
                "n": rows.height,
                "t": now,
                "a": actor,
                "c": corrects,
            },
        )
    return Ingested(report, rows.height, new=True, replaced=corrects)


def _check_duplicate_and_correction(c: Any, digest: str, corrects: str | None) -> str | None:
    """Refuses a duplicate, or a correction of nothing; the corrected report's file, if any."""
    same = c.execute(
        text(
            "SELECT id FROM lic_reports WHERE content_hash = :h AND voided_at IS NULL ORDER BY id"
        ),
        {"h": digest},
    ).first()
    if corrects is None:
        if same is not None:
            raise ReportConflict(
                f"the same rows as report {same[0]!r}, already ingested: a duplicate is refused "
                f"(to replace that report, send this one as its correction: --corrects {same[0]})"
            )
        return None
    earlier = c.execute(
        text("SELECT voided_at, file FROM lic_reports WHERE id = :i"), {"i": corrects}
    ).first()
    if earlier is None:
        raise UnknownReport(f"field 'corrects', value {corrects!r}: no such report")
    if earlier[0] is not None:
        raise ReportConflict(
            f"field 'corrects', value {corrects!r}: that report is voided already; correct the "
            "report that replaced it"
        )
    if same is not None:
        raise ReportConflict(
            f"field 'corrects', value {corrects!r}: the same rows as report {same[0]!r}: there "
            "is nothing to correct"
        )
    return str(earlier[1])


def _fsync_directory(folder: Path) -> None:
    """Flush a directory's entries (the rename just made), where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows, which cannot open a directory: NTFS journals renames
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def void(engine: Engine, report: str, reason: str, actor: str = "distillgov") -> dict[str, Any]:
    """Void a report: it stays on record (and its file on disk) and stops counting; the next
    settlement run posts the reversal of what it contributed, as new transfers."""
    if not reason.strip():
        raise UsageError("field 'reason' is missing: say why the report is voided")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with engine.begin() as c:
        row = c.execute(
            text("SELECT voided_at, void_reason FROM lic_reports WHERE id = :i"), {"i": report}
        ).first()
        if row is None:
            raise UnknownReport(f"field 'report', value {report!r}: no such report")
        if row[0] is not None:
            raise ReportConflict(
                f"field 'report', value {report!r}: voided already ({row[1]}, at {row[0]})"
            )
        _mark_void(c, report, reason.strip(), actor, now)
    return {"report": report, "voided_at": now.isoformat(timespec="seconds"), "by": actor}


def _mark_void(c: Any, report: str, reason: str, actor: str, now: dt.datetime) -> bool:
    """Void a report not voided yet, in the caller's transaction; whether it was."""
    done = c.execute(
        text(
            "UPDATE lic_reports SET voided_at = :t, voided_by = :a, void_reason = :r "
            "WHERE id = :i AND voided_at IS NULL"
        ),
        {"t": now, "a": actor, "r": reason, "i": report},
    )
    return bool(done.rowcount == 1)


def reports(engine: Engine) -> list[dict[str, Any]]:
    """Every report on record, voided ones too, with who sent or voided it and when."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT id, rows, content_hash, received_at, received_by, replaces, voided_at, "
                "voided_by, void_reason FROM lic_reports ORDER BY received_at, id"
            )
        ).all()
    return [
        {
            "report": r[0],
            "rows": int(r[1]),
            "content_hash": r[2],
            "received_at": str(r[3]),
            "received_by": r[4],
            "replaces": r[5],
            "voided_at": None if r[6] is None else str(r[6]),
            "voided_by": r[7],
            "void_reason": r[8],
        }
        for r in rows
    ]


def report_files(engine: Engine, folder: Path | None = None) -> list[Path]:
    """The Parquet files of every recorded report not voided (a file without a record is
    ignored)."""
    with reading(engine) as c:
        names = list(
            c.execute(
                text("SELECT file FROM lic_reports WHERE voided_at IS NULL ORDER BY id")
            ).scalars()
        )
    base = data_dir(folder) / "usage"
    files = [base / n for n in names]
    missing = [f for f in files if not f.exists()]
    if missing:
        raise UsageError(f"{missing[0]}: a recorded usage report's file is missing from {base}")
    return files
