"""Run by test_crash_safety in a subprocess that is killed with SIGKILL at random moments:
ingest every usage report in a folder (in name order), settle, void one report and settle again,
invoice, pay every invoice, and remit what became payable (exported, then confirmed). Every
step is safe to run again, as a user would after a crash. Prints DONE at the end."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from sqlalchemy import text

from distillgov.licensing import billing, remittance
from distillgov.licensing.settlement import settle
from distillgov.licensing.usage import ingest, report_files, reports, void
from distillgov.storage.db import connect, migrate

ON = dt.date(2025, 7, 1)
PAID_ON = dt.date(2025, 7, 10)
REMIT_ON = dt.date(2025, 7, 20)
IBAN = "DE89370400440532013000"


def main() -> None:
    url, data, folder = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    engine = connect(url)
    migrate(engine)
    for report in sorted(folder.glob("*.csv")):
        ingest(engine, report, folder=data)
    settle(engine, report_files(engine, data), ON)
    third = sorted(r["report"] for r in reports(engine))[2]
    if not any(r["report"] == third and r["voided_at"] for r in reports(engine)):
        void(engine, third, "sent in error", "driver")
    settle(engine, report_files(engine, data), ON)
    billing.issue_invoices(engine, ON, "driver")
    for invoice in billing.invoices(engine):
        if invoice["kind"] == "invoice":
            billing.record_payment(
                engine, f"pay-{invoice['number']}", invoice["number"],
                invoice["amount_minor"], PAID_ON, "driver",
            )  # fmt: skip
    with engine.connect() as c:
        payables = list(
            c.execute(
                text("SELECT id FROM ledger_accounts WHERE kind = 'developer_payable' ORDER BY id")
            ).scalars()
        )
        batches = dict(
            c.execute(text("SELECT currency, id FROM lic_remittances ORDER BY id")).all()
        )
    for account in payables:
        remittance.add_payee(engine, account, account, IBAN, None, "driver")
    for currency in sorted({a.rsplit(":", 1)[1] for a in payables}):
        if currency not in batches:
            batches[currency] = remittance.create_batch(engine, currency, REMIT_ON, "driver").id
        if remittance.batch(engine, batches[currency]).status == "exported":
            remittance.settle_batch(engine, batches[currency], "paid", REMIT_ON, "BANK", "driver")
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
