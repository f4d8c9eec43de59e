"""Backups of the one database, and restores that are checked before they are trusted.

SQLite: SQLite's online backup API copies the live database page by page (writers may go on;
the copy is one consistent state), the copy's integrity is checked, and it is renamed into place
and flushed. PostgreSQL: `pg_dump` in its custom format (one consistent snapshot, taken without
stopping the servers), restored with `pg_restore`; both must be installed (Debian:
postgresql-client). A restore goes only into an empty database, then brings the schema up to
this release's revision. What is checked after a restore is the caller's (`distillgov restore`
runs the registry's, the ledger's and the requests trail's own checks).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from distillgov.errors import DistillgovError
from distillgov.storage.db import database_url, open_database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(DistillgovError):
    """A backup could not be made, or restored; nothing was left half-written."""


@dataclass(frozen=True)
class Target:
    """A database as the backup tools see it."""

    kind: str  # sqlite | postgresql
    shown: str  # the URL without its password
    file: Path | None = None  # SQLite
    conninfo: str | None = None  # PostgreSQL, as libpq takes it
    schema: str | None = None  # PostgreSQL: the schema named by the URL's search_path


def target(url: str | None) -> Target:
    given = make_url(database_url(url))
    shown = given.render_as_string(hide_password=True)
    if given.get_backend_name() == "sqlite":
        if not given.database or given.database == ":memory:":
            raise BackupError(f"database URL '{shown}': an in-memory database has nothing to keep")
        return Target("sqlite", shown, file=Path(given.database))
    if given.get_backend_name() != "postgresql":
        raise BackupError(f"database URL '{shown}': backups cover SQLite and PostgreSQL only")
    options = " ".join(str(v) for v in _values(given.query.get("options")))
    schema = None
    for part in options.split():
        if part.startswith("-csearch_path="):
            schema = unquote(part.removeprefix("-csearch_path=")).split(",")[0].strip()
    plain = given.set(drivername="postgresql")
    return Target(
        "postgresql", shown, conninfo=plain.render_as_string(hide_password=False), schema=schema
    )


def _values(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, tuple | list) else [value]


def backup(url: str | None, to: Path) -> Target:
    """Write a backup of the database at `url` to the file `to` (replaced only once the new
    copy is complete and checked)."""
    where = target(url)
    partial = to.with_name(to.name + ".partial")
    try:
        if where.kind == "sqlite":
            _sqlite_backup(where, partial)
        else:
            _pg_dump(where, partial)
        _flush(partial)
        partial.replace(to)
        _flush_folder(to.parent)
    finally:
        partial.unlink(missing_ok=True)
    return where


def _sqlite_backup(where: Target, to: Path) -> None:
    assert where.file is not None
    if not where.file.exists():
        raise BackupError(f"database '{where.shown}': no such file")
    source = sqlite3.connect(f"file:{where.file}?mode=ro", uri=True)
    copy = sqlite3.connect(to)
    try:
        source.backup(copy)
        found = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if found != "ok":
            raise BackupError(
                f"the copy of '{where.shown}' failed SQLite's integrity check: {found}"
            )
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: PostgreSQL backups use PostgreSQL's own tools "
            "(Debian: apt-get install postgresql-client)"
        )
    return found


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{what}: {lines[0] if lines else f'exit status {done.returncode}'}")


def _pg_dump(where: Target, to: Path) -> None:
    assert where.conninfo is not None
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={to}"]
    if where.schema:
        command.append(f"--schema={where.schema}")
    _run([*command, f"--dbname={where.conninfo}"], f"pg_dump of '{where.shown}' failed")


def kind_of(backup_file: Path) -> str:
    try:
        with backup_file.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise BackupError(f"backup '{backup_file}': {exc.strerror or exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"backup '{backup_file}': neither a SQLite database nor a pg_dump custom-format archive"
    )


def restore(backup_file: Path, url: str | None) -> Target:
    """Restore `backup_file` into the empty database at `url`, then migrate it to this
    release's schema."""
    kind, where = kind_of(backup_file), target(url)
    if kind != where.kind:
        raise BackupError(
            f"backup '{backup_file}' is a {kind} backup: restore it into a {kind} database, "
            f"not '{where.shown}' (to move between the two, see docs/operations.md)"
        )
    _must_be_empty(where)
    if kind == "sqlite":
        assert where.file is not None
        partial = where.file.with_name(where.file.name + ".partial")
        try:
            source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
            _flush(partial)
            partial.replace(where.file)
            _flush_folder(where.file.parent)
        finally:
            partial.unlink(missing_ok=True)
    else:
        assert where.conninfo is not None
        held = _dump_schemas(backup_file)
        wanted = where.schema or "public"
        if held and wanted not in held:
            raise BackupError(
                f"backup '{backup_file}' holds the schema {', '.join(sorted(held))}: restore it "
                f"with a URL whose search_path names it, not '{wanted}' (nothing was changed)"
            )
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={where.conninfo}",
                str(backup_file),
            ],
            f"pg_restore into '{where.shown}' failed (nothing was restored)",
        )
    open_database(url).dispose()  # brings an older backup's schema up to this release
    return where


def _dump_schemas(backup_file: Path) -> set[str]:
    """The schemas a pg_dump archive creates (none listed: the database's default one)."""
    listing = subprocess.run(
        [_tool("pg_restore"), "--list", str(backup_file)], capture_output=True, text=True
    )
    if listing.returncode != 0:
        raise BackupError(f"backup '{backup_file}': pg_restore cannot read it")
    return {
        line.split(" SCHEMA - ", 1)[1].split()[0]
        for line in listing.stdout.splitlines()
        if " SCHEMA - " in line and not line.startswith(";")
    }


def _must_be_empty(where: Target) -> None:
    if where.kind == "sqlite":
        assert where.file is not None
        if where.file.exists() and where.file.stat().st_size > 0:
            raise BackupError(
                f"database '{where.shown}' exists: restore into a new file (nothing was changed)"
            )
        return
    assert where.conninfo is not None
    engine = create_engine(where.conninfo.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            tables = inspect(c).get_table_names(schema=where.schema)
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise BackupError(f"cannot open the database {where.shown}: {reason}") from None
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"database '{where.shown}' already holds {len(tables)} table(s): restore into an "
            "empty database (nothing was changed)"
        )


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _flush_folder(folder: Path) -> None:
    """A rename survives a power loss only once its folder is flushed too."""
    _flush(folder)
