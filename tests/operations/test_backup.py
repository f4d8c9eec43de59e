"""`distillgov backup` and `restore` on both databases, as an operator runs them: the restored
copy is a fresh database that passes `registry verify` and `ledger check`, holds the same log
and books, and a restore never lands on a database that holds anything."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from distillgov.licensing import ledger
from distillgov.registry.registry import Registry
from distillgov.storage.db import open_database
from tests.operations.conftest import populate
from tests.registry.conftest import PG_URL, in_schema, postgres_schema, require_postgres


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distillgov", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards): its name."""
    require_postgres()
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    with postgres_schema("b") as schema:
        yield schema


def _state(url: str) -> tuple[int, str | None, dict[str, int], str]:
    engine = open_database(url)
    reg = Registry(engine)
    with engine.connect() as c:
        root = c.execute(text("SELECT note FROM log_checkpoints ORDER BY size DESC")).scalar()
    state = (reg.log.size(), root, ledger.totals(engine), str(ledger.accounts(engine)))
    engine.dispose()
    return state


def _assert_restored(source: str, copy: str, backup: Path) -> None:
    restored = cli("restore", backup, "--database", copy)
    assert restored.returncode == 0, restored.stderr
    assert "every checkpoint verified" in restored.stdout
    assert "debits equal credits" in restored.stdout
    assert _state(copy) == _state(source)
    for check in (["registry", "verify"], ["ledger", "check"]):
        done = cli(*check, "--database", copy)
        assert done.returncode == 0 and done.stdout.startswith("ok:"), done.stderr


def test_a_sqlite_backup_restores_into_a_new_file_that_verifies(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'live.sqlite'}"
    engine = open_database(source)
    populate(engine, tmp_path)
    engine.dispose()
    made = cli("backup", tmp_path / "b.bak", "--database", source)
    assert made.returncode == 0 and made.stdout.startswith("ok:"), made.stderr
    copy = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    _assert_restored(source, copy, tmp_path / "b.bak")
    # A restore never overwrites: the live database is refused, and left as it was.
    before = _state(source)
    again = cli("restore", tmp_path / "b.bak", "--database", source)
    assert again.returncode != 0 and "restore into a new file" in again.stderr
    assert "Traceback" not in again.stderr and _state(source) == before


def test_a_postgresql_backup_restores_into_a_fresh_database_that_verifies(
    tmp_path: Path, pg_schema: str, fresh_pg_database: str
) -> None:
    source = in_schema(PG_URL, pg_schema)
    engine = open_database(source)
    populate(engine, tmp_path)
    engine.dispose()
    made = cli("backup", tmp_path / "pg.bak", "--database", source)
    assert made.returncode == 0, made.stderr
    base = PG_URL.rsplit("/", 1)[0]
    copy = in_schema(f"{base}/{fresh_pg_database}", pg_schema)
    _assert_restored(source, copy, tmp_path / "pg.bak")
    # The same backup again into the now full database: refused, nothing changed.
    again = cli("restore", tmp_path / "pg.bak", "--database", copy)
    assert again.returncode != 0 and "already holds" in again.stderr
    # Into another schema than the one it holds: refused with the schema to use.
    wrong = cli("restore", tmp_path / "pg.bak", "--database", f"{base}/{fresh_pg_database}")
    assert wrong.returncode != 0 and f"holds the schema {pg_schema}" in wrong.stderr


def test_backups_refuse_what_they_cannot_do_in_one_clear_line(tmp_path: Path) -> None:
    (junk := tmp_path / "junk.bak").write_bytes(b"not a backup at all")
    cases = [
        (["restore", junk, "--database", f"sqlite:///{tmp_path / 'x.sqlite'}"], "neither a"),
        (
            ["backup", tmp_path / "b.bak", "--database", f"sqlite:///{tmp_path / 'none.sqlite'}"],
            "no such file",
        ),
        (["restore", tmp_path / "missing.bak"], "No such file"),
    ]
    for args, expected in cases:
        done = cli(*args)
        assert done.returncode != 0 and expected in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.sqlite").exists() and not (tmp_path / "b.bak").exists()
