"""Assess many cases at once: files in, a table of determinations out.

The same rule program as single cases, evaluated column-wise by `framework.vector`. A file with any
bad row is refused whole, every bad row named; the output is written to a temporary file and
renamed into place, so a failed run never leaves a half-written result.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from distillgov.assessment.completion import catalogue_facts
from distillgov.errors import InvalidBatch, Problem
from distillgov.framework.case import CONTRADICTIONS, EARLIEST, FACTS, LATEST, MAX_COUNT
from distillgov.framework.columns import CONTRADICTION_CHECKS, FACT_KINDS, evaluate
from distillgov.framework.determination import ROW_COLUMNS
from distillgov.framework.rules import IMMUNITIES, OBLIGATIONS
from distillgov.framework.vector import (
    CODES,
    T,
    U,
    tri_from,
)
from distillgov.framework.vocabulary import ObligationStatus
from distillgov.jurisdictions.profile import Profile
from distillgov.tables import format_of, read_table
from distillgov.teachers.catalogue import catalogue

ID_COLUMNS = ("id", "case_id")
# Descriptive columns a case may carry that no rule reads.
IGNORED = frozenset(
    {
        "title",
        "student_name",  # decides inherited naming duties, which the batch does not report
        "description",
        "teacher.id",
        "teacher.owner",
        "teacher.terms.other_restrictions",
        "distiller.organisation",
        "distiller.region",  # read by the catalogue's completion, not by the rules
        "consent.licence",
        "teacher.distilled_from",
        "additional_teachers",
        "base_models",
    }
)

OUTPUT_USE = "output_use"
CHUNK = 250_000

Progress = Callable[[int], None]


def read_frame(path: Path) -> pl.DataFrame:
    return flatten(read_table(path))


def flatten(df: pl.DataFrame) -> pl.DataFrame:
    """Nested records (JSONL case objects) become dotted columns, as in flat CSV headers."""
    while any(isinstance(dtype, pl.Struct) for dtype in df.schema.values()):
        cols: list[pl.Expr] = []
        for name, dtype in df.schema.items():
            if isinstance(dtype, pl.Struct):
                cols.extend(
                    pl.col(name).struct.field(f.name).alias(f"{name}.{f.name}")
                    for f in dtype.fields
                )
            else:
                cols.append(pl.col(name))
        df = df.select(cols)
    return df


class _Rows:
    """Collects row problems; numbers rows as a person sees them in the file."""

    def __init__(self, first_row_number: int) -> None:
        self.first = first_row_number
        self.problems: list[Problem] = []

    def flag(self, rows: np.ndarray[Any, Any], field: str, values: Any, reason: str) -> None:
        """Record a problem for each flagged row; values are read only for those rows."""
        for i in np.flatnonzero(rows):
            value = None if values is None else values[int(i)]
            if isinstance(value, pl.Series):  # a list cell
                value = value.to_list()
            self.problems.append(Problem(field, value, reason, f"row {int(i) + self.first}"))


def _text(series: pl.Series) -> pl.Series:
    return series.cast(pl.String) if series.dtype != pl.String else series


_TRUE, _FALSE = ["true", "yes", "1"], ["false", "no", "0"]


def _encode_bool(s: pl.Series, rows: _Rows) -> np.ndarray[Any, Any]:
    if s.dtype == pl.Boolean:
        is_true = s.fill_null(False).to_numpy()
        known = s.is_not_null().to_numpy()
    else:
        text = _text(s).str.strip_chars().str.to_lowercase()
        is_true = text.is_in(_TRUE).fill_null(False).to_numpy()
        is_false = text.is_in(_FALSE).fill_null(False).to_numpy()
        known = is_true | is_false
        given = (text.is_not_null() & (text != "")).to_numpy()
        rows.flag(given & ~known, s.name, s, "must be true or false (or left empty if unknown)")
    return tri_from(is_true, ~known)


def _encode_enum(s: pl.Series, domain: tuple[str, ...], rows: _Rows) -> np.ndarray[Any, Any]:
    text = pl.Series(s.name, _text(s).str.strip_chars()).replace("", None)
    # Cast to a Polars Enum: its physical codes index `domain`; one gather maps them to ours.
    as_enum = text.cast(pl.Enum(list(domain)), strict=False)
    bad = (text.is_not_null() & as_enum.is_null()).to_numpy()
    if bad.any():
        rows.flag(bad, s.name, s, f"not one of: {', '.join(domain)}")
    ours = np.array([CODES.code(v) for v in domain] + [-1], dtype=np.int32)
    physical = as_enum.to_physical().fill_null(len(domain)).to_numpy()
    codes: np.ndarray[Any, Any] = ours[physical]
    return codes


def _encode_date(s: pl.Series, rows: _Rows) -> np.ndarray[Any, Any]:
    if s.dtype == pl.Date:
        dates = s
    else:
        text = pl.Series(s.name, _text(s).str.strip_chars()).replace("", None)
        dates = text.str.to_date("%Y-%m-%d", strict=False)
        bad = (text.is_not_null() & dates.is_null()).to_numpy()
        rows.flag(bad, s.name, s, "a date must be written as YYYY-MM-DD (and exist)")
    out = dates.to_numpy().astype("datetime64[D]")
    known = ~np.isnat(out)
    early, late = np.datetime64(EARLIEST, "D"), np.datetime64(LATEST, "D")
    outside = np.zeros(out.shape, dtype=bool)
    outside[known] = (out[known] < early) | (out[known] > late)
    rows.flag(outside, s.name, s, f"a date between {EARLIEST} and {LATEST}")
    return out


def _encode_int(s: pl.Series, rows: _Rows) -> np.ndarray[Any, Any]:
    if s.dtype.is_integer():
        nums = s.cast(pl.Float64)
    else:
        text = pl.Series(s.name, _text(s).str.strip_chars()).replace("", None)
        as_int = text.cast(pl.Int64, strict=False)
        digits = text.str.contains(r"^[0-9]+$").fill_null(False)
        too_long = (digits & as_int.is_null()).to_numpy()  # digits past 64 bits
        rows.flag(too_long, s.name, s, f"must be at most {MAX_COUNT:,}")
        bad = (text.is_not_null() & as_int.is_null() & ~digits).to_numpy()
        rows.flag(bad, s.name, s, "must be a whole number")
        nums = as_int.cast(pl.Float64)
    arr = nums.to_numpy().astype(np.float64)
    negative = np.nan_to_num(arr, nan=0.0) < 0
    rows.flag(negative, s.name, s, "must be 0 or more")
    huge = np.nan_to_num(arr, nan=0.0) > MAX_COUNT
    rows.flag(huge, s.name, s, f"must be at most {MAX_COUNT:,}")
    return arr


def _encode_uses(s: pl.Series, rows: _Rows) -> dict[str, np.ndarray[Any, Any]]:
    if s.dtype == pl.List(pl.String):
        lists = s
    else:
        text = pl.Series(s.name, _text(s).str.strip_chars()).replace("", None)
        lists = text.str.split(";").list.eval(pl.element().str.strip_chars())
    allowed = [name.removeprefix("output_use.") for name in FACTS if name.startswith("output_use.")]
    known = lists.is_not_null().to_numpy()
    exploded = lists.list.eval(pl.element().is_in(allowed).not_()).list.any().fill_null(False)
    bad = exploded.to_numpy()
    rows.flag(bad, OUTPUT_USE, lists, f"uses must be among: {', '.join(allowed)}")
    empty = (lists.list.len() == 0).fill_null(False).to_numpy()
    rows.flag(empty, OUTPUT_USE, lists, "list at least one use, or leave it empty if unknown")
    out = {}
    for use in allowed:
        has = lists.list.contains(use).fill_null(False).to_numpy()
        out[f"output_use.{use}"] = np.where(known, np.where(has, T, np.int8(0)), U).astype(np.int8)
    return out


def encode(
    df: pl.DataFrame, on: dt.date | None, first_row_number: int = 2
) -> tuple[dict[str, np.ndarray[Any, Any]], pl.Series]:
    """Columns of a frame -> encoded fact columns, validated; raises InvalidBatch listing rows."""
    rows = _Rows(first_row_number)
    n = df.height
    unknown = [
        c
        for c in df.columns
        if c not in FACTS
        and c not in IGNORED
        and c not in ID_COLUMNS
        and c not in (OUTPUT_USE, "assessed_on", "jurisdiction")
    ]
    problems = []
    for c in unknown:
        close = difflib.get_close_matches(c, [*FACTS, OUTPUT_USE, "assessed_on"], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.append(Problem(c, None, f"unknown column{hint}", "header"))
    if problems:
        raise InvalidBatch(f"{len(problems)} unknown column(s); nothing was assessed", problems)
    columns: dict[str, np.ndarray[Any, Any]] = {}
    for name, spec in FACTS.items():
        if name.startswith("output_use."):
            continue
        if name not in df.columns and spec.default is not None:
            # A fact whose absence means something (as in a case file that leaves it out).
            columns[name] = np.full(n, CODES.code(spec.default), dtype=np.int32)
            continue
        if name not in df.columns:
            columns[name] = _unknown_column(spec.kind, n)
            continue
        s = df.get_column(name)  # an empty cell is unknown, as an explicit null in a case file
        if spec.kind == "bool":
            columns[name] = _encode_bool(s, rows)
        elif spec.kind == "enum":
            columns[name] = _encode_enum(s, spec.domain, rows)
        elif spec.kind == "date":
            columns[name] = _encode_date(s, rows)
        else:
            columns[name] = _encode_int(s, rows)
    if OUTPUT_USE in df.columns:
        columns.update(_encode_uses(df.get_column(OUTPUT_USE), rows))
    else:
        for name in FACTS:
            if name.startswith("output_use."):
                columns[name] = np.full(n, U, dtype=np.int8)
    if "assessed_on" in df.columns:
        days = _encode_date(df.get_column("assessed_on"), rows)
        if on is not None:
            days = np.where(np.isnat(days), np.datetime64(on, "D"), days)
        given = _text(df.get_column("assessed_on")).str.strip_chars().replace("", None)
        missing_day = np.isnat(days) & given.is_null().to_numpy()  # a bad date is named above
        rows.flag(missing_day, "assessed_on", None, "no assessment date: fill it or pass --on")
    else:
        if on is None:
            raise InvalidBatch("no assessment date: add an 'assessed_on' column or pass --on")
        days = np.full(n, np.datetime64(on, "D"))
    columns["assessed_on"] = days
    if "distiller.region" in df.columns:
        _check_regions(df.get_column("distiller.region"), rows)
    ids = _ids(df)
    repeated = ids.is_duplicated().to_numpy() & ids.is_not_null().to_numpy()
    rows.flag(repeated, "id", ids, "the same id is on another row: ids must be unique")
    if any(c in df.columns for c in ID_COLUMNS):
        text = ids.fill_null("")
        control = text.str.contains(r"[\x00-\x1f\x7f]").to_numpy()
        rows.flag(control, "id", ids, "no control characters")
    if not rows.problems:
        for rule, check in zip(CONTRADICTIONS, CONTRADICTION_CHECKS, strict=True):
            hit = check(columns, {}) == T
            if hit.any():
                rows.flag(hit, rule.field, _display(columns[rule.field], rule.field), rule.reason)
    if rows.problems:
        bad = len({p.location for p in rows.problems})
        raise InvalidBatch(f"{bad} bad row(s); nothing was assessed", rows.problems)
    return columns, ids


def _display(values: np.ndarray[Any, Any], name: str) -> list[Any]:
    kind = FACT_KINDS[name]
    if kind == "enum":
        return list(CODES.decode(values))
    if kind == "date":
        return [None if np.isnat(v) else str(v) for v in values]
    return list(values)


def _ids(df: pl.DataFrame) -> pl.Series:
    for c in ID_COLUMNS:
        if c in df.columns:
            return _text(df.get_column(c)).alias("case_id")
    return pl.int_range(1, df.height + 1, eager=True).cast(pl.String).alias("case_id")


def _unknown_column(kind: str, n: int) -> np.ndarray[Any, Any]:
    if kind == "bool":
        return np.full(n, U, dtype=np.int8)
    if kind == "enum":
        return np.full(n, -1, dtype=np.int32)
    if kind == "date":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    return np.full(n, np.nan)


# --- Evaluation -------------------------------------------------------------------------------


def _names(codes: np.ndarray[Any, Any]) -> pl.Series:
    """Enum codes -> their names (null where unknown), by one gather."""
    table = pl.Series([*CODES.names, None], dtype=pl.String)
    return table.gather(np.where(codes < 0, len(CODES.names), codes))


def _rendered(matrix: np.ndarray[Any, Any], *renders: Callable[[Any], str]) -> list[pl.Series]:
    """Render each distinct row of a small-integer matrix once, then gather: a batch has few
    distinct combinations of obligations or missing facts, however many rows it has."""
    n, width = matrix.shape
    if width == 0:
        return [pl.Series([""] * n, dtype=pl.String) for _ in renders]
    # Pack each row into one integer (mixed radix), so finding distinct rows is a 1-D sort.
    radix = int(matrix.max()) + 1 if n else 1
    if radix**width >= 2**62:
        raise ValueError("too many combinations to pack")  # pragma: no cover - 9 obligations fit
    key = np.zeros(n, dtype=np.int64)
    for column in range(width):
        key = key * radix + matrix[:, column]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    where = pl.Series(inverse.reshape(-1))
    return [
        pl.Series([render(matrix[i]) for i in first], dtype=pl.String).gather(where)
        for render in renders
    ]


_HOLDS = {int(T): "holds", 0: "suspended", int(U): "unknown"}


def _immunity_label(row: Any) -> str:
    """Claimed immunities (the first columns, where true) with whether they hold (the last)."""
    state = _HOLDS[int(row[-1])]
    return ";".join(
        f"{i.id}:{state}" for i, claimed in zip(IMMUNITIES, row, strict=False) if claimed == T
    )


def result_frame(
    env: Mapping[str, np.ndarray[Any, Any]],
    missing: Mapping[str, np.ndarray[Any, Any]],
    ids: pl.Series,
) -> pl.DataFrame:
    """The same columns as `Determination.row()`, for every row."""
    # Statuses as small numbers (0 unknown, then met, due, ongoing, breached) to pack rows tightly.
    statuses = ["unknown", *(s.value for s in ObligationStatus)]
    small = np.zeros(len(CODES.names) + 1, dtype=np.int64)
    for i, name in enumerate(statuses[1:], start=1):
        small[CODES.code(name)] = i
    applies = np.stack([env[f"{o.id}.applies"] for o in OBLIGATIONS], axis=1).astype(np.int64)
    status = small[np.stack([env[f"{o.id}.status"] for o in OBLIGATIONS], axis=1)]
    k = len(OBLIGATIONS)

    def obligations(row: Any) -> str:
        return ";".join(
            f"{o.id}:{statuses[row[k + i]]}" + ("" if row[i] == T else "?")
            for i, o in enumerate(OBLIGATIONS)
            if row[i] != 0
        )

    def violations(row: Any) -> str:
        return ";".join(
            o.id
            for i, o in enumerate(OBLIGATIONS)
            if row[i] == T and statuses[row[k + i]] == "breached"
        )

    obligation_labels, violation_labels = _rendered(
        np.concatenate([applies, status], axis=1), obligations, violations
    )
    (immunity_labels,) = _rendered(
        np.stack(
            [env[f"immunity.{i.id}.claimed"] for i in IMMUNITIES] + [env["immunities.hold"]],
            axis=1,
        ).astype(np.int64),
        _immunity_label,
    )
    names = sorted(missing)
    flags = np.stack([missing[m] for m in names], axis=1) if names else np.zeros((len(ids), 0))
    cloning = env["category"] == CODES.code("commercial_cloning")
    rule = env["rule"]
    frame = pl.DataFrame(
        {
            "case_id": ids,
            "category": _names(env["category"]),
            "rule": _names(rule),
            "_compliant": env["compliant"],
            "determined": (env["category"] >= 0) & (rule >= 0),
            "_rule_known": rule >= 0,
            "_licence": rule == CODES.code("compulsory_license"),
            "obligations": obligation_labels,
            "violations": violation_labels,
            "immunities": immunity_labels,
            "_cloning": cloning,
            "_start": env["window_start"],
            "_end": env["window_end"],
            "missing_facts": _rendered(
                flags.astype(np.int64),
                lambda row: ";".join(m for m, hit in zip(names, row, strict=True) if hit),
            )[0],
        }
    )
    return frame.with_columns(
        pl.when(pl.col("_compliant") == int(U))
        .then(None)
        .otherwise(pl.col("_compliant") == int(T))
        .alias("compliant"),
        pl.when(pl.col("_rule_known")).then(pl.col("_licence")).alias("royalty_due"),
        pl.when(pl.col("_cloning")).then(pl.col("_start").cast(pl.String)).alias("window_start"),
        pl.when(pl.col("_cloning")).then(pl.col("_end").cast(pl.String)).alias("window_end"),
    ).select(ROW_COLUMNS)


_KEY = ("teacher.id", "_day", "deployment", "distiller.region", "_bases")


def complete_frame(df: pl.DataFrame, on: dt.date | None) -> pl.DataFrame:
    """Rows naming a catalogue teacher get its facts, as single cases do (`teachers.completion`):
    computed once per distinct teacher, date and deployment, and used only where a cell is empty."""
    if "teacher.id" not in df.columns or df.height == 0:
        return df
    known = catalogue()
    day = _date_expr("assessed_on") if "assessed_on" in df.columns else pl.lit(None, dtype=pl.Date)
    if on is not None:
        day = day.fill_null(pl.lit(on))
    deployment = (
        pl.col("deployment").cast(pl.String)
        if "deployment" in df.columns
        else pl.lit(None, dtype=pl.String)
    )
    region = (
        pl.col("distiller.region").cast(pl.String).str.strip_chars()
        if "distiller.region" in df.columns
        else pl.lit(None, dtype=pl.String)
    )
    keyed = df.with_columns(
        pl.col("teacher.id").cast(pl.String),
        day.alias("_day"),
        deployment.alias("deployment"),
        region.alias("distiller.region"),
        _bases(df).alias("_bases"),
    )
    keys = keyed.select(_KEY).unique().filter(pl.col("teacher.id").is_in(list(known)))
    rows = []
    for teacher_id, when, deploy, where, built_on in keys.iter_rows():
        if when is None:
            continue
        bases = tuple(b for b in (built_on or "").split(";") if b)
        facts = catalogue_facts(known[teacher_id], when, deploy, where or None, bases)
        rows.append(
            {
                "teacher.id": teacher_id,
                "_day": when,
                "deployment": deploy,
                "distiller.region": where,
                "_bases": built_on,
            }
            | {f"_cat.{f.fact}": _as_text(f.value) for f in facts}
        )
    if not rows:
        return df
    lookup = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        pl.col("_day").cast(pl.Date),
        pl.col("deployment").cast(pl.String),
        pl.col("distiller.region").cast(pl.String),
        pl.col("_bases").cast(pl.String),
    )
    joined = keyed.join(lookup, on=list(_KEY), how="left", maintain_order="left", nulls_equal=True)
    filled = []
    for column in (c for c in lookup.columns if c.startswith("_cat.")):
        fact = column.removeprefix("_cat.")
        mine = pl.col(fact).cast(pl.String) if fact in df.columns else pl.lit(None, pl.String)
        filled.append(pl.coalesce(mine, pl.col(column)).alias(fact))
    return joined.with_columns(filled).select(
        [
            *df.columns,
            *(f.meta.output_name() for f in filled if f.meta.output_name() not in df.columns),
        ]
    )


def _bases(df: pl.DataFrame) -> pl.Expr:
    """A row's base models as one sorted text (a list cell, or 'a; b' in a CSV), for the key of
    the catalogue's completion: a teacher's ban may not reach a student built on some models."""
    if "base_models" not in df.columns:
        return pl.lit(None, dtype=pl.String)
    column = pl.col("base_models")
    if not isinstance(df.schema["base_models"], pl.List):
        column = column.cast(pl.String).str.split(";")
    names = column.cast(pl.List(pl.String)).list.eval(pl.element().str.strip_chars())
    return names.list.sort().list.join(";")


def _check_regions(s: pl.Series, rows: _Rows) -> None:
    """A distiller's region is read against regional exclusions, not by the rules: checked here
    as the case file's field is, so that a misspelt country cannot pass for one outside them."""
    # The country table is read only when a batch has the column.
    import pycountry

    codes = [c.alpha_2 for c in pycountry.countries]
    text = _text(s).str.strip_chars().replace("", None)
    bad = (text.is_not_null() & ~text.is_in(codes)).to_numpy()
    rows.flag(bad, s.name, s, "an ISO 3166-1 alpha-2 country code in capitals, e.g. 'DE' or 'US'")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _date_expr(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().str.to_date("%Y-%m-%d", strict=False)


def assess_frame(
    df: pl.DataFrame,
    profile: Profile,
    on: dt.date | None,
    progress: Progress | None = None,
    first_row_number: int = 2,
) -> pl.DataFrame:
    """Validate and assess every row of a flat frame; chunked so progress can be shown."""
    if "jurisdiction" in df.columns:
        other = df.filter(
            pl.col("jurisdiction").is_not_null() & (pl.col("jurisdiction") != profile.id)
        )
        if other.height:
            raise InvalidBatch(
                f"rows name jurisdiction '{other['jurisdiction'][0]}' but the batch is assessed "
                f"under '{profile.id}': split the file by jurisdiction"
            )
    columns, ids = encode(complete_frame(df, on), on, first_row_number)
    n = ids.len()
    if n == 0:
        return pl.DataFrame({c: [] for c in ROW_COLUMNS})

    def one_chunk(start: int) -> pl.DataFrame:
        stop = min(start + CHUNK, n)
        chunk = {k: v[start:stop] for k, v in columns.items()}
        env, missing = evaluate(chunk, profile.as_of, stop - start)
        return result_frame(env, missing, ids.slice(start, stop - start))

    # NumPy releases the GIL on whole-array work, so chunks evaluate in parallel on every core.
    parts = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for start, part in zip(
            range(0, n, CHUNK), pool.map(one_chunk, range(0, n, CHUNK)), strict=True
        ):
            parts.append(part)
            if progress:
                progress(min(CHUNK, n - start))
    return pl.concat(parts)


def first_row_number(path: Path) -> int:
    """Row 1 of the data is line 2 of a CSV (after its header), line 1 of JSONL or Parquet."""
    return 2 if format_of(path) == "csv" else 1


def write_frame(df: pl.DataFrame, path: Path) -> None:
    """Write atomically in the format the file name asks for."""
    fmt = format_of(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if fmt == "csv":
            df.write_csv(tmp)
        elif fmt == "jsonl":
            df.write_ndjson(tmp)
        else:
            df.write_parquet(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
