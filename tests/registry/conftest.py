"""Databases for the storage tests: a SQLite file, and the machine's PostgreSQL.

PostgreSQL is at 127.0.0.1:5432, database `test`, trust auth. Each test gets its own schema,
dropped afterwards. Where PostgreSQL cannot be reached the PostgreSQL variants are skipped with a
message — except under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from distillgov.storage.db import connect, migrate

PG_URL = os.environ.get(
    "DISTILLGOV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> str | None:
    try:
        with create_engine(PG_URL).connect() as c:
            c.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "not reachable"
        return str(exc).splitlines()[0]
    return None


def require_postgres() -> None:
    """Skip the test when PostgreSQL cannot be reached; under CI that is a failure."""
    problem = _postgres_reachable()
    if problem is not None:
        message = f"PostgreSQL not reachable at {PG_URL}: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message + " (storage tests ran on SQLite only)")


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A new schema on the test server, dropped with everything in it afterwards: its name."""
    require_postgres()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def in_schema(url: str, schema: str) -> str:
    """The database URL with its search path set to `schema`."""
    return f"{url}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[Engine]:
    if request.param == "sqlite":
        target = tmp_path / "registry.sqlite"
        shutil.copy(migrated_sqlite, target)
        e = connect(f"sqlite:///{target}")
        yield e
        e.dispose()
        return
    ddl = request.getfixturevalue("migrated_postgres_ddl")
    with postgres_schema("t") as schema:
        e = connect(in_schema(PG_URL, schema))  # the URL names the schema: a server can use it
        if ddl is None:
            migrate(e)
        else:
            with e.begin() as c:
                c.exec_driver_sql(ddl.replace("@SCHEMA@.", f'"{schema}".'))
        yield e
        e.dispose()
