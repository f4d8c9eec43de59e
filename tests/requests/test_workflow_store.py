"""Requests filed, moved through their states and propagated down a lineage, on SQLite and
PostgreSQL: what an organisation's privacy team and a regulator would check."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from distillgov.jurisdictions import load_builtin
from distillgov.requests import store
from distillgov.requests.workflow import Action, TransitionRefused
from tests.requests.conftest import DATASET, DEPTH

TODAY = dt.date(2026, 3, 2)


def _file(engine: Engine, kind: str = "deletion", profile: str = "us", **extra: object) -> str:
    form = store.parse_form(
        {
            "kind": kind,
            "organisation": "acme",
            "dataset": DATASET,
            "received_on": "2026-02-02",
            "subject": {"name": "Ada Example", "email": "ada@example.org"},
            **extra,
        }
    )
    return str(store.file_request(engine, form, load_builtin(profile), "ada", TODAY)["id"])


def test_a_deletion_moves_through_its_states_and_reaches_every_downstream_model(
    engine: Engine, lineage: list[str]
) -> None:
    rid = _file(engine)
    view = store.get(engine, rid, TODAY)
    # CCPA clocks (the us profile): 10 business days to acknowledge, 45 days to answer.
    assert view["status"] == "received"
    assert view["acknowledge_due"] == "2026-02-17"  # Presidents' Day (16 Feb) is skipped
    assert view["response_due"] == "2026-03-19"
    store.act(engine, rid, Action.ACKNOWLEDGE, "acme-privacy", TODAY, on=dt.date(2026, 2, 3))
    store.act(
        engine, rid, Action.VERIFY, "acme-privacy", TODAY, on=dt.date(2026, 2, 10),
        evidence_sha256=store.evidence_digest(b"passport scan"),
    )  # fmt: skip
    done = store.act(engine, rid, Action.FULFIL, "acme-privacy", TODAY, on=dt.date(2026, 2, 20))
    assert done["status"] == "fulfilled"
    reached = {d["model"]: d for d in done["duties"]}
    # The teacher trained on the dataset, every student below it, and the fine-tune of s2.
    assert set(reached) == {*lineage, "s2-tuned"}
    assert "unrelated" not in reached
    assert reached[f"s{DEPTH}"]["depth"] == DEPTH
    assert reached["s2-tuned"]["via"] == "s2"
    assert {d["duty"] for d in reached.values()} == {"exclude_from_training"}
    assert {d["due_on"] for d in reached.values()} == {"2026-05-21"}  # 90 days on
    assert store.check(engine) == []


def test_no_fulfilment_before_verification_and_no_way_back(
    engine: Engine, lineage: list[str]
) -> None:
    rid = _file(engine)
    with pytest.raises(TransitionRefused, match="identity is verified"):
        store.act(engine, rid, Action.FULFIL, "acme-privacy", TODAY)
    store.act(engine, rid, Action.VERIFY, "acme-privacy", TODAY, on=dt.date(2026, 2, 3))
    with pytest.raises(TransitionRefused, match=r"already acknowledged|verified already"):
        store.act(engine, rid, Action.ACKNOWLEDGE, "acme-privacy", TODAY)
    store.act(engine, rid, Action.REFUSE, "acme-privacy", TODAY, reason="legal_claims")
    with pytest.raises(TransitionRefused, match="refused: it takes no further action"):
        store.act(engine, rid, Action.FULFIL, "acme-privacy", TODAY)
    # Nothing was written by the refused steps: three events in all.
    assert [e["action"] for e in store.get(engine, rid, TODAY)["events"]] == [
        "received",
        "verify",
        "refuse",
    ]


def test_extension_only_before_the_first_deadline_and_once(
    engine: Engine, lineage: list[str]
) -> None:
    rid = _file(engine)
    late = dt.date(2026, 3, 20)
    with pytest.raises(TransitionRefused, match="before the first deadline"):
        store.act(engine, rid, Action.EXTEND, "acme-privacy", late, on=late)
    view = store.act(engine, rid, Action.EXTEND, "acme-privacy", TODAY, basis="Complex request.")
    assert view["response_due"] == "2026-05-03"  # 90 days from receipt
    with pytest.raises(TransitionRefused, match="extended already"):
        store.act(engine, rid, Action.EXTEND, "acme-privacy", TODAY)
    cn = _file(engine, profile="cn")
    with pytest.raises(TransitionRefused, match="allows no extension"):
        store.act(engine, cn, Action.EXTEND, "acme-privacy", TODAY)


def test_overdue_requests_and_duties_are_on_the_regulators_screen(
    engine: Engine, lineage: list[str]
) -> None:
    rid = _file(engine)
    screen = store.overdue_screen(engine, dt.date(2026, 3, 20))
    assert [r["id"] for r in screen["requests"]] == [rid]
    assert screen["requests"][0]["overdue"] == ["acknowledge", "response"]
    store.act(engine, rid, Action.VERIFY, "acme-privacy", TODAY)
    store.act(engine, rid, Action.FULFIL, "acme-privacy", TODAY)
    later = dt.date(2026, 6, 1)
    screen = store.overdue_screen(engine, later)
    assert screen["requests"] == []
    assert len(screen["duties"]) == DEPTH + 2
    first = screen["duties"][0]["id"]
    store.close_duty(engine, first, "carried_out", "lab-privacy", later)
    assert len(store.overdue_screen(engine, later)["duties"]) == DEPTH + 1
    assert store.check(engine) == []


def test_a_fulfilled_deletion_leaves_no_identifier_of_the_subject(
    engine: Engine, lineage: list[str]
) -> None:
    rid = _file(engine)
    store.act(engine, rid, Action.VERIFY, "acme-privacy", TODAY)
    store.act(engine, rid, Action.FULFIL, "acme-privacy", TODAY)
    dump = _every_text_value(engine)
    for identifier in ("Ada Example", "ada@example.org"):
        assert not any(identifier in value for value in dump), identifier
    # What the record keeps: dates, kind, the response.
    view = store.get(engine, rid, TODAY)
    assert (view["kind"], view["status"], view["received_on"]) == (
        "deletion",
        "fulfilled",
        "2026-02-02",
    )
    assert store.requester_of(engine, rid) is None


def test_retention_purges_identifiers_after_the_records_period(
    engine: Engine, lineage: list[str]
) -> None:
    rid = _file(engine, kind="access")
    store.act(engine, rid, Action.VERIFY, "acme-privacy", TODAY)
    store.act(engine, rid, Action.FULFIL, "acme-privacy", TODAY)
    assert any("ada@example.org" in v for v in _every_text_value(engine))  # kept while needed
    assert store.purge(engine, dt.date(2028, 3, 2)) == []  # 24 months: not yet
    assert store.purge(engine, dt.date(2028, 3, 3)) == [rid]
    assert not any("ada@example.org" in v for v in _every_text_value(engine))
    assert store.check(engine) == []


def _every_text_value(engine: Engine) -> list[str]:
    """Every value of every column of every table, as text: what a search of the database
    for a person's identifiers would read."""
    out: list[str] = []
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            tables = [
                r[0] for r in c.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            ]
        else:
            tables = [
                r[0]
                for r in c.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
            ]
        for table in tables:
            for row in c.execute(text(f'SELECT * FROM "{table}"')):
                out += [
                    v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row
                ]
    return out


