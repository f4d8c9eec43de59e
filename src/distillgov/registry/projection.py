"""The tables every registry query reads (`reg_*`, `cns_*`) are projections of the log: each
entry gives its rows by one function of the entry alone, used alike to write them (when the
entry is appended), to check them (`registry verify`) and to rebuild them (`registry rebuild`).

A projector takes an entry's kind, its data (as logged) and its index, and returns the rows it
projects, table by table. The consent register's kinds are projected by functions of its own
(`consent/register.py`), found here by name.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text

Row = tuple[Any, ...]
Rows = dict[str, list[Row]]
# (the entry's data, its index, the log's time of the append if the entry records it)
Projector = Callable[[dict[str, Any], int, str | None], Rows]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # what names a row in a finding
    dates: tuple[str, ...] = ()  # columns of dates (logged as ISO text)


# In the order rows are written: a table after those its rows refer to.
TABLES: tuple[Table, ...] = (
    Table("reg_organisations", ("id", "name", "entry"), ("id",)),
    Table(
        "reg_models",
        (
            "id",
            "name",
            "owner",
            "release_date",
            "weights_digest",
            "catalogue_id",
            "licence",
            "card_declares_distillation",
            "entry",
        ),
        ("id",),
        ("release_date",),
    ),
    Table(
        "reg_model_amendments",
        ("id", "model", "licence", "card_declares_distillation", "entry"),
        ("id",),
    ),
    Table("reg_base_models", ("model", "base", "relation"), ("model", "base")),
    Table(
        "reg_disclosures",
        (
            "id",
            "student",
            "filed_on",
            "commercial_release_date",
            "late",
            "supersedes",
            "entry",
            "logged_on",
        ),
        ("id",),
        ("filed_on", "commercial_release_date", "logged_on"),
    ),
    Table(
        "reg_edges",
        ("disclosure", "student", "teacher", "signal", "share"),
        ("disclosure", "teacher"),
    ),
    Table("reg_datasets", ("record", "model", "dataset"), ("record", "dataset")),
    Table("reg_statements", ("id", "about", "by_org", "kind", "entry"), ("id",)),
    Table(
        "cns_reservations",
        (
            "id",
            "holder",
            "preferences",
            "tdm_reservation",
            "tdm_policy",
            "filed_on",
            "claimed_from",
            "filed_by",
            "entry",
        ),
        ("id",),
        ("filed_on", "claimed_from"),
    ),
    Table("cns_scopes", ("reservation", "kind", "value", "host"), ("reservation", "kind", "value")),
    Table(
        "cns_withdrawals",
        ("id", "reservation", "filed_on", "filed_by", "entry"),
        ("id",),
        ("filed_on",),
    ),
)
BY_NAME = {t.name: t for t in TABLES}


def _organisation(data: dict[str, Any], index: int, logged_at: str | None = None) -> Rows:
    return {"reg_organisations": [(data["id"], data["name"], index)]}


def _datasets(record: str, model: str, data: dict[str, Any]) -> list[Row]:
    return [(record, model, d) for d in data.get("datasets") or ()]


def _model(data: dict[str, Any], index: int, logged_at: str | None = None) -> Rows:
    return {
        "reg_models": [
            (
                data["id"],
                data["name"],
                data["owner"],
                data.get("release_date"),
                data.get("weights_digest"),
                data.get("catalogue_id"),
                data.get("licence"),
                bool(data.get("card_declares_distillation", False)),
                index,
            )
        ],
        "reg_base_models": [
            (data["id"], b["model"], b.get("relation")) for b in data.get("base_models") or ()
        ],
        "reg_datasets": _datasets(data["id"], data["id"], data),
    }


def _model_amendment(data: dict[str, Any], index: int, logged_at: str | None = None) -> Rows:
    return {
        "reg_model_amendments": [
            (
                data["id"],
                data["model"],
                data.get("licence"),
                bool(data.get("card_declares_distillation", False)),
                index,
            )
        ],
        "reg_base_models": [
            (data["model"], b["model"], b.get("relation")) for b in data.get("base_models") or ()
        ],
        "reg_datasets": _datasets(data["id"], data["model"], data),
    }


def late(filed: str | dt.date, commercial_release_date: str | dt.date | None) -> bool:
    """A disclosure filed after its commercial release: accepted, and flagged."""
    if commercial_release_date is None:
        return False
    return str(filed) > str(commercial_release_date)  # ISO dates sort as dates


def _disclosure(data: dict[str, Any], index: int, logged_at: str | None = None) -> Rows:
    release = data.get("commercial_release_date")
    logged_on = logged_at[:10] if logged_at else None
    return {
        "reg_disclosures": [
            (
                data["id"],
                data["student"],
                data["filed_on"],
                release,
                # Filed when the log took it; the filer's date only where the entry holds no time.
                late(logged_on or data["filed_on"], release),
                data.get("supersedes"),
                index,
                logged_on,
            )
        ],
        "reg_edges": [
            (data["id"], data["student"], t["model"], t["signal"], t.get("share"))
            for t in data["teachers"]
        ],
        "reg_datasets": _datasets(data["id"], data["student"], data),
    }


def _statement(data: dict[str, Any], index: int, logged_at: str | None = None) -> Rows:
    return {"reg_statements": [(data["id"], data["about"], data["by"], data["kind"], index)]}


# Kinds projected by other parts: kind -> (module, function). Looked up when first needed, so
# that the registry does not import the parts built on it at start-up.
ELSEWHERE = {
    "reservation": ("distillgov.consent.register", "reservation_rows"),
    "reservation_withdrawal": ("distillgov.consent.register", "withdrawal_rows"),
}


def _nothing(data: dict[str, Any], index: int, logged_at: str | None = None) -> Rows:
    return {}  # the log's own events (a key rotation): no table holds them


PROJECTORS: dict[str, Projector] = {
    "key_rotation": _nothing,
    "organisation": _organisation,
    "model": _model,
    "model_amendment": _model_amendment,
    "disclosure": _disclosure,
    "statement": _statement,
}


class UnknownKind(ValueError):
    pass


def projector(kind: str) -> Projector:
    found = PROJECTORS.get(kind)
    if found is None:
        if kind not in ELSEWHERE:
            raise UnknownKind(f"no projection for entries of kind '{kind}'")
        module, name = ELSEWHERE[kind]
        found = PROJECTORS[kind] = getattr(importlib.import_module(module), name)
    return found


def rows_of(kind: str, data: dict[str, Any], index: int, logged_at: str | None = None) -> Rows:
    return projector(kind)(data, index, logged_at)


def insert(c: Any, rows: Rows) -> None:
    """Write an entry's rows, parents before children (the order of TABLES)."""
    for table in TABLES:
        found = rows.get(table.name)
        if found:
            marks = ", ".join(f":{col}" for col in table.columns)
            c.execute(
                text(f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})"),
                [for_database(table, row) for row in found],
            )


