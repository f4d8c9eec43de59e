"""Hostile and careless requests get a 4xx problem document, never a 5xx; no answer echoes a
body; every answer, page or API, error or not, carries the security headers; /docs needs no
other origin."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from distillgov.api.app import create_app
from tests.api.conftest import running

CASE = {"assessed_on": "2025-01-01", "access": "public_api_within_terms"}
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp: Path = tmp_path_factory.mktemp("hostile")
    app = create_app(f"sqlite:///{tmp / 'api.sqlite'}", tmp / "data", rate=0)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client
    app.state.engine.dispose()


def _body(outputs: str, extra: str = ', "jurisdiction": "us"') -> str:
    return f'{{"case": {{"assessed_on": "2025-01-01", "volume": {{"outputs": {outputs}}}}}{extra}}}'


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body("9" * 400), "volume.outputs"),
        (_body("1e400"), "volume.outputs"),
        (_body("NaN"), "volume.outputs"),
        (_body("-Infinity"), "volume.outputs"),
        (_body("true"), "volume.outputs"),
        (json.dumps({"case": CASE, "jurisdiction": "us", "on": "9999-12-31"}), "on"),
        (json.dumps({"case": CASE, "jurisdiction": "us", "on": "2024-02-30"}), "on"),
        (json.dumps({"case": {**CASE, "id": "a\u0000b"}, "jurisdiction": "us"}), "id"),
        (
            json.dumps({"case": {**CASE, "description": "x" * 20_000}, "jurisdiction": "us"}),
            "description",
        ),
    ],
)
def test_bad_values_are_422_naming_the_field(http: httpx.Client, body: str, field: str) -> None:
    r = http.post("/api/v1/assessments", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert any(e["field"] == field for e in problem.get("errors", [])), problem
    assert len(r.content) < 2_000  # the value at fault is shown short, never the body


def test_an_invalid_json_body_is_not_echoed(http: httpx.Client) -> None:
    secret = "not json " + "s3cr3t" * 500
    r = http.post(
        "/api/v1/assessments", content=secret, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and "s3cr3t" not in r.text and "b'" not in r.text


def test_a_missing_jurisdiction_speaks_http_not_cli_flags(http: httpx.Client) -> None:
    r = http.post("/api/v1/assessments", json={"case": CASE})
    assert r.status_code == 422 and "--" not in r.json()["detail"]


def test_query_dates_are_validated(http: httpx.Client) -> None:
    for path in ("/jurisdictions?on=garbage", "/api/v1/lab/compare?on=9999-12-31"):
        r = http.get(path)
        assert r.status_code == 422, (path, r.text)


def test_a_wrong_method_names_the_allowed_ones(http: httpx.Client) -> None:
    r = http.put("/api/v1/assessments")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/assess",
        "/registry",
        "/jurisdictions",
        "/watch-terms",
        "/api/v1/watch-terms",
        "/api/v1/health",
        "/api/v1/jurisdictions",
        "/api/v1/nowhere",
        "/api/v1/licences",
        "/static/app.css",
        "/openapi.json",
        "/docs",
    ],
)
def test_every_answer_carries_the_security_headers(http: httpx.Client, path: str) -> None:
    r = http.get(path)
    for name, value in HEADERS.items():
        assert r.headers.get(name) == value, (path, name)
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, path


def test_the_docs_load_nothing_from_another_origin(http: httpx.Client) -> None:
    page = http.get("/docs").text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith("/") for u in urls), urls
    for u in urls:
        assert http.get(u).status_code == 200, u


def test_strangers_cannot_grow_the_decision_log_without_bound(tmp_path: Path) -> None:
    app = create_app(
        f"sqlite:///{tmp_path / 'q.sqlite'}", tmp_path / "data", rate=0, anonymous_per_day=2
    )
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as anonymous:
        body = {"case": CASE, "jurisdiction": "us"}
        assert [anonymous.post("/api/v1/assessments", json=body).status_code for _ in range(2)] == [
            201,
            201,
        ]
        refused = anonymous.post("/api/v1/assessments", json=body)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "sign in" in refused.json()["detail"]
        with app.state.engine.connect() as c:
            logged = c.exec_driver_sql("SELECT COUNT(*) FROM svc_decisions").scalar_one()
        assert logged == 2  # the refused request left no trace
    app.state.engine.dispose()


def test_pages_and_health_are_rate_limited_too(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path / "data", rate=0.5, burst=3)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        for path in ("/", "/api/v1/health"):
            codes = [client.get(path).status_code for _ in range(4)]
            assert 429 in codes, (path, codes)
        limited = client.get("/registry")
        assert limited.status_code == 429 and "retry-after" in limited.headers
        assert limited.headers["x-frame-options"] == "DENY"  # refusals carry the headers too
    app.state.engine.dispose()
