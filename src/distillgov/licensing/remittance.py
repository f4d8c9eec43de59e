"""Remittances: payable money paid out in batches a bank or payment provider can take.

A batch takes every payable account of one currency (a teacher developer's collected royalties,
`payable:developer:…`; the pool's payouts, `pool:…:payable`) whose payee's bank details are on
record, moves what each holds into `remittance:clearinghouse:<cur>` (in flight) and exports it as
an ISO 20022 `pain.001.001.09` credit transfer (built and checked against the ISO schema by
`sepaxml`), or as CSV for a provider that takes a file of payments. A batch is marked paid only
when the bank confirms it (`remit confirm`): then the money leaves the bank account; a returned
batch moves back to the payable accounts. Accounts without bank details are left out and named.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import Conflict, DistillgovError, NotFound
from distillgov.licensing import ledger
from distillgov.licensing.billing import _day, _now, bank, in_flight
from distillgov.licensing.money import exponent, format_minor
from distillgov.storage.db import reading

PAYABLE_KINDS = ("developer_payable", "pool_payable")


class RemittanceError(DistillgovError):
    """A payee or batch was refused; nothing was written."""


class RemittanceConflict(RemittanceError, Conflict):
    """The batch is not in a state that allows this (confirmed twice, or returned)."""


class UnknownRemittance(RemittanceError, NotFound):
    """No batch with that id."""


def add_payee(
    engine: Engine, account: str, name: str, iban: str, bic: str | None, actor: str
) -> dict[str, Any]:
    """Record (or replace) the bank details a payable account is paid to; the IBAN's checksum
    and country format and the BIC are checked (schwifty)."""
    # schwifty loads its bank registry (0.15 s measured): only where bank details are handled.
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        checked = IBAN(iban)
    except SchwiftyException as exc:
        raise RemittanceError(f"field 'iban', value {iban!r}: {exc}") from None
    bic_text = None
    if bic:
        try:
            bic_text = str(BIC(bic))
        except SchwiftyException as exc:
            raise RemittanceError(f"field 'bic', value {bic!r}: {exc}") from None
    if not name.strip() or len(name) > 140:
        raise RemittanceError(f"field 'name', value {name!r}: 1 to 140 characters")
    with engine.begin() as c:
        kind = c.execute(
            text("SELECT kind FROM ledger_accounts WHERE id = :a"), {"a": account}
        ).scalar()
        if kind not in PAYABLE_KINDS:
            raise RemittanceError(
                f"field 'account', value {account!r}: not a payable account (payable:… for a "
                "developer's collected royalties, pool:…:payable for the pool's payouts)"
            )
        c.execute(text("DELETE FROM lic_payees WHERE account = :a"), {"a": account})
        c.execute(
            text(
                "INSERT INTO lic_payees (account, name, iban, bic, recorded_by, recorded_at) "
                "VALUES (:a, :n, :i, :b, :by, :at)"
            ),
            {
                "a": account,
                "n": name.strip(),
                "i": checked.compact,
                "b": bic_text,
                "by": actor,
                "at": _now(),
            },
        )
    return {"account": account, "name": name.strip(), "iban": checked.compact, "bic": bic_text}


@dataclass(frozen=True)
class Batch:
    id: str
    currency: str
    created_on: dt.date
    status: str
    lines: list[dict[str, Any]]
    skipped: list[str]  # payable accounts with money but no bank details

    @property
    def total_minor(self) -> int:
        return sum(int(line["amount_minor"]) for line in self.lines)


def create_batch(engine: Engine, currency: str, on: dt.date, actor: str) -> Batch:
    """Gather what every payable account of `currency` holds into one batch, in flight."""
    exponent(currency)  # refuses an unknown currency
    with engine.begin() as c:
        rows = c.execute(
            text(
                "SELECT a.id, a.credits - a.debits, p.name, p.iban, p.bic FROM ledger_accounts a "
                "LEFT JOIN lic_payees p ON p.account = a.id WHERE a.currency = :c "
                "AND a.kind IN ('developer_payable', 'pool_payable') "
                "AND a.credits - a.debits > 0 ORDER BY a.id"
            ),
            {"c": currency},
        ).all()
        lines = [
            {"account": r[0], "amount_minor": int(r[1]), "name": r[2], "iban": r[3], "bic": r[4]}
            for r in rows
            if r[3] is not None
        ]
        skipped = [r[0] for r in rows if r[3] is None]
        if not lines:
            why = f"; no bank details for {', '.join(skipped)}" if skipped else ""
            raise RemittanceError(f"nothing payable in {currency} to remit{why}")
        n = int(
            c.execute(
                text(
                    "SELECT COUNT(*) FROM lic_remittances WHERE currency = :c AND created_on = :d"
                ),
                {"c": currency, "d": on},
            ).scalar_one()
        )
        batch_id = f"REM-{currency}-{on:%Y%m%d}-{n + 1}"
        c.execute(
            text(
                "INSERT INTO lic_remittances (id, currency, created_on, status, total_minor, "
                "created_by) VALUES (:i, :c, :d, 'exported', :t, :by)"
            ),
            {
                "i": batch_id,
                "c": currency,
                "d": on,
                "t": sum(x["amount_minor"] for x in lines),
                "by": actor,
            },
        )
        c.execute(
            text(
                "INSERT INTO lic_remittance_lines (remittance, account, amount_minor) "
                "VALUES (:r, :a, :m)"
            ),
            [{"r": batch_id, "a": x["account"], "m": x["amount_minor"]} for x in lines],
        )
        ledger.ensure_accounts(c, [in_flight(currency), bank(currency)])
        ledger.post(
            c,
            [
                ledger.Transfer(
                    f"remit/{batch_id}/{x['account']}",
                    x["account"],
                    in_flight(currency).id,
                    x["amount_minor"],
                    currency,
                    f"remittance {batch_id} to {x['name']}",
                    on,
                )
                for x in lines
            ],
            actor,
        )
    return Batch(batch_id, currency, on, "exported", lines, skipped)


def batch(engine: Engine, batch_id: str) -> Batch:
    with reading(engine) as c:
        head = c.execute(
            text("SELECT currency, created_on, status FROM lic_remittances WHERE id = :i"),
            {"i": batch_id},
        ).first()
        if head is None:
            raise UnknownRemittance(f"field 'batch', value {batch_id!r}: no such remittance")
        rows = c.execute(
            text(
                "SELECT l.account, l.amount_minor, p.name, p.iban, p.bic FROM "
                "lic_remittance_lines l LEFT JOIN lic_payees p ON p.account = l.account "
                "WHERE l.remittance = :i ORDER BY l.account"
            ),
            {"i": batch_id},
        ).all()
    created = _day(head[1])
    lines = [
        {"account": r[0], "amount_minor": int(r[1]), "name": r[2], "iban": r[3], "bic": r[4]}
        for r in rows
    ]
    return Batch(batch_id, head[0], created, head[2], lines, [])


def settle_batch(
    engine: Engine, batch_id: str, outcome: str, on: dt.date, confirmation: str, actor: str
) -> Batch:
    """The bank's answer: `paid` (the money leaves the bank account) or `returned` (it goes back
    to the payable accounts). Only an exported batch can be answered, once."""
    if outcome not in ("paid", "returned"):
        raise RemittanceError(f"field 'outcome', value {outcome!r}: paid or returned")
    if not confirmation.strip():
        raise RemittanceError("field 'confirmation' is missing: the bank's reference")
    found = batch(engine, batch_id)
    with engine.begin() as c:
        done = c.execute(
            text(
                "UPDATE lic_remittances SET status = :s, confirmed_on = :on, confirmation = :ref, "
                "confirmed_by = :by WHERE id = :i AND status = 'exported'"
            ),
            {"s": outcome, "on": on, "ref": confirmation.strip(), "by": actor, "i": batch_id},
        )
        if done.rowcount != 1:
            raise RemittanceConflict(
                f"field 'batch', value {batch_id!r}: already {found.status}, not awaiting the "
                "bank's answer"
            )
        cur = found.currency
        moves = (
            [(f"remit/{batch_id}/paid", in_flight(cur).id, bank(cur).id, found.total_minor, "")]
            if outcome == "paid"
            else [
                (
                    f"remit/{batch_id}/returned/{x['account']}",
                    in_flight(cur).id,
                    x["account"],
                    x["amount_minor"],
                    f" to {x['account']}",
                )
                for x in found.lines
            ]
        )
        ledger.post(
            c,
            [
                ledger.Transfer(
                    tid,
                    debit,
                    credit,
                    amount,
                    cur,
                    f"remittance {batch_id} {outcome}{to} ({confirmation})",
                    on,
                )
                for tid, debit, credit, amount, to in moves
            ],
            actor,
        )
    return batch(engine, batch_id)


def pain001_ready(debtor: dict[str, str], currency: str) -> None:
    """Refuses, before a batch is made, a pain.001 export that could not be written."""
    if exponent(currency) != 2:
        raise RemittanceError(
            f"{currency} has {exponent(currency)} minor digits: export its batches as CSV "
            "(sepaxml writes amounts with two)"
        )
    for field in ("name", "IBAN", "BIC"):
        if not debtor.get(field):
            raise RemittanceError(
                f"field 'debtor {field}' is missing: the clearinghouse's own account pays "
                f"(set DISTILLGOV_DEBTOR_{field.upper()})"
            )


def pain001(found: Batch, debtor: dict[str, str], execution: dt.date) -> bytes:
    """The batch as an ISO 20022 pain.001.001.09 credit transfer initiation, built by sepaxml
    and validated by it against the ISO schema it ships (xmlschema) before it is returned.
    `debtor`: the clearinghouse's own account (name, IBAN, BIC)."""
    # sepaxml and xmlschema (the ISO schema check) load only when a bank file is made.
    from sepaxml import SepaTransfer

    pain001_ready(debtor, found.currency)
    transfer = SepaTransfer(
        {
            "name": debtor["name"],
            "IBAN": debtor["IBAN"],
            "BIC": debtor["BIC"],
            "batch": True,
            "currency": found.currency,
        },
        schema="pain.001.001.09",
    )
    for i, line in enumerate(found.lines, start=1):
        payment = {
            "name": line["name"][:70],
            "IBAN": line["iban"],
            "amount": int(line["amount_minor"]),
            "execution_date": execution,
            "description": f"distillgov {found.id} {line['account']}"[:140],
            "endtoend_id": f"{found.id}-{i}"[:35],
        }
        if line.get("bic"):
            payment["BIC"] = line["bic"]
        transfer.add_payment(payment)
    xml: bytes = transfer.export(validate=True)
    return xml


def as_csv(found: Batch) -> str:
    """The batch as CSV: one row per payment (account, name, IBAN, BIC, amount, currency,
    reference), amounts in major units with the currency's digits."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["account", "name", "iban", "bic", "amount", "currency", "reference"])
    for i, line in enumerate(found.lines, start=1):
        writer.writerow(
            [
                line["account"],
                line["name"],
                line["iban"],
                line["bic"] or "",
                format_minor(int(line["amount_minor"]), found.currency),
                found.currency,
                f"{found.id}-{i}",
            ]
        )
    return out.getvalue()