def for_database(table: Table, row: Row) -> dict[str, Any]:
    """A row as parameters, its dates as dates (the log holds them as ISO text)."""
    values = dict(zip(table.columns, row, strict=True))
    for column in table.dates:
        if isinstance(values[column], str):
            values[column] = dt.date.fromisoformat(values[column])
    return values


def normal(value: Any) -> Any:
    """One form for a value however a database returns it: dates as ISO text, booleans as 0/1,
    JSON text with its keys sorted."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] == "{":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value


def normal_row(row: Iterable[Any]) -> Row:
    return tuple(normal(v) for v in row)


@dataclass(frozen=True)
class Difference:
    """A projected row that is not what the log gives: missing (the log has it, the table not),
    extra (the table has it, the log not), or changed (same key, other values)."""

    table: str
    key: Row
    what: str
    entry: int | None = None
    column: str | None = None
    logged: Any = None
    stored: Any = None

    def __str__(self) -> str:
        t = BY_NAME[self.table]
        named = ", ".join(f"{k} {v!r}" for k, v in zip(t.key, self.key, strict=True))
        at = f" (entry {self.entry})" if self.entry is not None else ""
        if self.what == "changed":
            return (
                f"{self.table} row {named}{at}: {self.column} is {self.stored!r} in the table, "
                f"{self.logged!r} in the log"
            )
        if self.what == "missing":
            return f"{self.table} row {named}{at}: in the log, missing from the table"
        return f"{self.table} row {named}: in the table, but no log entry gives it"


def compare(
    expected: dict[str, list[tuple[Row, int]]], stored: dict[str, list[Row]]
) -> list[Difference]:
    """Every difference between the rows the log gives (each with its entry) and the rows
    stored, table by table, in both directions. (True equals 1 and hashes alike, so booleans
    need no converting; dates do, where the driver gives dates.)"""
    found: list[Difference] = []
    for table in TABLES:
        logged = [r for r, _ in expected.get(table.name, [])]
        kept = _dates_as_text(table, stored.get(table.name, []))
        if Counter(logged) == Counter(kept):
            continue
        found += _differences(table, expected.get(table.name, []), kept)
    return found


def _dates_as_text(table: Table, rows: list[Row]) -> list[Row]:
    at = {table.columns.index(c) for c in table.dates}
    if not at or not any(isinstance(r[i], dt.date) for r in rows[:1] for i in at):
        return rows
    return [
        tuple(v.isoformat() if i in at and isinstance(v, dt.date) else v for i, v in enumerate(r))
        for r in rows
    ]


def _differences(
    table: Table, expected: list[tuple[Row, int]], stored: list[Row]
) -> list[Difference]:
    found: list[Difference] = []
    key_at = [table.columns.index(k) for k in table.key]
    want = Counter(normal_row(r) for r, _ in expected)
    have = Counter(normal_row(r) for r in stored)
    entry_of = {normal_row(r): e for r, e in expected}
    extra_by_key: dict[Row, list[Row]] = {}
    for row in (have - want).elements():
        extra_by_key.setdefault(tuple(row[i] for i in key_at), []).append(row)
    for row in (want - have).elements():
        key = tuple(row[i] for i in key_at)
        twins = extra_by_key.get(key)
        if not twins:
            found.append(Difference(table.name, key, "missing", entry_of.get(row)))
            continue
        other = twins.pop(0)
        for col, logged, kept in zip(table.columns, row, other, strict=True):
            if logged != kept:
                found.append(
                    Difference(table.name, key, "changed", entry_of.get(row), col, logged, kept)
                )
    for key, rows in extra_by_key.items():
        found += [Difference(table.name, key, "extra") for _ in rows]
    return found


# --- checking and rebuilding against the log ----------------------------------------------------


def expected(
    bodies: Iterable[tuple[int, bytes | str]],
) -> tuple[dict[str, list[tuple[Row, int]]], list[str]]:
    """The rows the log's entries give, each with its entry; and the entries that cannot be
    projected (named)."""

    rows: dict[str, list[tuple[Row, int]]] = {t.name: [] for t in TABLES}
    problems: list[str] = []
    for index, body in bodies:
        try:
            decoded = orjson.loads(body)
            kind, data = decoded["kind"], decoded["data"]
            found_rows = rows_of(kind, data, index, decoded.get("logged_at"))
            for table, found in found_rows.items():
                rows[table] += [(row, index) for row in found]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"entry {index}: cannot be projected ({exc})")
    return rows, problems


def stored(c: Any) -> dict[str, list[Row]]:
    """Every projected table's rows, straight from the driver (at a million entries the
    per-row work of a result object would be most of the check)."""
    cursor = c.connection.dbapi_connection.cursor()
    try:
        found = {}
        for t in TABLES:
            cursor.execute(f"SELECT {', '.join(t.columns)} FROM {t.name}")
            found[t.name] = cursor.fetchall()  # tuples, from both drivers
        return found
    finally:
        cursor.close()


def _bodies(c: Any) -> list[tuple[int, str]]:
    cursor = c.connection.dbapi_connection.cursor()
    try:
        cursor.execute("SELECT idx, body FROM log_entries")
        return list(cursor.fetchall())
    finally:
        cursor.close()


def check(c: Any, bodies: list[bytes] | None = None) -> list[str]:
    """Every projected row that differs from what the log gives, both ways; empty if none.
    `bodies`: the entries' bodies in index order, if already read (by the log's own check)."""
    # Millions of small tuples, none in a cycle: the collector's full passes over them would
    # cost a third of the check (measured: docs/performance.md), and find nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _check(c, bodies)
    finally:
        if collecting:
            gc.enable()


def _check(c: Any, read: list[bytes] | None) -> list[str]:
    bodies: list[tuple[int, Any]] = list(enumerate(read)) if read is not None else _bodies(c)
    have = stored(c)
    fast = _rows_only(bodies)
    if fast is not None and all(
        _same(fast[t.name], _dates_as_text(t, have[t.name])) for t in TABLES
    ):
        return []
    want, problems = expected(bodies)  # the slower pass that names entries
    return problems + [str(d) for d in compare(want, have)]


def _same(logged: list[Row], kept: list[Row]) -> bool:
    """The same rows, as many times each. Sets are the fast way when neither side repeats a
    row (as it never should)."""
    if len(logged) != len(kept):
        return False
    as_set = set(logged)
    if len(as_set) == len(logged):
        return as_set == set(kept)
    return Counter(logged) == Counter(kept)


def _rows_only(bodies: list[tuple[int, str]]) -> dict[str, list[Row]] | None:
    """The rows the log gives, without their entries: the fast pass (None if an entry cannot
    be projected; the slow pass names it)."""
    rows: dict[str, list[Row]] = {t.name: [] for t in TABLES}
    add = {name: found.extend for name, found in rows.items()}
    loads = orjson.loads
    try:
        for index, body in bodies:
            decoded = loads(body)
            made = projector(decoded["kind"])(decoded["data"], index, decoded.get("logged_at"))
            for table, found in made.items():
                if found:
                    add[table](found)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    return rows


def rebuild(c: Any) -> dict[str, int]:
    """Bring every projected table to exactly what the log gives, inside the caller's
    transaction: rows missing are inserted, rows changed are put back, rows no entry gives are
    deleted. Returns how many rows were written or removed, by table."""
    want, problems = expected(_bodies(c))
    if problems:
        raise ValueError("; ".join(problems[:3]))
    have = stored(c)
    done: dict[str, int] = {}
    extra: list[tuple[Table, list[Row]]] = []
    for table in TABLES:  # parents first
        key_at = [table.columns.index(k) for k in table.key]
        logged = {tuple(normal_row(r)[i] for i in key_at): r for r, _ in want[table.name]}
        kept: dict[Row, list[Row]] = {}
        for r in have[table.name]:
            kept.setdefault(tuple(normal_row(r)[i] for i in key_at), []).append(r)
        count = 0
        for key, row in logged.items():
            now = kept.get(key, [])
            if [normal_row(r) for r in now] == [normal_row(row)]:
                continue
            if len(now) == 1:  # put back in place: rows elsewhere may refer to it
                _update(c, table, row)
            else:
                if now:
                    _delete(c, table, key)
                insert(c, {table.name: [row]})
            count += 1
        extra.append((table, [k for k in kept if k not in logged]))
        done[table.name] = count
    for table, keys in reversed(extra):  # children first
        for key in keys:
            _delete(c, table, key)
        done[table.name] += len(keys)
    return {t: n for t, n in done.items() if n}


def _update(c: Any, table: Table, row: Row) -> None:
    values = for_database(table, row)
    rest = [col for col in table.columns if col not in table.key]
    sets = ", ".join(f"{col} = :{col}" for col in rest)
    where = " AND ".join(f"{k} = :{k}" for k in table.key)
    c.execute(text(f"UPDATE {table.name} SET {sets} WHERE {where}"), values)


def _delete(c: Any, table: Table, key: Row) -> None:
    where = " AND ".join(f"{k} = :{k}" for k in table.key)
    values = dict(zip(table.key, key, strict=True))
    for column in table.dates:
        if column in values and isinstance(values[column], str):
            values[column] = dt.date.fromisoformat(values[column])
    c.execute(text(f"DELETE FROM {table.name} WHERE {where}"), values)
