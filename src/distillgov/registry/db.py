"""Where the registry lives: SQLite by default (a file, nothing to install), PostgreSQL by URL.

The schema is managed by Alembic migrations shipped in the package; `migrate` brings any database
to the latest revision.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

DEFAULT_URL = "sqlite:///distillgov.sqlite"
ENV_URL = "DISTILLGOV_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(ENV_URL) or DEFAULT_URL


def connect(url: str | None = None, **options: Any) -> Engine:
    if database_url(url).startswith("sqlite") and "poolclass" not in options:
        # A server's threads each hold a connection while they wait for the write lock.
        options = {"pool_size": 20, "max_overflow": 20, **options}
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
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(engine: Engine) -> None:
    """Upgrade the database to the latest schema."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(Path(str(resources.files("distillgov.registry") / "migrations")))
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str | None = None) -> Engine:
    """Connect and bring the schema up to date: what every command and the server start with."""
    engine = connect(url)
    migrate(engine)
    return engine
