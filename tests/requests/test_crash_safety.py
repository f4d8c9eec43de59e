"""Killing a batch of request steps with SIGKILL at any moment, then running the same file
again, loses no step and writes none twice, on SQLite and PostgreSQL: every request ends with
exactly its steps, every downstream duty is opened once, and the trail checks."""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from distillgov.jurisdictions import load_builtin
from distillgov.requests import store
from distillgov.storage.db import connect, migrate, reading
from tests.registry.conftest import PG_URL, in_schema, postgres_schema
from tests.requests.conftest import DATASET, DEPTH, build_lineage

REQUESTS = 30
STEPS = ("acknowledge", "verify", "fulfil")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A URL a subprocess can open, and an engine on the same database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
        engine = connect(url)
        migrate(engine)
        yield url, engine
        engine.dispose()
        return
    with postgres_schema("t") as schema:
        url = in_schema(PG_URL, schema)
        engine = connect(url)
        migrate(engine)
        yield url, engine
        engine.dispose()


def _events(engine: Engine) -> int:
    with reading(engine) as c:  # takes no lock: the batch is never held up by the counting
        return int(c.execute(text("SELECT COUNT(*) FROM dsr_events")).scalar_one())


def _apply(url: str, steps: Path, kill_after_events: int | None, engine: Engine) -> bool:
    """Run `requests apply` to the end (True), or SIGKILL it once the trail holds
    `kill_after_events` events (False)."""
    command = [
        sys.executable,
        "-m",
        "distillgov",
        "requests",
        "apply",
        str(steps),
        "--database",
        url,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after_events is None:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        return True
    deadline = time.monotonic() + 120
    while process.poll() is None and _events(engine) < kill_after_events:
        assert time.monotonic() < deadline, "the batch made no progress"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return False


def test_sigkill_during_a_batch_of_steps_then_rerun_loses_nothing(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    build_lineage(engine)
    today = dt.date.today()
    ids = []
    for i in range(REQUESTS):
        form = store.parse_form(
            {"kind": "deletion", "organisation": "acme", "dataset": DATASET,
             "received_on": today.isoformat(), "subject": {"reference": f"user-{i}"}}
        )  # fmt: skip
        ids.append(store.file_request(engine, form, load_builtin("us"), None, today)["id"])
    steps = tmp_path / "steps.csv"
    steps.write_text(
        "request,action\n" + "".join(f"{r},{a}\n" for r in ids for a in STEPS), encoding="utf-8"
    )
    rng = random.Random(20)
    start = _events(engine)
    per_request = len(STEPS) + DEPTH + 2  # its steps, then a duty for each model downstream
    total = start + REQUESTS * per_request
    kills = 0
    for _ in range(4):
        now = _events(engine)
        if now >= total - 1:  # a fulfilment writes its duties at once: the batch may be done
            break
        _apply(url, steps, rng.randint(now + 1, total - 1), engine)
        kills += 1
    assert kills >= 2, "the batch was killed part-way at least twice"
    assert _apply(url, steps, None, engine)
    assert _events(engine) == total
    with engine.connect() as c:
        per = dict(
            c.execute(text("SELECT request, COUNT(*) FROM dsr_events GROUP BY request")).all()
        )
        duties = int(c.execute(text("SELECT COUNT(*) FROM dsr_duties")).scalar_one())
    assert per == {r: 1 + per_request for r in ids}  # received + steps + duties, once each
    assert duties == REQUESTS * (DEPTH + 2)
    assert {store.get(engine, r, today)["status"] for r in ids} == {"fulfilled"}
    assert store.check(engine) == []
