"""Shared test helpers: paths, example cases, a case builder with every fact known."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from distillgov.framework import Case
from distillgov.jurisdictions import Profile, load_builtin

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CASES = sorted((EXAMPLES / "cases").glob("*.yaml"))
CASE_FILES = [p for p in CASES if p.name != "expected.yaml"]
PROFILES = ("us", "cn", "global_south")
ON = dt.date(2025, 3, 1)

# A fully known, compliant commercial cloning via the public API: tests change one thing at a time.
BASE: dict[str, Any] = {
    "id": "base",
    "teacher": {
        "release_date": "2024-05-13",
        "weights_public": False,
        "outputs_public": True,
        "abuse_proven": False,
        "terms": {"forbids_distillation": False, "forbids_research": False},
    },
    "distiller": {"same_owner_as_teacher": False},
    "consent": {"granted": False},
    "access": "public_api_within_terms",
    "purpose": "commercial_product",
    "deployment": "commercial",
    "market_relation": "direct_substitute",
    "output_use": ["training"],
    "volume": {"outputs": 1_000_000, "one_off": False},
    "creative_works_at_scale": False,
    "personal_data": {"involved": False, "privacy_violating_use": False},
    "safety": {"evaluated": True, "improvements_shared": True, "unsafe_use": False},
    "transparency": {"disclosure_filed": True, "filed_on": "2025-01-10"},
    "commercial_release_date": "2025-01-20",
}


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def make_case(**changes: Any) -> Case:
    """BASE with some facts changed; a value of None makes that fact unknown."""
    return Case.model_validate(_merge(BASE, changes))


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return {pid: load_builtin(pid) for pid in PROFILES}


@pytest.fixture(scope="session")
def expected() -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / "cases" / "expected.yaml").read_text())
    assert isinstance(data, dict)
    return data


# --- migrated databases, made once a session (tests/registry/conftest.py's `engine` copies them)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Imported here: the registry's conftest imports this module's helpers in turn.
    from tests.registry.conftest import connect, migrate

    """One SQLite database migrated to head, copied for each test: running the migrations for
    every test cost more than the tests themselves."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite"
    e = connect(f"sqlite:///{path}")
    migrate(e)
    e.dispose()
    return path


@pytest.fixture(scope="session")
def migrated_postgres_ddl() -> Iterator[str | None]:
    # Imported here: the registry's conftest imports this module's helpers in turn.
    from tests.registry.conftest import (
        PG_URL,
        _postgres_reachable,
        connect,
        create_engine,
        in_schema,
        migrate,
        postgres_schema,
        text,
    )

    """The schema DDL (and Alembic's revision row) of one PostgreSQL schema migrated to head, as
    pg_dump writes it, with the schema's name as a placeholder; None if pg_dump is missing (then
    each test migrates its own schema)."""
    if _postgres_reachable() is not None or shutil.which("pg_dump") is None:
        yield None
        return
    with postgres_schema("tmpl") as schema:
        e = connect(in_schema(PG_URL, schema))
        migrate(e)
        e.dispose()
        dumped = subprocess.run(
            ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-n", schema,
             "-h", "127.0.0.1", "-U", "postgres", "test"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        with create_engine(in_schema(PG_URL, schema)).connect() as c:
            revision = c.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    body = "\n".join(
        line
        for line in dumped.splitlines()
        if not line.startswith(("CREATE SCHEMA", "SET ", "SELECT pg_catalog.set_config", "\\"))
    )
    yield (
        body.replace(f"{schema}.", "@SCHEMA@.")
        + f"\nINSERT INTO @SCHEMA@.alembic_version (version_num) VALUES ('{revision}');\n"
    )
