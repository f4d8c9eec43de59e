"""Servers stopped the hard and the gentle way, under load:

- SIGTERM drains: every decision a client was answered for is in the decision log, the process
  exits cleanly, and its JSON log has a line per request with the id the client saw.
- Two servers on one PostgreSQL database, both signing checkpoints, driven with disclosures,
  usage reports and assessments at once; one is killed with SIGKILL mid-load. The log then
  verifies, no index was used twice, and every acknowledged write and logged decision is there.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from distillgov.registry.log import create_key
from distillgov.registry.records import Model, Organisation
from distillgov.registry.registry import Registry
from distillgov.service import accounts
from distillgov.storage.db import open_database
from tests.api.test_api import CASE
from tests.operations.servers import Server
from tests.registry.conftest import PG_URL, in_schema, postgres_schema


def _unique_case(n: int) -> dict[str, object]:
    case = copy.deepcopy(CASE)
    case["id"] = f"load-{n}-{uuid.uuid4().hex[:8]}"  # never seen: assessed and stored afresh
    return {"case": case, "jurisdiction": "us"}


class Load:
    """Client threads repeating one kind of request until told to stop, keeping what was
    acknowledged (a 201 and its answer)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.acknowledged: list[tuple[str, dict[str, object]]] = []
        self.answered_after: dict[str, int] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._count = 0

    def start(self, kind: str, urls: list[str], send: Callable[[httpx.Client, int], httpx.Response],
              clients: int, headers: dict[str, str] | None = None) -> None:  # fmt: skip
        def run(worker: int) -> None:
            http = {u: httpx.Client(base_url=u, headers=headers, timeout=30) for u in urls}
            while not self.stop.is_set():
                with self._lock:
                    self._count += 1
                    n = self._count
                url = urls[n % len(urls)]
                try:
                    response = send(http[url], n)
                except httpx.HTTPError:  # a server gone: not acknowledged, so not owed
                    time.sleep(0.01)
                    continue
                if response.status_code == 201:
                    with self._lock:
                        self.acknowledged.append((kind, response.json()))
            for client in http.values():
                client.close()

        for worker in range(clients):
            thread = threading.Thread(target=run, args=(worker,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def count(self, kind: str) -> int:
        with self._lock:
            return sum(k == kind for k, _ in self.acknowledged)

    def finish(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def _assessments_counted(page: str) -> float:
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if (
                sample.name == "distillgov_http_requests_total"
                and sample.labels.get("route") == "/api/v1/assessments"
                and sample.labels.get("status") == "201"
            ):
                return sample.value
    return 0.0


def _decision_ids(engine: Engine) -> set[str]:
    with engine.connect() as c:
        return set(c.execute(text("SELECT id FROM svc_decisions")).scalars())


def test_sigterm_under_load_answers_nothing_it_has_not_written(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'drain.sqlite'}"
    env = {
        "DISTILLGOV_DATABASE_URL": database,
        "DISTILLGOV_RATE_LIMIT": "0",
        "DISTILLGOV_ANONYMOUS_DAILY_QUOTA": "0",
    }
    load = Load()
    with Server(tmp_path, "drain", env, workers=2) as server:
        server.wait_ready()
        # 40 connections, which the kernel spreads over both workers: a scrape of either one
        # counts all 40 (the client library's multiprocess mode adds up the workers' files).
        for n in range(40):
            with httpx.Client(base_url=server.url) as http:
                assert http.post("/api/v1/assessments", json=_unique_case(n)).status_code == 201
        page = httpx.get(f"{server.url}/metrics").text
        assert _assessments_counted(page) == 40

        def assess(http: httpx.Client, n: int) -> httpx.Response:
            return http.post("/api/v1/assessments", json=_unique_case(n))

        load.start("decision", [server.url], assess, clients=16)
        while load.count("decision") < 200:
            time.sleep(0.05)
        assert server.terminate()
        signalled = load.count("decision")
        load.finish()
    answered = {str(body["decision_id"]) for _, body in load.acknowledged}
    engine = open_database(database)
    assert answered <= _decision_ids(engine)  # every decision a client was told of, kept
    engine.dispose()
    assert len(answered) >= signalled
    lines = [line for line in server.log_lines() if line["logger"] == "distillgov.access"]
    logged = {line["request_id"] for line in lines if line["status"] == 201}
    assert len(logged) >= len(answered)
    assert all(line["route"] == "/api/v1/assessments" for line in lines if line["status"] == 201)
    assert not [line for line in server.log_lines() if line["level"] == "error"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_schema("s") as schema:
        yield in_schema(PG_URL, schema)


STUDENTS = 400


def _prepare(url: str, folder: Path) -> tuple[str, str]:
    """A registry with a teacher and STUDENTS student models of 'lab', a licence to report
    usage on; the tokens of lab's distiller and of the licensee."""
    import datetime as dt

    from distillgov.assessment.assess import assess_case
    from distillgov.assessment.casefiles import load_case
    from distillgov.jurisdictions import load_builtin
    from distillgov.licensing.licences import open_licence
    from tests.operations.conftest import ROOT

    engine = open_database(url)
    reg = Registry(engine)
    reg.log.initialise("two.example/log", create_key(folder / "log.pem"))
    reg.add_many([Organisation(id="lab", name="Lab"), Organisation(id="big", name="Big")])
    reg.add_many(
        [Model(id="big-1", name="Big", owner="big")]
        + [Model(id=f"tiny-{i}", name=f"Tiny {i}", owner="lab") for i in range(STUDENTS)]
    )
    case = load_case(ROOT / "examples/cases/startup-clones-chat-model-via-public-api.yaml")
    profile = load_builtin("global_south")
    day = dt.date(2025, 3, 1)
    open_licence(engine, assess_case(case, profile, day), case, profile, day, "s-1", "lic-gs")
    accounts.add_account(engine, "ana", "distiller", "lab")
    accounts.add_account(engine, "cc", "distiller", "cheap-chat-inc")
    tokens = (
        accounts.issue_token(engine, "ana", ["read", "write"], 1),
        accounts.issue_token(engine, "cc", ["read", "write"], 1),
    )
    engine.dispose()
    return tokens


def test_two_servers_on_one_postgresql_database_survive_one_being_killed(
    tmp_path: Path, pg_url: str
) -> None:
    distiller, licensee = _prepare(pg_url, tmp_path)
    env = {
        "DISTILLGOV_DATABASE_URL": pg_url,
        "DISTILLGOV_DATA_DIR": str(tmp_path / "data"),  # shared, as a network volume would be
        "DISTILLGOV_RATE_LIMIT": "0",
        "DISTILLGOV_ANONYMOUS_DAILY_QUOTA": "0",
        "DISTILLGOV_LOG_KEY": str(tmp_path / "log.pem"),
        "DISTILLGOV_CHECKPOINT_EVERY": "0.2",
    }

    def disclose(http: httpx.Client, n: int) -> httpx.Response:
        return http.post(
            "/api/v1/registry/disclosures",
            json={
                "id": f"d-{n}",
                "student": f"tiny-{n % STUDENTS}",
                "supersedes": None,
                "teachers": [{"model": "big-1", "signal": "logits"}],
                "method_summary": "Logit distillation.",
                "data_sources_summary": "Teacher outputs.",
                "filed_on": "2025-01-10",
            },
        )

    def report(http: httpx.Client, n: int) -> httpx.Response:
        rows = f"licence,period,units,revenue,currency\nlic-gs,2025-03,{n},1.00,USD\n"
        return http.post(
            "/api/v1/licences/lic-gs/usage",
            files={"report": (f"r-{n}.csv", rows.encode(), "text/csv")},
        )

    def assess(http: httpx.Client, n: int) -> httpx.Response:
        return http.post("/api/v1/assessments", json=_unique_case(n))

    load = Load()
    with Server(tmp_path, "a", env) as a, Server(tmp_path, "b", env) as b:
        a.wait_ready()
        b.wait_ready()
        both = [a.url, b.url]
        auth = {"Authorization": f"Bearer {distiller}"}
        load.start("disclosure", both, disclose, clients=4, headers=auth)
        load.start(
            "report", both, report, clients=2, headers={"Authorization": f"Bearer {licensee}"}
        )
        load.start("decision", both, assess, clients=6)
        deadline = time.monotonic() + 60
        while min(load.count(k) for k in ("disclosure", "report", "decision")) < 20:
            assert time.monotonic() < deadline, "the load made no progress"
            time.sleep(0.05)
        a.kill()  # mid-load: its transactions in flight die with it
        killed_at = {k: load.count(k) for k in ("disclosure", "report", "decision")}
        time.sleep(1.5)  # the other server carries on alone
        load.finish()
        assert b.terminate()
    assert all(load.count(k) > killed_at[k] for k in killed_at), "b stopped serving"

    engine = open_database(pg_url)
    reg = Registry(engine)
    assert reg.log.verify() is None  # every entry and every checkpoint, recomputed
    with engine.connect() as c:
        count, distinct, top = c.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT idx), MAX(idx) FROM log_entries")
        ).one()
        reports = set(c.execute(text("SELECT id FROM lic_reports")).scalars())
        checkpoints = c.execute(text("SELECT COUNT(*) FROM log_checkpoints")).scalar_one()
    assert count == distinct == top + 1  # no index twice, none skipped
    assert checkpoints >= 2  # signed by the servers as the log grew
    for kind, body in load.acknowledged:
        if kind == "disclosure":
            assert reg.entry_of(str(body["id"])) == body["entry"]
        elif kind == "report":
            assert body["report"] in reports
    answered = {str(body["decision_id"]) for k, body in load.acknowledged if k == "decision"}
    assert answered <= _decision_ids(engine)
    engine.dispose()
