"""The decision log keeps every decision with the input and output it was served with, each
distinct document once; decisions logged before documents were shared survive the migration
byte for byte. On SQLite and PostgreSQL, over real HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text

from distillgov.service import decisions
from distillgov.storage.db import migrate
from tests.api.conftest import Served
from tests.api.test_api import CASE


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as c:
        return int(c.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_each_request_is_its_own_decision_and_each_document_is_kept_once(served: Served) -> None:
    with served.client() as http:
        first = http.post("/api/v1/assessments", json={"case": CASE, "jurisdiction": "cn"})
        again = http.post("/api/v1/assessments", json={"case": CASE, "jurisdiction": "cn"})
        other = http.post("/api/v1/assessments", json={"case": CASE, "jurisdiction": "us"})
        assert [r.status_code for r in (first, again, other)] == [201, 201, 201]
        ids = [r.json()["decision_id"] for r in (first, again, other)]
        assert len(set(ids)) == 3
        assert first.json()["determination"] == again.json()["determination"]
        for response, decision_id in zip((first, again, other), ids, strict=True):
            stored = http.get(f"/api/v1/decisions/{decision_id}").json()
            assert stored["output"] == response.json()["determination"]
        assert http.get(f"/api/v1/decisions/{ids[2]}").json()["input"]["jurisdiction"] == "us"
    assert _count(served.engine, "svc_decisions") == 3
    assert _count(served.engine, "svc_documents") == 4  # two requests, two determinations


def test_concurrent_assessments_are_all_logged(served: Served) -> None:
    bodies = [
        {"case": {**CASE, "id": f"case-{i % 7}"}, "jurisdiction": ["cn", "us"][i % 2]}
        for i in range(60)
    ]

    def post(body: dict[str, object]) -> tuple[str, dict[str, object]]:
        with served.client() as http:
            made = http.post("/api/v1/assessments", json=body)
            assert made.status_code == 201, made.text
            return str(made.json()["decision_id"]), made.json()["determination"]

    with ThreadPoolExecutor(16) as pool:
        served_ = list(pool.map(post, bodies))
    assert _count(served.engine, "svc_decisions") == 60
    with served.client() as http:
        for (decision_id, determination), body in zip(served_, bodies, strict=True):
            stored = http.get(f"/api/v1/decisions/{decision_id}").json()
            assert stored["output"] == determination
            assert stored["input"]["case"]["id"] == body["case"]["id"]  # type: ignore[index]


@pytest.fixture
def at_0007(engine: Engine) -> Iterator[Engine]:
    migrate(engine, "0007_sessions")
    yield engine
    migrate(engine)


def _old_row(n: int, request: dict[str, object], output: dict[str, object]) -> dict[str, object]:
    return {
        "id": f"d-{n}",
        "c": dt.datetime(2026, 11, 1, 12, n),
        "f": "bf-1",
        "p": "cn",
        "h": "abc",
        "a": dt.date(2026, 11, 1),
        "i": zlib.compress(json.dumps(request, sort_keys=True).encode(), 1),
        "o": zlib.compress(json.dumps(output).encode(), 6),
    }


def test_decisions_logged_before_0008_keep_their_bytes(at_0007: Engine) -> None:
    engine = at_0007
    request = {"case": CASE, "jurisdiction": "cn"}
    rows = [
        _old_row(0, request, {"rule": "compulsory_license"}),
        _old_row(1, request, {"rule": "compulsory_license"}),
        _old_row(2, {**request, "jurisdiction": "us"}, {"rule": "prohibited"}),
    ]
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO svc_decisions (id, created_at, framework_version, profile_id, "
                "profile_hash, assessed_on, input, output) VALUES (:id, :c, :f, :p, :h, :a, :i, :o)"
            ),
            rows,
        )
    migrate(engine)
    assert _count(engine, "svc_documents") == 4
    for row in rows:
        stored = decisions.read(engine, str(row["id"]))
        assert json.dumps(stored["input"], sort_keys=True).encode() == zlib.decompress(
            row["i"]  # type: ignore[arg-type]
        )
        assert stored["output"] == json.loads(zlib.decompress(row["o"]))  # type: ignore[arg-type]
        assert stored["profile_hash"] == "abc" and stored["assessed_on"] == "2026-11-01"
    with engine.connect() as c:
        hashes = c.execute(text("SELECT hash, body FROM svc_documents")).all()
    for h, body in hashes:  # each document is named by the SHA-256 of its JSON
        assert hashlib.sha256(zlib.decompress(bytes(body))).hexdigest() == h

    migrate(engine, "0007_sessions")  # and back: the inline columns hold the same bytes again
    with engine.connect() as c:
        back = c.execute(text("SELECT id, input, output FROM svc_decisions ORDER BY id")).all()
    assert [(r[0], bytes(r[1]), bytes(r[2])) for r in back] == [
        (row["id"], row["i"], row["o"]) for row in rows
    ]


def test_a_decision_that_cannot_be_written_fails_its_request(engine: Engine) -> None:
    """The log never answers before it has committed: a write that fails is the caller's
    failure, not a decision id that leads nowhere."""
    import asyncio

    log = decisions.DecisionLog(engine)
    answer = decisions.Answer(
        "{}", decisions.digest(b"{}"), "bf-1", "cn", "h", dt.date(2026, 11, 1)
    )
    decision = decisions.new_decision(answer, "0" * 64)
    with pytest.raises(Exception, match=r"(?i)foreign key|violates"):
        # the input document is neither known nor sent: the database refuses the reference
        asyncio.run(log.record(decision, {answer.output_hash: b"{}"}))
    assert _count(engine, "svc_decisions") == 0
    good = decisions.new_decision(answer, decisions.digest(b"[]"))
    asyncio.run(log.record(good, {answer.output_hash: b"{}", good.input_hash: b"[]"}))
    assert decisions.read(engine, good.id)["input"] == []


def test_a_batch_larger_than_one_statement_is_written_whole(engine: Engine) -> None:
    import asyncio

    log = decisions.DecisionLog(engine)
    answer = decisions.Answer(
        "{}", decisions.digest(b"{}"), "bf-1", "cn", "h", dt.date(2026, 11, 1)
    )
    documents = {answer.output_hash: b"{}", decisions.digest(b"[]"): b"[]"}

    async def many() -> list[decisions.Decision]:
        made = [decisions.new_decision(answer, decisions.digest(b"[]")) for _ in range(1_234)]
        await asyncio.gather(*(log.record(d, documents) for d in made))
        return made

    made = asyncio.run(many())
    assert _count(engine, "svc_decisions") == 1_234
    assert {d.id for d in made} == {str(i) for i in _ids(engine)}  # every id handed out is there


def _ids(engine: Engine) -> list[str]:
    with engine.connect() as c:
        return [str(r) for r in c.execute(text("SELECT id FROM svc_decisions")).scalars()]
