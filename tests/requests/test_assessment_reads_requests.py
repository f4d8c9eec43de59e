"""A case that names its data sources reads the requests register: open requests show as a due
privacy obligation with their deadline, overdue ones as a breach (which, like any breach of the
privacy conditions, suspends the safe harbours); a case that names none is unchanged."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from distillgov.assessment import determine
from distillgov.jurisdictions import load_builtin
from distillgov.requests import store
from distillgov.requests.assessment import with_rights_requests
from distillgov.requests.workflow import Action
from distillgov.storage.db import connect, migrate
from tests.conftest import make_case
from tests.requests.conftest import DATASET, build_lineage

PD = {
    "involved": True,
    "consent": True,
    "minimisation": True,
    "purpose_limitation": True,
    "differential_privacy": False,
    "user_rights": True,
    "privacy_violating_use": False,
}


def _obligation(engine: Engine, sources: list[str], day: dt.date) -> dict[str, object] | None:
    case = make_case(personal_data=PD, data_sources=sources)
    filled, _ = with_rights_requests(engine, case, day)
    d = determine(filled, load_builtin("us"), day)
    found = [o for o in d.obligations if o.id == "answer_rights_requests"]
    return None if not found else {"status": found[0].status, "due": found[0].due, "d": d}


def _request(engine: Engine) -> str:
    form = store.parse_form(
        {"kind": "deletion", "organisation": "acme", "dataset": DATASET,
         "received_on": "2026-02-02", "subject": {"email": "ada@example.org"}}
    )  # fmt: skip
    return str(
        store.file_request(engine, form, load_builtin("us"), None, dt.date(2026, 2, 2))["id"]
    )


def test_open_then_overdue_requests_become_a_privacy_obligation(
    engine: Engine, lineage: list[str]
) -> None:
    day = dt.date(2026, 3, 1)
    assert _obligation(engine, [DATASET], day) is None  # nothing on record yet
    rid = _request(engine)
    late_ack = _obligation(engine, [DATASET], day)  # its acknowledgement was due 17 Feb
    assert late_ack is not None and late_ack["status"] == "breached"
    store.act(engine, rid, Action.ACKNOWLEDGE, "acme", day, on=dt.date(2026, 2, 3))
    found = _obligation(engine, [DATASET], day)
    assert found is not None and (found["status"], found["due"]) == ("due", "2026-03-19")
    late = _obligation(engine, [DATASET], dt.date(2026, 3, 20))
    assert late is not None and late["status"] == "breached"
    assert _obligation(engine, ["some/other-dataset"], day) is None
    # Fulfilled: the request closes, and the duties it put on downstream models take over.
    store.act(engine, rid, Action.VERIFY, "acme", day)
    store.act(engine, rid, Action.FULFIL, "acme", day)
    assert _obligation(engine, [DATASET], day) is None
    duty = _obligation(engine, ["s3"], day)
    assert duty is not None and (duty["status"], duty["due"]) == ("due", "2026-05-30")
    overdue = _obligation(engine, ["s3"], dt.date(2026, 6, 1))
    assert overdue is not None and overdue["status"] == "breached"
    store.close_duty(engine, f"{rid}/s3", "carried_out", "lab3", dt.date(2026, 6, 1))
    assert _obligation(engine, ["s3"], dt.date(2026, 6, 1)) is None


def test_the_command_line_reads_the_register_for_a_case_with_data_sources(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    engine = connect(url)
    migrate(engine)
    build_lineage(engine)
    _request(engine)
    case = {
        "id": "uses-acme-data", "assessed_on": "2026-03-20", "access": "licensed_weights",
        "personal_data": PD, "data_sources": [DATASET],
    }  # fmt: skip
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    command = [sys.executable, "-m", "distillgov", "assess", str(path), "-j", "us", "-f", "json"]
    out = subprocess.run([*command, "--database", url], capture_output=True, text=True, check=True)
    obligations = {o["id"]: o for o in json.loads(out.stdout)["obligations"]}
    assert obligations["answer_rights_requests"]["status"] == "breached"
    assert obligations["answer_rights_requests"]["due"] == "2026-03-19"
    env = {k: v for k, v in os.environ.items() if k != "DISTILLGOV_DATABASE_URL"}
    without = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    assert "requests against them and their consent checks were not read" in without.stderr
    assert "answer_rights_requests" not in without.stdout
