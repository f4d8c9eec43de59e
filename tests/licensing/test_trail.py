"""Corrections that leave a trail, dated licence status, and a ledger whose edits show (issue
#15 items 3, 4 and 7), on SQLite and PostgreSQL. Every royalty below is worked by hand from the
cn tariff (CNY 8.00 per million tokens, at least CNY 500.00 a month) and the example report."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from distillgov.licensing import ledger
from distillgov.licensing.licences import LicenceError, get, set_status
from distillgov.licensing.settlement import settle, settlements, unlicensed_use
from distillgov.licensing.usage import UsageError, ingest, report_files, reports, void
from tests.licensing.conftest import USAGE

ON = dt.date(2025, 7, 1)
Q1 = USAGE / "cheap-chat-cn-2025-q1.csv"  # Jan 120 M tokens, Feb 95 M, Mar 40 M


def _cn(engine: Engine) -> dict[str, int]:
    return {
        r["period"]: r["royalty_minor"]
        for r in settlements(engine)
        if r["licence"] == "lic-cheap-chat-cn"
    }


def _developer(engine: Engine) -> int:
    return int(ledger.balance(engine, "developer:frontier-labs:CNY")["balance_minor"])


def _settle(engine: Engine, data: Path) -> None:
    settle(engine, report_files(engine, data), ON, actor="clearing-officer")


def test_a_copy_under_another_name_is_refused_and_a_correction_replaces(
    licensed: Engine, tmp_path: Path
) -> None:
    ingest(licensed, Q1, folder=tmp_path, actor="cheap-chat")
    copy = tmp_path / "q1-again.csv"
    copy.write_bytes(Q1.read_bytes())
    with pytest.raises(UsageError, match="the same rows as report 'cheap-chat-cn-2025-q1'"):
        ingest(licensed, copy, folder=tmp_path)
    with pytest.raises(UsageError, match="that report is not for licence lic-cheap-chat-gs"):
        ingest(  # a licensee's upload cannot correct another licence's report
            licensed,
            USAGE / "cheap-chat-gs-2025.jsonl",
            folder=tmp_path,
            licence="lic-cheap-chat-gs",
            corrects="cheap-chat-cn-2025-q1",
        )
    _settle(licensed, tmp_path)
    assert _cn(licensed) == {"2025-01": 96_000, "2025-02": 76_000, "2025-03": 50_000}
    fixed = tmp_path / "q1-fixed.csv"  # February was 100 M tokens, not 95 M
    fixed.write_text(Q1.read_text().replace("95000000", "100000000"))
    done = ingest(licensed, fixed, folder=tmp_path, corrects="cheap-chat-cn-2025-q1")
    assert done.replaced == "cheap-chat-cn-2025-q1"
    with pytest.raises(UsageError, match="that report is voided already"):
        ingest(licensed, copy, "q1-third", folder=tmp_path, corrects="cheap-chat-cn-2025-q1")
    _settle(licensed, tmp_path)
    assert _cn(licensed) == {"2025-01": 96_000, "2025-02": 80_000, "2025-03": 50_000}
    assert _developer(licensed) == 226_000
    trail = {r["report"]: r for r in reports(licensed)}
    old = trail["cheap-chat-cn-2025-q1"]
    assert old["received_by"] == "cheap-chat" and old["voided_at"] is not None
    assert old["void_reason"] == "replaced by report q1-fixed"
    assert trail["q1-fixed"]["replaces"] == "cheap-chat-cn-2025-q1"
    # Correction posted as new transfers (version 2 of February), nothing edited.
    moves = ledger.history(licensed, "developer:frontier-labs:CNY")
    assert [m["transfer"] for m in moves][-1] == (
        "royalty/lic-cheap-chat-cn/2025-02/v2/teacher_developer"
    )
    assert moves[-1]["amount"] == "40.00" and moves[-1]["posted_by"] == "clearing-officer"
    assert ledger.check(licensed) == []


def test_a_voided_report_is_reversed_by_new_transfers(licensed: Engine, tmp_path: Path) -> None:
    ingest(licensed, Q1, folder=tmp_path)
    _settle(licensed, tmp_path)
    moved = ledger.totals(licensed)["CNY"]
    void(licensed, "cheap-chat-cn-2025-q1", "sent in error", "clearing-officer")
    with pytest.raises(UsageError, match="voided already"):
        void(licensed, "cheap-chat-cn-2025-q1", "twice", "clearing-officer")
    with pytest.raises(UsageError, match="value 'nope': no such report"):
        void(licensed, "nope", "missing", "clearing-officer")
    with pytest.raises(UsageError, match="field 'reason' is missing"):
        void(licensed, "cheap-chat-cn-2025-q1", " ", "clearing-officer")
    assert report_files(licensed, tmp_path) == []
    _settle(licensed, tmp_path)
    assert _cn(licensed) == {"2025-01": 0, "2025-02": 0, "2025-03": 0}
    assert _developer(licensed) == 0
    # The reversal moved the same money back: the transfers total doubles, the balance nets out.
    assert ledger.totals(licensed)["CNY"] == 2 * moved
    assert {r["version"] for r in settlements(licensed) if "cn" in r["licence"]} == {2}
    assert ledger.check(licensed) == []
    # The report itself is still there, and sending it again is not a duplicate of a void one.
    assert ingest(licensed, Q1, "q1-resent", folder=tmp_path).new
    _settle(licensed, tmp_path)
    assert _developer(licensed) == 222_000


def test_status_is_dated_and_usage_while_suspended_is_flagged_not_settled(
    licensed: Engine, tmp_path: Path
) -> None:
    ingest(licensed, Q1, folder=tmp_path)
    _settle(licensed, tmp_path)
    set_status(licensed, "lic-cheap-chat-cn", "suspended", dt.date(2025, 2, 15), "unpaid", "reg")
    set_status(licensed, "lic-cheap-chat-cn", "active", dt.date(2025, 3, 1), "paid", "reg")
    lic = set_status(licensed, "lic-cheap-chat-cn", "revoked", dt.date(2025, 3, 20), "abuse", "reg")
    assert [e.status for e in lic.events] == ["suspended", "active", "revoked"]
    assert lic.state(dt.date(2025, 2, 14)) == "active" and lic.state(dt.date(2025, 2, 15)) == (
        "suspended"
    )
    assert lic.state(dt.date(2025, 3, 1)) == "active" and lic.state(dt.date(2026, 1, 1)) == (
        "revoked"
    )
    with pytest.raises(LicenceError, match="already revoked on 2025-04-01"):
        set_status(licensed, "lic-cheap-chat-cn", "revoked", dt.date(2025, 4, 1), "again", "reg")
    with pytest.raises(LicenceError, match="window starts"):
        set_status(licensed, "lic-cheap-chat-cn", "suspended", dt.date(2020, 1, 1), "x", "reg")
    _settle(licensed, tmp_path)
    # February: 14 of 28 days licensed: max(8 x 95 x 1/2, 500 x 1/2) = CNY 380.00.
    # March: 19 of 31 days (revoked from the 20th): max(8 x 40 x 19/31, 500 x 19/31) = 306.45.
    assert _cn(licensed) == {"2025-01": 96_000, "2025-02": 38_000, "2025-03": 30_645}
    assert _developer(licensed) == 96_000 + 38_000 + 30_645
    flagged = {r["period"]: r for r in unlicensed_use(licensed, "lic-cheap-chat-cn")}
    assert flagged["2025-02"]["units"] == 47_500_000 and flagged["2025-02"]["days_unlicensed"] == 14
    assert flagged["2025-02"]["revenue_minor"] == 7_125_050 // 2
    assert flagged["2025-03"]["days_unlicensed"] == 12 and "2025-01" not in flagged
    history = get(licensed, "lic-cheap-chat-cn").as_dict()["history"]
    assert history[0] == {
        "status": "suspended",
        "effective_on": "2025-02-15",
        "reason": "unpaid",
        "by": "reg",
        "recorded_at": history[0]["recorded_at"],
    }
    assert ledger.check(licensed) == []


def test_an_edited_transfer_breaks_the_chain_even_when_the_totals_are_fixed_up(
    licensed: Engine, tmp_path: Path
) -> None:
    ingest(licensed, Q1, folder=tmp_path)
    _settle(licensed, tmp_path)
    assert ledger.check(licensed) == []
    with licensed.begin() as c:  # an insider moves a unit and keeps every total consistent
        tid, debit, credit = c.execute(
            text("SELECT id, debit, credit FROM ledger_transfers WHERE seq = 2")
        ).one()
        c.execute(text("UPDATE ledger_transfers SET amount = amount + 1 WHERE seq = 2"))
        c.execute(
            text("UPDATE ledger_accounts SET debits = debits + 1 WHERE id = :a"), {"a": debit}
        )
        c.execute(
            text("UPDATE ledger_accounts SET credits = credits + 1 WHERE id = :a"), {"a": credit}
        )
    problems = ledger.check(licensed)
    assert problems == [
        f"transfer '{tid}' (sequence 2): its hash chain breaks here — the transfer, or one "
        "before it, was changed after it was posted"
    ]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the CLI; logic: both
def test_the_commands_keep_the_trail(licensed: Engine, tmp_path: Path) -> None:
    url = licensed.url.render_as_string(hide_password=False)
    env = {**os.environ, "DISTILLGOV_ACTOR": "ana"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distillgov", *args, "--database", url],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    data = ["--data-dir", str(tmp_path)]
    assert cli("usage", "ingest", str(Q1), *data).returncode == 0
    copy = tmp_path / "copy.csv"
    copy.write_bytes(Q1.read_bytes())
    dup = cli("usage", "ingest", str(copy), *data)
    assert dup.returncode == 2 and "Traceback" not in dup.stderr
    assert "--corrects cheap-chat-cn-2025-q1" in dup.stderr
    status = cli(
        "license", "status", "lic-cheap-chat-cn", "suspended", "--on", "2025-02-15",
        "--reason", "unpaid",
    )  # fmt: skip
    assert status.stdout.strip() == "licence 'lic-cheap-chat-cn' is suspended from 2025-02-15"
    assert '"by": "ana"' in cli("license", "history", "lic-cheap-chat-cn").stdout
    settled = cli("settle", "--on", "2025-07-01", *data)
    assert "flagged 2 licence-month(s) with usage while suspended or revoked" in settled.stdout
    voided = cli("usage", "void", "cheap-chat-cn-2025-q1", "--reason", "sent in error")
    assert voided.returncode == 0 and "run `distillgov settle`" in voided.stdout
    assert '"voided_by": "ana"' in cli("usage", "list").stdout
    cli("settle", "--on", "2025-07-01", *data)
    check = cli("ledger", "check")
    assert check.returncode == 0 and "hash chain intact through transfer" in check.stdout
    assert (
        cli("period", "close", "2025-03", "--on", "2025-07-02").stdout == "period 2025-03 closed\n"
    )
    early = cli("settle", "--on", "2025-03-15", *data)
    assert early.returncode == 2 and "2025-03 is closed" in early.stderr


def test_a_closed_month_changes_only_by_adjustments_in_an_open_one(
    licensed: Engine, tmp_path: Path
) -> None:
    from distillgov.licensing import billing
    from distillgov.licensing.settlement import SettlementError, adjustments, close_period
    from distillgov.licensing.statements import licensee_statement, to_csv

    ingest(licensed, Q1, folder=tmp_path)
    settle(licensed, report_files(licensed, tmp_path), dt.date(2025, 4, 1))
    billing.issue_invoices(licensed, dt.date(2025, 4, 1), "clerk")
    close_period(licensed, "2025-01", dt.date(2025, 4, 2), "controller")
    with pytest.raises(SettlementError, match="closed already on 2025-04-02"):
        close_period(licensed, "2025-01", dt.date(2025, 4, 2), "controller")
    with pytest.raises(SettlementError, match="it has not ended on 2025-04-02"):
        close_period(licensed, "2025-04", dt.date(2025, 4, 2), "controller")
    with pytest.raises(SettlementError, match="value '2025-1': must be YYYY-MM"):
        close_period(licensed, "2025-1", dt.date(2025, 4, 2), "controller")
    late = tmp_path / "late-january.csv"  # 30 M more tokens in January: CNY 240.00 more
    late.write_text(
        "licence,period,units,revenue,currency\nlic-cheap-chat-cn,2025-01,30000000,1.00,CNY\n"
    )
    ingest(licensed, late, folder=tmp_path)
    with pytest.raises(SettlementError, match="2025-01 is closed; date the run in an open"):
        settle(licensed, report_files(licensed, tmp_path), dt.date(2025, 1, 20))
    settle(licensed, report_files(licensed, tmp_path), dt.date(2025, 4, 10))
    assert adjustments(licensed) == [
        {
            "licence": "lic-cheap-chat-cn",
            "adjusts_period": "2025-01",
            "version": 2,
            "posted_in_period": "2025-04",
            "posted_on": "2025-04-10",
            "delta_minor": 24_000,
            "currency": "CNY",
        }
    ]
    moves = ledger.history(licensed, "developer:frontier-labs:CNY")
    assert moves[-1]["transfer"] == "adjustment/lic-cheap-chat-cn/2025-01/v2/teacher_developer"
    assert moves[-1]["memo"].startswith("adjustment to closed period 2025-01, posted in 2025-04")
    (billed,) = billing.issue_invoices(licensed, dt.date(2025, 4, 10), "clerk")
    assert (billed.period, billed.amount_minor) == ("2025-04", 24_000)  # billed in the open month
    lines = {i["number"]: i["lines"] for i in billing.invoices(licensed)}[billed.number]
    assert lines == [{"licence": "lic-cheap-chat-cn", "period": "2025-01", "amount_minor": 24_000}]
    statement = licensee_statement(licensed, "Cheap Chat Inc", dt.date(2025, 4, 10))
    assert statement["adjustments"][0]["delta"] == "240.00"
    assert "2025-01 (adjusted in 2025-04)" in to_csv(statement)
    assert ledger.check(licensed) == []


def test_who_opened_registered_and_matched_is_kept(licensed: Engine) -> None:
    from distillgov.licensing.pool import Claim, match, register_claims

    register_claims(
        licensed, "global_south", [Claim("c-1", "poet", "Poems", 3, False)], ON, "registrar"
    )
    match(licensed, "c-1", "verifier")
    with licensed.connect() as c:
        claim = c.execute(
            text("SELECT registered_by, matched_by, matched_at FROM pool_claims WHERE id = 'c-1'")
        ).one()
        opened = c.execute(
            text("SELECT opened_by FROM lic_licences WHERE id = 'lic-cheap-chat-cn'")
        ).scalar_one()
    assert claim[0] == "registrar" and claim[1] == "verifier" and claim[2] is not None
    assert opened == "distillgov"  # the fixture opens its licences as the library's default
