"""Money that moves (issue #15 items 1 and 2), on SQLite and PostgreSQL: invoices from settled
months, payments (part, over, late, idempotent), late interest, cash that follows collection
into the pool and the payable accounts, and remittance batches a bank takes, checked against the
ISO 20022 schema by xmlschema. Every figure is recomputed here by hand, independently."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from sqlalchemy import Engine

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from distillgov.licensing import billing, ledger, pool, remittance
from distillgov.licensing.licences import get, open_licence
from distillgov.licensing.pool import Claim, distribute, register_claims
from distillgov.licensing.settlement import settle
from distillgov.licensing.tariffs import load
from distillgov.licensing.usage import ingest, report_files
from tests.licensing.conftest import CLONE_CASE, USAGE

SCHEDULE = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
GS = Path(__file__).resolve().parents[2] / "src/distillgov/licensing/schedules/global_south.yaml"
IBAN_DEV, BIC_DEV = "DE89370400440532013000", "COBADEFFXXX"
IBAN_POOL = "GB82WEST12345698765432"
DEBTOR = {"name": "Clearinghouse", "IBAN": "FR1420041010050500013M02606", "BIC": "PSSTFRPPPAR"}


@pytest.fixture
def invoiced(engine: Engine, tmp_path: Path) -> Engine:
    """The worked example (global_south, USD) under a schedule with 8 % late interest a year
    and 30 days to pay, settled and invoiced on 1 July 2025."""
    schedule = tmp_path / "gs.yaml"
    schedule.write_text(
        GS.read_text().replace(
            "    pool:\n", '    late_interest_percent: "8"\n    payment_terms_days: 30\n    pool:\n'
        )
    )
    case, gs, day = load_case(CLONE_CASE), load_builtin("global_south"), dt.date(2025, 3, 1)
    open_licence(
        engine, assess_case(case, gs, day), case, gs, day, "cheap-chat-1", "lic-gs",
        load(schedule),
    )  # fmt: skip
    report = tmp_path / "gs.jsonl"
    report.write_text(
        (USAGE / "cheap-chat-gs-2025.jsonl").read_text().replace("lic-cheap-chat-gs", "lic-gs")
    )
    ingest(engine, report, folder=tmp_path)
    settle(engine, report_files(engine, tmp_path), dt.date(2025, 7, 1))
    billing.issue_invoices(engine, dt.date(2025, 7, 1), "clerk")
    return engine


def _bal(engine: Engine, account: str) -> int:
    return int(ledger.balance(engine, account)["balance_minor"])


def _by_period(engine: Engine) -> dict[str, dict[str, object]]:
    return {i["period"]: i for i in billing.invoices(engine) if i["kind"] == "invoice"}


def test_settled_months_are_invoiced_once_with_due_dates(invoiced: Engine) -> None:
    found = _by_period(invoiced)
    assert {p: i["amount_minor"] for p, i in found.items()} == {
        "2025-03": 102_500,
        "2025-04": 113_750,
        "2025-05": 50_323,
    }  # June was royalty-free: nothing to invoice
    assert {i["due_on"] for i in found.values()} == {"2025-07-31"}
    assert [i["number"] for i in found.values()] == ["INV-000001", "INV-000002", "INV-000003"]
    assert billing.issue_invoices(invoiced, dt.date(2025, 7, 2)) == []  # nothing twice


def test_payments_move_cash_into_collected_shares_and_nothing_else(invoiced: Engine) -> None:
    inv = {p: i["number"] for p, i in _by_period(invoiced).items()}
    done = billing.record_payment(
        invoiced, "bank-001", inv["2025-03"], 102_500, dt.date(2025, 7, 10)
    )
    assert done.new and done.applied_minor == 102_500
    again = billing.record_payment(
        invoiced, "bank-001", inv["2025-03"], 102_500, dt.date(2025, 7, 10)
    )
    assert not again.new  # the same payment: nothing changes
    with pytest.raises(billing.BillingConflict, match="a different payment"):
        billing.record_payment(invoiced, "bank-001", inv["2025-03"], 1, dt.date(2025, 7, 10))
    # 60 / 15 / 25 of 1,025.00 by largest remainder: 615.00, 153.75, 256.25.
    assert _bal(invoiced, "payable:developer:frontier-labs:USD") == 61_500
    assert _bal(invoiced, "pool:global_south:USD:collected") == 15_375 + 25_625
    assert _bal(invoiced, "bank:clearinghouse:USD") == -102_500  # cash held (debited in)
    # The pool shares out what was collected, not what was accrued.
    register_claims(
        invoiced, "global_south", [Claim("c1", "maria", "w1", 1, True)], dt.date(2025, 7, 1)
    )
    rules = get(invoiced, "lic-gs").tariff.pool
    run = distribute(invoiced, "global_south", "USD", rules, dt.date(2025, 7, 15))
    assert run.amount == 41_000 and run.admin == 3_280  # 8 % of 410.00
    assert pool.check(invoiced) == [] and ledger.check(invoiced) == []


def test_part_over_and_late_payments_with_interest_recomputed(invoiced: Engine) -> None:
    inv = {p: i["number"] for p, i in _by_period(invoiced).items()}
    billing.record_payment(invoiced, "p-apr", inv["2025-04"], 50_000, dt.date(2025, 8, 15))
    # 600.00 on May's 503.23: the 96.77 over goes to March's invoice, the oldest still open.
    over = billing.record_payment(invoiced, "p-may", inv["2025-05"], 60_000, dt.date(2025, 8, 20))
    assert over.applied_minor == 60_000
    outstanding = {i["period"]: i["outstanding_minor"] for i in billing.invoices(invoiced)}
    assert outstanding == {"2025-03": 102_500 - 9_677, "2025-04": 113_750 - 50_000, "2025-05": 0}
    aged = billing.aged_debt(invoiced, dt.date(2025, 9, 30))[0]  # 61 days after 31 July
    assert aged["61-90_minor"] == 92_823 + 63_750 == aged["owed_minor"]
    charged = billing.charge_interest(invoiced, dt.date(2025, 9, 30), "clerk")
    by_ref = {i.number: i for i in charged}
    assert len(charged) == 3  # May's was late too, by 20 days, until the overpayment
    # Independently: 8 % a year, simple, on what was outstanding each day after 31 July.
    march = Fraction(102_500 * 8 * 20 + 92_823 * 8 * 41, 100 * 365)
    april = Fraction(113_750 * 8 * 15 + 63_750 * 8 * 46, 100 * 365)
    may = Fraction(50_323 * 8 * 20, 100 * 365)
    want = sorted([round(march), round(april), round(may)])  # no ties here: round is exact
    assert sorted(i.amount_minor for i in by_ref.values()) == want
    assert billing.charge_interest(invoiced, dt.date(2025, 9, 30)) == []  # charged to that day
    assert _bal(invoiced, "interest:clearinghouse:USD") == sum(want)
    # More than everything owed: the rest is the licensee's credit, applied to what comes next.
    left = {i["number"]: i["outstanding_minor"] for i in billing.invoices(invoiced)}
    total = sum(left.values())
    big = billing.record_payment(
        invoiced, "p-all", inv["2025-03"], total + 1_000, dt.date(2025, 10, 1)
    )
    assert big.applied_minor == total
    assert billing.aged_debt(invoiced, dt.date(2025, 10, 1))[0]["credit_minor"] == 1_000
    assert ledger.check(invoiced) == []


def test_a_credit_note_for_a_month_settled_lower(invoiced: Engine, tmp_path: Path) -> None:
    from distillgov.licensing.usage import void

    void(invoiced, "gs", "sent in error", "clerk")
    settle(invoiced, report_files(invoiced, tmp_path), dt.date(2025, 7, 5))
    notes = billing.issue_invoices(invoiced, dt.date(2025, 7, 5), "clerk")
    assert {n.kind for n in notes} == {"credit_note"}
    assert sorted(n.amount_minor for n in notes) == [50_323, 102_500, 113_750]
    assert all(i["outstanding_minor"] == 0 for i in billing.invoices(invoiced))
    assert billing.aged_debt(invoiced, dt.date(2025, 9, 1))[0]["owed_minor"] == 0


def test_remittance_is_paid_only_on_confirmation_and_the_file_is_iso_20022(
    invoiced: Engine, tmp_path: Path
) -> None:
    inv = {p: i["number"] for p, i in _by_period(invoiced).items()}
    billing.record_payment(invoiced, "p1", inv["2025-03"], 102_500, dt.date(2025, 7, 10))
    with pytest.raises(remittance.RemittanceError, match="no bank details for payable:developer"):
        remittance.create_batch(invoiced, "USD", dt.date(2025, 7, 20), "clerk")
    with pytest.raises(remittance.RemittanceError, match="field 'iban', value 'DE00"):
        remittance.add_payee(
            invoiced, "payable:developer:frontier-labs:USD", "Frontier", "DE00123", None, "c"
        )
    with pytest.raises(remittance.RemittanceError, match="not a payable account"):
        remittance.add_payee(invoiced, "bank:clearinghouse:USD", "Bank", IBAN_DEV, None, "c")
    remittance.add_payee(
        invoiced, "payable:developer:frontier-labs:USD", "Frontier Labs", IBAN_DEV, BIC_DEV, "c"
    )
    batch = remittance.create_batch(invoiced, "USD", dt.date(2025, 7, 20), "clerk")
    assert (
        batch.total_minor == 61_500 and _bal(invoiced, "payable:developer:frontier-labs:USD") == 0
    )
    assert _bal(invoiced, "remittance:clearinghouse:USD") == 61_500  # in flight, not paid
    xml = remittance.pain001(batch, DEBTOR, batch.created_on)
    schema = xmlschema.XMLSchema(SCHEDULE)
    assert schema.is_valid(xml.decode())  # the ISO 20022 schema, not our reader
    parsed = schema.to_dict(xml.decode())
    payment = parsed["CstmrCdtTrfInitn"]["PmtInf"][0]["CdtTrfTxInf"][0]
    assert payment["Amt"]["InstdAmt"]["$"] == pytest.approx(615.00)
    assert payment["CdtrAcct"]["Id"]["IBAN"] == IBAN_DEV
    assert remittance.as_csv(batch).splitlines()[1].endswith("615.00,USD,REM-USD-20250720-1-1")
    with pytest.raises(remittance.RemittanceError, match="nothing payable in USD"):
        remittance.create_batch(invoiced, "USD", dt.date(2025, 7, 21), "clerk")
    paid = remittance.settle_batch(invoiced, batch.id, "paid", dt.date(2025, 7, 22), "BANK-77", "c")
    assert paid.status == "paid" and _bal(invoiced, "remittance:clearinghouse:USD") == 0
    assert _bal(invoiced, "bank:clearinghouse:USD") == -102_500 + 61_500
    with pytest.raises(remittance.RemittanceConflict, match="already paid"):
        remittance.settle_batch(invoiced, batch.id, "paid", dt.date(2025, 7, 22), "again", "c")
    assert ledger.check(invoiced) == [] and pool.check(invoiced) == []


def test_a_returned_batch_goes_back_to_the_payees(invoiced: Engine) -> None:
    inv = {p: i["number"] for p, i in _by_period(invoiced).items()}
    billing.record_payment(invoiced, "p1", inv["2025-03"], 102_500, dt.date(2025, 7, 10))
    remittance.add_payee(
        invoiced, "payable:developer:frontier-labs:USD", "Frontier Labs", IBAN_DEV, None, "c"
    )
    batch = remittance.create_batch(invoiced, "USD", dt.date(2025, 7, 20), "clerk")
    remittance.settle_batch(invoiced, batch.id, "returned", dt.date(2025, 7, 23), "R-1", "c")
    assert _bal(invoiced, "payable:developer:frontier-labs:USD") == 61_500
    assert _bal(invoiced, "remittance:clearinghouse:USD") == 0 and ledger.check(invoiced) == []


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the CLI; logic: both
def test_the_money_commands(invoiced: Engine, tmp_path: Path) -> None:
    url = invoiced.url.render_as_string(hide_password=False)
    env = {**os.environ, "DISTILLGOV_ACTOR": "ana", **{f"DISTILLGOV_DEBTOR_{k.upper()}": v
                                                       for k, v in DEBTOR.items()}}  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distillgov", *args, "--database", url],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip

    assert "0 invoice(s) issued" in cli("invoice", "issue", "--on", "2025-07-02").stdout
    paid = cli("payment", "record", "INV-000001", "1025.00", "--id", "b-1", "--on", "2025-07-10")
    assert paid.stdout.strip() == "recorded payment 'b-1': 1025.00 USD, 1025.00 applied"
    bad = cli("payment", "record", "INV-000001", "10.001", "--id", "b-2")
    assert bad.returncode == 2 and "field 'amount', value '10.001'" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert '"31-60_minor"' in cli("invoice", "aged", "--on", "2025-09-15").stdout
    payee = cli("remit", "payee", "payable:developer:frontier-labs:USD", "--name", "Frontier",
                "--iban", IBAN_DEV, "--bic", BIC_DEV)  # fmt: skip
    assert payee.returncode == 0, payee.stderr
    out = tmp_path / "batch.xml"
    made = cli("remit", "create", "USD", "--on", "2025-07-20", "-o", str(out))
    assert made.returncode == 0, made.stderr
    assert xmlschema.XMLSchema(SCHEDULE).is_valid(out.read_text())
    confirmed = cli("remit", "confirm", "REM-USD-20250720-1", "--reference", "BANK-1")
    assert confirmed.stdout.strip() == "batch REM-USD-20250720-1: paid"
    assert cli("ledger", "check").returncode == 0
