"""Where the registry lives: SQLite by default (a file, nothing to install), PostgreSQL by URL.

The schema is managed by Alembic migrations shipped in the package; `migrate` brings any database
to the latest revision.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from distillgov.errors import DistillgovError

DEFAULT_URL = "sqlite:///distillgov.sqlite"
ENV_URL = "DISTILLGOV_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(ENV_URL) or DEFAULT_URL


ENV_POOL = "DISTILLGOV_DB_POOL_SIZE"


def connect(url: str | None = None, **options: Any) -> Engine:
    sqlite = database_url(url).startswith("sqlite")
    if "poolclass" not in options:
        # On SQLite a server's threads each hold a connection while they wait for the write
        # lock; PostgreSQL's default is SQLAlchemy's (measured: docs/performance.md).
        size = _pool_size(20 if sqlite else 5)
        options = {"pool_size": size, "max_overflow": 20 if sqlite else 10, **options}
    engine = create_engine(database_url(url), **options)
    if engine.dialect.name == "sqlite":
        # Foreign keys on, and a write lock taken at the start of every transaction, so two
        # writers cannot both read the same log size and append the same index.
        @event.listens_for(engine, "connect")
        def _pragmas(conn, _):  # type: ignore[no-untyped-def]
            conn.isolation_level = None
            conn.execute("PRAGMA foreign_keys = ON")
            # Readers never wait for the writer, and a commit appends to the write-ahead log
            # (still flushed to disk at every commit: synchronous stays FULL).
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA busy_timeout = 10000")

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # A reader (see `reading`) takes no lock at all: in WAL mode it sees the last
            # commit and never waits for, or holds up, a writer.
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _pool_size(default: int) -> int:
    given = os.environ.get(ENV_POOL)
    if not given:
        return default
    if not given.isdigit() or int(given) < 1:
        raise DistillgovError(
            f"{ENV_POOL}, value '{given}': a whole number of connections, 1 or more"
        )
    return int(given)


READ_ONLY = "distillgov_read_only"


def reading(engine: Engine) -> Connection:
    """A connection for reading only (`with reading(engine) as c:`). On SQLite every other
    transaction takes the write lock when it begins, so that a writer never acts on what it
    read before another writer's commit; a reader needs no lock, and a server answering
    thousands of reads a second must not queue them behind its writers."""
    return engine.execution_options(**{READ_ONLY: True}).connect()


def _alembic() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(Path(str(resources.files("distillgov.storage") / "migrations")))
    )
    return config


def latest_revision() -> str:
    """The newest schema revision this release ships."""
    head = ScriptDirectory.from_config(_alembic()).get_current_head()
    assert head is not None
    return head


def schema_state(engine: Engine) -> str:
    """'current'; 'newer' (a later release has migrated it: ours still work, for migrations only
    add); or 'behind: at REV' (this release's upgrade has not run)."""
    current = schema_revision(engine)
    head = latest_revision()
    if current == head:
        return "current"
    known = {r.revision for r in ScriptDirectory.from_config(_alembic()).walk_revisions()}
    if current is not None and current not in known:
        return f"newer: at {current}, this release knows up to {head}"
    return f"behind: at {current}, this release needs {head}"


def schema_revision(engine: Engine) -> str | None:
    """The database's schema revision (None: never migrated)."""
    with engine.connect() as c:
        return MigrationContext.configure(c).get_current_revision()


def migrate(engine: Engine, to: str = "head") -> None:
    """Upgrade the database to the latest schema (or to revision `to`, or back down to it)."""
    config = _alembic()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if to == "head":
            command.upgrade(config, "head")
            return
        current = MigrationContext.configure(connection).get_current_revision()
        script = ScriptDirectory.from_config(config)
        later = (
            current is not None
            and to in {r.revision for r in script.iterate_revisions(current, "base")}
            and to != current
        )
        (command.downgrade if later else command.upgrade)(config, to)


def open_database(url: str | None = None) -> Engine:
    """Connect and bring the schema up to date: what every command and the server start with.
    A database that cannot be reached, or a URL that names none, is a DistillgovError naming
    the URL (without its password) and the reason."""
    given = database_url(url)
    try:
        shown = make_url(given).render_as_string(hide_password=True)
    except ArgumentError:
        raise DistillgovError(
            f"database URL '{given}' is not a URL: use sqlite:///FILE or "
            "postgresql+psycopg://USER@HOST:PORT/DATABASE"
        ) from None
    try:
        engine = connect(given)
        migrate(engine)
    except NoSuchModuleError:
        raise DistillgovError(
            f"database URL '{shown}': not a database distillgov supports (SQLite, PostgreSQL)"
        ) from None
    except (OperationalError, ModuleNotFoundError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DistillgovError(f"cannot open the database {shown}: {reason}") from None
    return engine


def sqlite_file(engine: Engine) -> str | None:
    """The file of a SQLite database; None for PostgreSQL or SQLite in memory."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    return database if database and database != ":memory:" else None


class WriteGate:
    """Taken around a write transaction by writers that commit often from several processes
    (the service's decision log, one writer thread per worker). SQLite's own wait for its write
    lock polls with growing sleeps, so a process that keeps re-taking the lock can starve the
    other for a second; a kernel file lock wakes the waiter as soon as the lock is free. For
    PostgreSQL, or SQLite in memory, it does nothing."""

    def __init__(self, engine: Engine) -> None:
        database = sqlite_file(engine)
        self._path = Path(f"{database}.writelock") if database else None
        self._fd: int | None = None

    def __enter__(self) -> None:
        if self._path is None:
            return
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def checkpoint_in_background(engine: Engine, every: float = 0.5) -> None:
    """For a long-running server on SQLite: copy the write-ahead log into the database from a
    thread of its own, every `every` seconds, instead of inside whichever commit crosses
    SQLite's threshold — that commit would otherwise stall its request (and, for the decision
    log, the event loop) for the 10–25 ms a checkpoint takes. Elsewhere it does nothing."""
    database = sqlite_file(engine)
    if database is None:
        return

    @event.listens_for(engine, "connect")
    def _no_automatic_checkpoints(conn, _):  # type: ignore[no-untyped-def]
        conn.execute("PRAGMA wal_autocheckpoint = 0")

    engine.dispose()  # connections made before this was set go

    def run() -> None:
        c = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        while Path(database).exists():  # a database removed (a test's) ends the thread
            time.sleep(every)
            try:
                # PASSIVE: never waits for, or blocks, a reader or a writer.
                c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:  # busy now: the next round, or SQLite's own, will do it
                continue
        c.close()

    threading.Thread(target=run, name="wal-checkpoint", daemon=True).start()
