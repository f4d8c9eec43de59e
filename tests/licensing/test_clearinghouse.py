"""Licences, usage, settlement, the ledger and the pool, on SQLite and PostgreSQL: the worked
example of docs/licensing.md, computed by hand below."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from distillgov.licensing import ledger
from distillgov.licensing.licences import LicenceError, get, open_licence, set_status
from distillgov.licensing.pool import Claim, distribute, match, register_claims
from distillgov.licensing.pool import check as pool_check
from distillgov.licensing.settlement import settle, settlements
from distillgov.licensing.statements import holder_statement, to_csv
from distillgov.licensing.tariffs import builtin
from distillgov.licensing.usage import UsageError, ingest, report_files
from tests.licensing.conftest import CLONE_CASE, USAGE, pay_all

ON = dt.date(2025, 7, 1)


def test_a_licence_opens_only_from_a_compulsory_licence_determination(engine: Engine) -> None:
    case = load_case(CLONE_CASE)
    us = load_builtin("us")  # exclusivity still runs and no abuse is proven: prohibited
    with pytest.raises(LicenceError, match="rule is 'prohibited', not 'compulsory_license'"):
        open_licence(
            engine, assess_case(case, us, dt.date(2025, 3, 1)), case, us, dt.date(2025, 3, 1)
        )
    cn = load_builtin("cn")
    lic = open_licence(
        engine, assess_case(case, cn, dt.date(2025, 3, 1)), case, cn, dt.date(2025, 3, 1), "s-1"
    )
    assert (lic.window_start, lic.window_end) == (dt.date(2024, 11, 13), dt.date(2026, 11, 13))
    assert (lic.currency, lic.tariff.set_by, lic.licensee) == ("CNY", "state", "Cheap Chat Inc")
    assert lic.state(dt.date(2025, 3, 1)) == "active"
    assert lic.state(dt.date(2026, 11, 13)) == "royalty_free"
    assert get(engine, lic.id).determination_hash == lic.determination_hash
    suspended = set_status(engine, lic.id, "suspended", dt.date(2025, 3, 1), "unpaid")
    assert suspended.state(dt.date(2025, 3, 1)) == "suspended"
    assert suspended.state(dt.date(2025, 2, 28)) == "active"  # dated: not before it took effect
    with pytest.raises(LicenceError, match="a licence with this id exists"):
        open_licence(
            engine, assess_case(case, cn, dt.date(2025, 3, 1)), case, cn, dt.date(2025, 3, 1), "s-1"
        )


def test_usage_is_ingested_once_from_any_format_and_bad_files_leave_nothing(
    licensed: Engine, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = ingest(licensed, USAGE / "cheap-chat-cn-2025-q1.csv", folder=data)
    assert (first.rows, first.new) == (3, True)
    again = ingest(licensed, USAGE / "cheap-chat-cn-2025-q1.csv", folder=data)
    assert again.new is False
    # The same rows as Parquet, under the same id: the same report, nothing changes.
    as_parquet = tmp_path / "cheap-chat-cn-2025-q1.parquet"
    pl.read_csv(USAGE / "cheap-chat-cn-2025-q1.csv", infer_schema=False).write_parquet(as_parquet)
    assert ingest(licensed, as_parquet, folder=data).new is False
    changed = tmp_path / "changed.csv"
    changed.write_text(
        (USAGE / "cheap-chat-cn-2025-q1.csv").read_text().replace("84000.00", "1.00")
    )
    with pytest.raises(UsageError, match="a different report was already ingested under this id"):
        ingest(licensed, changed, "cheap-chat-cn-2025-q1", folder=data)
    with pytest.raises(UsageError) as err:
        ingest(licensed, USAGE / "with-bad-rows.csv", folder=data)
    lines = err.value.lines()
    assert lines[0].endswith("refused, 5 bad row(s) of 6; nothing was kept")
    assert "line 3: field 'period', value '2025-13': must be YYYY-MM" in lines[1]
    assert "line 4: field 'licence', value 'lic-unknown': no such licence" in lines[2]
    assert "line 7: field 'currency', value 'USD': not the licence's currency (CNY)" in lines[5]
    assert len(report_files(licensed, data)) == 1
    assert len(list((data / "usage").iterdir())) == 1  # no file from the refused report
    assert ingest(licensed, USAGE / "cheap-chat-gs-2025.jsonl", folder=data).rows == 4


def settled(engine: Engine, data: Path) -> dict[str, int]:
    ingest(engine, USAGE / "cheap-chat-cn-2025-q1.csv", folder=data)
    ingest(engine, USAGE / "cheap-chat-gs-2025.jsonl", folder=data)
    settle(engine, report_files(engine, data), ON)
    return {(r["licence"], r["period"]): r["royalty_minor"] for r in settlements(engine)}


def test_settlement_applies_the_tariff_and_pro_rates_the_last_month(
    licensed: Engine, tmp_path: Path
) -> None:
    royalties = settled(licensed, tmp_path)
    # cn: CNY 8 per million tokens, at least CNY 500 a month.
    assert royalties[("lic-cheap-chat-cn", "2025-01")] == 96_000  # 120 M tokens
    assert royalties[("lic-cheap-chat-cn", "2025-03")] == 50_000  # 40 M tokens: the minimum
    # global_south: the greater of USD 0.40 per thousand requests and 2.5 % of revenue.
    assert royalties[("lic-cheap-chat-gs", "2025-03")] == 102_500  # 2.5 % of 41,000
    # The window ends on 13 May: 12 of May's 31 days are inside. 2.5 % x 12/31 x 52,000.00.
    assert royalties[("lic-cheap-chat-gs", "2025-05")] == 50_323
    assert royalties[("lic-cheap-chat-gs", "2025-06")] == 0  # after the window: royalty-free
    developer = ledger.balance(licensed, "developer:frontier-labs:USD")["balance_minor"]
    creators = ledger.balance(licensed, "creators:frontier-chat-4:USD")["balance_minor"]
    pool = ledger.balance(licensed, "pool:global_south:USD")["balance_minor"]
    total = 102_500 + 113_750 + 50_323
    assert (
        developer + creators + pool
        == total
        == -ledger.balance(licensed, "licensee:cheap-chat-inc:USD")["balance_minor"]
    )
    assert ledger.check(licensed) == []


def test_settling_again_changes_nothing_and_a_late_report_posts_only_the_difference(
    licensed: Engine, tmp_path: Path
) -> None:
    first = settled(licensed, tmp_path)
    moved = ledger.totals(licensed)
    _, posted = settle(licensed, report_files(licensed, tmp_path), ON)
    assert posted.changed == 0 and ledger.totals(licensed) == moved
    late = tmp_path / "late.csv"
    late.write_text(
        "licence,period,units,revenue,currency\nlic-cheap-chat-cn,2025-03,30000000,1,CNY\n"
    )
    ingest(licensed, late, folder=tmp_path)
    _, posted = settle(licensed, report_files(licensed, tmp_path), ON)
    after = {(r["licence"], r["period"]): r["royalty_minor"] for r in settlements(licensed)}
    assert posted.changed == 1 and after[("lic-cheap-chat-cn", "2025-03")] == 56_000  # 70 M tokens
    assert {k: v for k, v in after.items() if k[1] != "2025-03" or "gs" in k[0]} == {
        k: v for k, v in first.items() if k[1] != "2025-03" or "gs" in k[0]
    }
    assert ledger.balance(licensed, "developer:frontier-labs:CNY")["balance_minor"] == sum(
        v for (lic, _), v in after.items() if lic == "lic-cheap-chat-cn"
    )
    assert ledger.check(licensed) == []


def test_the_ledger_refuses_overdrafts_reused_ids_and_tampering_is_found(licensed: Engine) -> None:
    day = dt.date(2025, 7, 1)
    with licensed.begin() as c:
        ledger.post(
            c,
            [
                ledger.Transfer(
                    "t1",
                    "licensee:cheap-chat-inc:USD",
                    "pool:global_south:USD",
                    500,
                    "USD",
                    "m",
                    day,
                )
            ],
        )
    with pytest.raises(ledger.LedgerError, match="may not go below zero"), licensed.begin() as c:
        ledger.post(
            c,
            [
                ledger.Transfer(
                    "t2",
                    "pool:global_south:USD",
                    "licensee:cheap-chat-inc:USD",
                    501,
                    "USD",
                    "m",
                    day,
                )
            ],
        )
    with (
        pytest.raises(ledger.LedgerError, match="already posted with other accounts or amount"),
        licensed.begin() as c,
    ):
        ledger.post(
            c,
            [
                ledger.Transfer(
                    "t1",
                    "licensee:cheap-chat-inc:USD",
                    "pool:global_south:USD",
                    600,
                    "USD",
                    "m",
                    day,
                )
            ],
        )
    with pytest.raises(ledger.LedgerError, match="holds USD, not CNY"), licensed.begin() as c:
        ledger.post(
            c,
            [
                ledger.Transfer(
                    "t3", "licensee:cheap-chat-inc:USD", "pool:global_south:USD", 1, "CNY", "m", day
                )
            ],
        )
    assert ledger.totals(licensed) == {"USD": 500} and ledger.check(licensed) == []
    with licensed.begin() as c:
        c.execute(text("UPDATE ledger_transfers SET amount = 400 WHERE id = 't1'"))
    problems = ledger.check(licensed)
    assert any("its transfers sum to" in p for p in problems)


def test_the_pool_pays_pro_rata_carries_small_amounts_and_holds_unmatched_claims(
    licensed: Engine, tmp_path: Path
) -> None:
    settled(licensed, tmp_path)
    pay_all(licensed, ON)  # the pool shares out what was collected: the pool's and creators' shares
    rules = builtin("global_south").as_of(ON).pool  # 8 % administration, USD 5.00 minimum
    register_claims(
        licensed,
        "global_south",
        [
            Claim("big", "news-archive", "News", 990, True),
            Claim("tiny", "poet", "Poems", 5, True),
            Claim("lost", "someone", "Forum posts", 5, False),
        ],
        ON,
    )
    assert ledger.balance(licensed, "pool:global_south:USD")["balance_minor"] == 0  # all collected
    pool_before = ledger.balance(licensed, "pool:global_south:USD:collected")["balance_minor"]
    assert pool_before == 39_986 + 66_643  # creators' 15 % and the pool's 25 % of 2,665.73
    run = distribute(licensed, "global_south", "USD", rules, ON)
    assert run.amount == pool_before and run.admin == round(pool_before * 0.08)
    assert run.admin + run.paid + run.carried + run.held == run.amount
    lines = {line["claim"]: line for line in holder_statement(licensed, "poet", ON)["lines"]}
    assert lines["tiny"]["paid"] == "0.00"  # below USD 5.00: carried forward
    assert run.carried > 0 and run.held > 0
    assert distribute(licensed, "global_south", "USD", rules, ON) == run  # same day: no new run
    assert pool_check(licensed) == [] and ledger.check(licensed) == []
    # The hold runs out unclaimed: released back to the pool at the next run.
    later = ON + dt.timedelta(days=rules.hold_days)
    second = distribute(licensed, "global_south", "USD", rules, later)
    assert second.released == run.held
    # A claim matched in time is paid what was held for it.
    register_claims(
        licensed, "global_south", [Claim("late", "archive-2", "Books", 100, False)], later
    )
    with licensed.begin() as c:  # new royalties collected for the pool
        ledger.post(
            c,
            [
                ledger.Transfer(
                    "more",
                    "licensee:cheap-chat-inc:USD",
                    "pool:global_south:USD:collected",
                    10_000,
                    "USD",
                    "m",
                    later,
                )
            ],
        )
    third = distribute(licensed, "global_south", "USD", rules, later + dt.timedelta(days=1))
    held_for_late = holder_statement(licensed, "archive-2", later)["lines"]
    assert third.held > 0 and held_for_late[0]["held"] != "0.00"
    match(licensed, "late")
    fourth = distribute(licensed, "global_south", "USD", rules, later + dt.timedelta(days=2))
    assert fourth.released == 0
    assert pool_check(licensed) == [] and ledger.check(licensed) == []
    last = holder_statement(licensed, "archive-2", later)["lines"][-1]
    assert last["carried_in"] == held_for_late[0]["held"] and last["paid"] == last["carried_in"]
    # A rights-holder sees only its own lines.
    assert "news-archive" not in to_csv(holder_statement(licensed, "poet", ON))
    assert {line["claim"] for line in holder_statement(licensed, "poet", ON)["lines"]} == {"tiny"}


def test_report_files_must_exist(licensed: Engine, tmp_path: Path) -> None:
    ingest(licensed, USAGE / "cheap-chat-cn-2025-q1.csv", folder=tmp_path)
    shutil.rmtree(tmp_path / "usage")
    with pytest.raises(UsageError, match="a recorded usage report's file is missing"):
        report_files(licensed, tmp_path)
