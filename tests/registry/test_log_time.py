"""Log time and receipts (#14 item 6): a record is filed when the log takes it, whatever date
it claims; a claim far from that is flagged, one in the future refused; every accepted write
through a server holding the key gets a signed receipt, checkable offline; the service signs
after N appends. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import Engine, text

from distillgov.api.app import create_app
from distillgov.registry.log import create_key
from distillgov.registry.records import Disclosure, Model, Organisation, TeacherLink
from distillgov.registry.registry import Registry, RegistryError
from distillgov.service import accounts
from tests.api.conftest import running

TODAY = dt.datetime.now(dt.UTC).date()


def _disclosure(id_: str, filed_on: dt.date, release: dt.date | None) -> Disclosure:
    return Disclosure(
        id=id_,
        student="tiny-1",
        teachers=[TeacherLink(model="big-1", signal="logits")],
        method_summary="Logit distillation.",
        data_sources_summary="Teacher outputs.",
        filed_on=filed_on,
        commercial_release_date=release,
    )


def _registry(engine: Engine, folder: Path) -> tuple[Registry, str]:
    reg = Registry(engine)
    vkey = reg.log.initialise("time.example/tlog", create_key(folder / "log.pem"))
    reg.add_many(
        [
            Organisation(id="lab", name="Lab"),
            Organisation(id="big", name="Big"),
            Model(id="big-1", name="Big", owner="big"),
            Model(id="tiny-1", name="Tiny", owner="lab"),
        ]
    )
    return reg, vkey


def test_the_log_not_the_filer_says_when_a_record_was_filed(engine: Engine, tmp_path: Path) -> None:
    reg, _ = _registry(engine, tmp_path)
    # The day is read around the appends, not at import: a run may cross midnight (UTC).
    before = dt.datetime.now(dt.UTC).date()
    soon = before + dt.timedelta(days=30)
    # Claims a date before a release that is already past: the log took it today, so it is late.
    back = reg.add(_disclosure("d-back", dt.date(2025, 1, 1), dt.date(2025, 2, 1)))
    honest = reg.add(_disclosure("d-honest", before, soon))
    after = dt.datetime.now(dt.UTC).date()
    with engine.connect() as c:
        body = c.execute(text("SELECT body FROM log_entries WHERE idx = :i"), {"i": back}).scalar()
        late = dict(c.execute(text("SELECT id, late FROM reg_disclosures")).all())
    logged_at = orjson.loads(str(body))["logged_at"]
    assert logged_at.endswith("Z") and logged_at[:10] in {str(before), str(after)}
    today = dt.date.fromisoformat(logged_at[:10])  # the log's own day for the entry
    assert bool(late["d-back"]) is True and bool(late["d-honest"]) is False
    screen = {(f["finding"], f.get("disclosure")): f for f in reg.screen()}
    flagged = screen[("claimed_date_far_from_log_time", "d-back")]
    assert (
        flagged["filed_on"] == "2025-01-01"
        and flagged["days_apart"] == (today - dt.date(2025, 1, 1)).days
    )
    assert ("claimed_date_far_from_log_time", "d-honest") not in screen
    assert screen[("late_disclosure", "d-back")]["logged_on"] == str(today)
    with pytest.raises(
        RegistryError, match="field 'filed_on', value '2099-01-01': after the log's date"
    ):
        reg.add(_disclosure("d-future", dt.date(2099, 1, 1), None))
    assert honest == back + 1 and reg.log.size() == honest + 1  # nothing of the refused one
    assert reg.verify_projections() == []  # logged_on comes from the entry, like every column


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distillgov", *map(str, args)], capture_output=True, text=True
    )


def test_every_accepted_write_returns_a_receipt_checkable_offline(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, vkey = _registry(engine, tmp_path)
    (tmp_path / "log.vkey").write_text(vkey)
    accounts.add_account(engine, "ana", "distiller", "lab")
    token = accounts.issue_token(engine, "ana", ["read", "write"], 1)
    # Five appends with none signed: the registry's four, then the disclosure (with fewer, the
    # signer could sign the four before the disclosure arrives and then wait for more).
    monkeypatch.setenv("DISTILLGOV_CHECKPOINT_AFTER", "5")
    app = create_app(
        engine.url.render_as_string(hide_password=False),
        rate=0,
        log_key=tmp_path / "log.pem",
        checkpoint_every=3600,  # only the N appends can trigger a signing here
    )
    body = json.loads(_disclosure("d-api", TODAY, None).model_dump_json())
    with running(app) as base:
        http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        filed = http.post("/api/v1/registry/disclosures", json=body)
        assert filed.status_code == 201, filed.text
        receipt = filed.json()["receipt"]
        assert receipt.startswith("distillgov.receipt/v1\ntime.example/tlog\n4\n")
        (tmp_path / "r.txt").write_text(receipt)
        deadline = time.monotonic() + 10  # 5 entries since none was signed: a checkpoint soon
        while not reg.log.checkpoints():
            assert time.monotonic() < deadline, "the service did not sign after 5 appends"
            time.sleep(0.1)
        proof = http.get("/api/v1/registry/records/d-api/proof")
        assert proof.status_code == 200 and "checkpoint" in proof.json(), proof.text
        bundle = proof.json()
        (tmp_path / "b.json").write_text(json.dumps(bundle))
    app.state.engine.dispose()
    ok = _cli("verify-receipt", tmp_path / "r.txt", "--log-key", tmp_path / "log.vkey",
              "--bundle", tmp_path / "b.json")  # fmt: skip
    assert ok.returncode == 0 and "entry 4 of 'time.example/tlog', taken at" in ok.stdout
    assert "is in the signed tree of 5 entries" in ok.stdout
    (tmp_path / "edited.txt").write_text(receipt.replace("\n4\n", "\n3\n", 1))
    bad = _cli("verify-receipt", tmp_path / "edited.txt", "--log-key", tmp_path / "log.vkey")
    assert bad.returncode == 1 and "does not verify" in bad.stderr
    other = reg.prove("tiny-1")
    (tmp_path / "other.json").write_text(json.dumps(other))
    broken = _cli("verify-receipt", tmp_path / "r.txt", "--log-key", tmp_path / "log.vkey",
                  "--bundle", tmp_path / "other.json")  # fmt: skip
    assert broken.returncode == 1 and "not for the entry the receipt names" in broken.stderr
