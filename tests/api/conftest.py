"""The API served for real: uvicorn on a free loopback port in a thread, on SQLite and on
PostgreSQL (its own schema), talked to over HTTP with httpx."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine

from distillgov.api.app import create_app
from distillgov.service import accounts as auth
from tests.registry.conftest import (
    PG_URL,
    engine,  # noqa: F401  (the database fixture, both kinds)
    in_schema,
    postgres_schema,
)


@dataclass
class Served:
    url: str
    engine: Engine
    data_dir: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def account(self, account: str, role: str, organisation: str | None, write: bool = True) -> str:
        auth.add_account(self.engine, account, role, organisation)
        return auth.issue_token(self.engine, account, ["read", "write"] if write else ["read"], 30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port in a thread; its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    with ExitStack() as stack:
        # From the session's migrated templates (tests/conftest.py): create_app then finds the
        # schema at head instead of migrating each time.
        if request.param == "sqlite":
            shutil.copy(request.getfixturevalue("migrated_sqlite"), tmp_path / "api.sqlite")
            url = f"sqlite:///{tmp_path / 'api.sqlite'}"
        else:
            schema = stack.enter_context(postgres_schema("a"))
            ddl = request.getfixturevalue("migrated_postgres_ddl")
            if ddl is not None:
                filler = create_engine(in_schema(PG_URL, schema))
                with filler.begin() as c:
                    c.exec_driver_sql(ddl.replace("@SCHEMA@.", f'"{schema}".'))
                filler.dispose()
            url = in_schema(PG_URL, schema)
        app = create_app(url, tmp_path / "data", rate=0)
        with running(app) as base:
            yield Served(base, app.state.engine, tmp_path / "data")
        app.state.engine.dispose()
