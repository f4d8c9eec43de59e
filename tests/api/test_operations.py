"""What an operator relies on, on SQLite and PostgreSQL over real HTTP: liveness and readiness,
metrics a Prometheus server can read (parsed with the official client's parser), request ids,
limits that hold across two servers on one database, and checkpoints the service signs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from distillgov.api.app import create_app
from distillgov.errors import DistillgovError
from distillgov.registry.log import create_key
from distillgov.registry.records import Organisation
from distillgov.registry.registry import Registry
from distillgov.storage.db import latest_revision, migrate
from tests.api.conftest import Served, running
from tests.api.test_api import CASE


def _url(served: Served) -> str:
    return served.engine.url.render_as_string(hide_password=False)


@contextmanager
def another_server(served: Served, **options: object) -> Iterator[str]:
    """A second app on the same database, served on a port of its own: its base URL."""
    app = create_app(_url(served), served.data_dir, **options)  # type: ignore[arg-type]
    try:
        with running(app) as base:
            yield base
    finally:
        app.state.engine.dispose()


def _samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_health_answers_and_ready_checks_the_database_its_schema_and_the_signer(
    served: Served, tmp_path: Path
) -> None:
    with served.client() as http:
        assert http.get("/health").json()["status"] == "ok"
        ready = http.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": "ok", "migrations": "current", "signer": "not configured"},
        }
        # The schema taken one revision back (an upgrade not yet run): not ready, and why.
        migrate(served.engine, "0010_consent")
        behind = http.get("/ready")
        assert behind.status_code == 503
        assert behind.json()["checks"]["migrations"] == (
            f"behind: at 0010_consent, this release needs {latest_revision()}"
        )
        migrate(served.engine)
        assert http.get("/ready").status_code == 200
        # A later release migrated it (a rolling upgrade): still ready, for migrations only add.
        with served.engine.begin() as c:
            c.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
        ahead = http.get("/ready")
        assert ahead.status_code == 200
        assert ahead.json()["checks"]["migrations"].startswith("newer: at 0099_future")
        with served.engine.begin() as c:
            c.execute(text(f"UPDATE alembic_version SET version_num = '{latest_revision()}'"))
    # A key that is not the log's: not ready, naming the file.
    Registry(served.engine).log.initialise("ops.example/log", Ed25519PrivateKey.generate())
    create_key(wrong := tmp_path / "wrong.pem")
    with another_server(served, rate=0, log_key=wrong) as base:
        refused = httpx.get(f"{base}/ready")
        assert refused.status_code == 503
        assert refused.json()["checks"]["signer"].startswith(f"wrong key: {wrong}")


def test_a_key_file_that_cannot_be_read_stops_the_server_from_starting(
    served: Served, tmp_path: Path
) -> None:
    (broken := tmp_path / "broken.pem").write_text("not a key")
    with pytest.raises(DistillgovError, match=f"DISTILLGOV_LOG_KEY, value '{broken}'"):
        create_app(_url(served), log_key=broken)


def test_metrics_count_each_route_and_report_the_log(served: Served) -> None:
    reg = Registry(served.engine)
    key = Ed25519PrivateKey.generate()
    reg.log.initialise("ops.example/log", key)
    reg.add(Organisation(id="lab", name="A Lab"))
    reg.log.checkpoint(key)
    reg.add(Organisation(id="other", name="Another Lab"))
    with served.client() as http:
        before = _samples(http.get("/metrics").text)
        for _ in range(3):
            assert (
                http.post(
                    "/api/v1/assessments", json={"case": CASE, "jurisdiction": "us"}
                ).status_code
                == 201
            )
        assert http.get("/api/v1/registry/records/nope").status_code == 404
        page = http.get("/metrics")
    assert page.headers["content-type"].startswith("text/plain")
    after = _samples(page.text)
    route = ("route", "/api/v1/assessments")

    def grew(name: str, labels: tuple[tuple[str, str], ...]) -> float:
        return after[(name, labels)] - before.get((name, labels), 0.0)

    assert grew(
        "distillgov_http_requests_total", (("method", "POST"), route, ("status", "201"))
    ) == (3)
    missing = (("method", "GET"), ("route", "/api/v1/registry/records/{record_id:path}"))
    assert grew("distillgov_http_requests_total", (*missing, ("status", "404"))) == 1
    assert grew("distillgov_http_request_duration_seconds_count", (route,)) == 3
    assert grew("distillgov_decision_log_batch_decisions_sum", ()) == 3
    assert after[("distillgov_decision_log_queue", ())] == 0
    assert after[("distillgov_log_entries", ())] == 2
    assert after[("distillgov_log_unsigned_entries", ())] == 1
    assert 0 <= after[("distillgov_log_checkpoint_age_seconds", ())] < 60
    assert after[("distillgov_settled_licence_months", ())] == 0


def test_every_answer_carries_a_request_id_and_problems_repeat_it(served: Served) -> None:
    with served.client() as http:
        given = http.get("/api/v1/registry/records/nope", headers={"X-Request-ID": "trace-42"})
        assert given.headers["x-request-id"] == "trace-42"
        assert given.json()["request_id"] == "trace-42"
        made = http.get("/api/v1/registry/records/nope", headers={"X-Request-ID": "bad id\t!"})
        assert made.headers["x-request-id"] != "bad id\t!"  # not echoed: a fresh one instead
        assert len(made.headers["x-request-id"]) == 32
        assert made.json()["request_id"] == made.headers["x-request-id"]
        assert "x-request-id" in http.get("/health").headers


def test_a_rate_limit_holds_across_two_servers_on_one_database(served: Served) -> None:
    # 10 requests at once, then one a second: 10 on the first server leave the second none.
    with (
        another_server(served, rate=1, burst=10) as first,
        another_server(served, rate=1, burst=10) as second,
    ):
        with httpx.Client(base_url=first) as a:
            assert [a.get("/health").status_code for _ in range(10)] == [200] * 10
            assert a.get("/health").status_code == 429
        time.sleep(1.0)  # an exchange with the database (every 0.25 s) or four
        with httpx.Client(base_url=second) as b:
            answered = [b.get("/health").status_code for _ in range(10)]
        # The second server knew what the first had granted: what a second's refill allows,
        # not a fresh burst of ten.
        assert answered.count(200) <= 3 and answered[-1] == 429, answered


def test_the_anonymous_quota_is_one_allowance_across_servers(served: Served) -> None:
    with (
        another_server(served, rate=0, anonymous_per_day=4) as first,
        another_server(served, rate=0, anonymous_per_day=4) as second,
    ):
        with httpx.Client(base_url=first) as a:
            for _ in range(4):
                assert (
                    a.post(
                        "/api/v1/assessments", json={"case": CASE, "jurisdiction": "us"}
                    ).status_code
                    == 201
                )
        time.sleep(1.0)
        with httpx.Client(base_url=second) as b:
            refused = b.post("/api/v1/assessments", json={"case": CASE, "jurisdiction": "us"})
        assert refused.status_code == 429 and "4 assessments a day" in refused.json()["detail"]


def test_a_browser_session_opened_on_one_server_works_on_another(served: Served) -> None:
    token = served.account("ana", "distiller", "lab")
    with another_server(served, rate=0) as first, another_server(served, rate=0) as second:
        opened = httpx.post(f"{first}/api/v1/session", json={"token": token})
        assert opened.status_code == 201
        cookies = {"distillgov_session": opened.cookies["distillgov_session"]}
        me = httpx.get(f"{second}/api/v1/session", cookies=cookies)
        assert me.status_code == 200 and me.json()["account"] == "ana"


def test_two_servers_holding_the_key_sign_checkpoints_one_at_a_time(
    served: Served, tmp_path: Path
) -> None:
    key = create_key(tmp_path / "log.pem")
    reg = Registry(served.engine)
    reg.log.initialise("ops.example/log", key)
    options = {"rate": 0, "log_key": tmp_path / "log.pem", "checkpoint_every": 0.05}
    with another_server(served, **options) as first, another_server(served, **options):
        assert httpx.get(f"{first}/ready").json()["checks"]["signer"] == "loaded"
        for n in range(20):
            reg.add(Organisation(id=f"org-{n}", name=f"Org {n}"))
            time.sleep(0.03)
        deadline = time.monotonic() + 10
        while reg.log.size() != _signed_size(reg):
            assert time.monotonic() < deadline, "the servers did not sign the whole log"
            time.sleep(0.05)
    assert reg.log.verify() is None  # every checkpoint extends the one before it


def _signed_size(reg: Registry) -> int | None:
    from distillgov.registry.queries import latest_checkpoint

    found = latest_checkpoint(reg.log)
    return None if found is None else found[0]