def test_editing_the_trail_or_a_projection_is_detected(engine: Engine, lineage: list[str]) -> None:
    rid = _file(engine)
    store.act(engine, rid, Action.VERIFY, "acme-privacy", TODAY)
    store.act(engine, rid, Action.FULFIL, "acme-privacy", TODAY)
    assert store.check(engine) == []
    with engine.begin() as c:
        c.execute(text("UPDATE dsr_requests SET status = 'refused' WHERE id = :i"), {"i": rid})
        c.execute(text("UPDATE dsr_duties SET due_on = '2030-01-01' WHERE model = 's3'"))
        c.execute(text("UPDATE dsr_events SET actor = 'someone-else' WHERE seq = 2"))
    problems = store.check(engine)
    assert any(f"request '{rid}': status is 'refused' in the table" in p for p in problems)
    assert any("/s3': due_on is '2030-01-01'" in p for p in problems)
    assert "event 2: its content does not match its hash (edited)" in problems
    with engine.begin() as c:
        c.execute(text("DELETE FROM dsr_events WHERE seq = 3"))
    assert any(p.startswith("event 3: missing") for p in store.check(engine))


def test_a_retried_step_with_its_key_is_written_once(engine: Engine, lineage: list[str]) -> None:
    rid = _file(engine)
    for _ in range(3):
        store.act(engine, rid, Action.VERIFY, "acme-privacy", TODAY, key="batch-1/verify")
    assert [e["action"] for e in store.get(engine, rid, TODAY)["events"]] == ["received", "verify"]
    with pytest.raises(store.Conflict, match="already used for 'verify'"):
        store.act(engine, rid, Action.FULFIL, "acme-privacy", TODAY, key="batch-1/verify")
