"""The clearinghouse's money commands: invoices, payments, aged debt and remittances. A thin
door: the rules live in `distillgov.licensing.billing` and `distillgov.licensing.remittance`."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from distillgov.cli.common import DatabaseOpt, fail
from distillgov.cli.licensing import ActorOpt, OnOpt, _actor, _day, _echo_json, _engine
from distillgov.errors import DistillgovError
from distillgov.licensing import billing, remittance
from distillgov.licensing.money import format_minor, to_minor
from distillgov.licensing.settlement import adjustments, close_period

invoice_app = typer.Typer(help="Invoices to licensees, and what they owe.", no_args_is_help=True)
payment_app = typer.Typer(help="Payments received against invoices.", no_args_is_help=True)
remit_app = typer.Typer(help="Paying out what was collected, in batches.", no_args_is_help=True)
period_app = typer.Typer(
    help="Closing months: later changes become adjustments.", no_args_is_help=True
)


@period_app.command("close")
def period_close(
    period: Annotated[str, typer.Argument(metavar="YYYY-MM")],
    on: OnOpt = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Close a month that has ended: whatever a later settlement changes in it is posted as an
    adjustment in the open period, naming this one, and shown on statements."""
    try:
        close_period(_engine(database), period, _day(on), _actor(by))
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"period {period} closed")


@period_app.command("adjustments")
def period_adjustments(
    licence: Annotated[str | None, typer.Argument(metavar="[LICENCE]")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Every change to a closed month, with the open period it was posted in (JSON)."""
    try:
        _echo_json(adjustments(_engine(database), licence))
    except DistillgovError as exc:
        fail(exc)


@invoice_app.command("issue")
def invoice_issue(on: OnOpt = None, by: ActorOpt = None, database: DatabaseOpt = None) -> None:
    """Invoice every settled month not yet invoiced (a credit note where a month fell).
    Safe to run again: nothing is invoiced twice."""
    try:
        issued = billing.issue_invoices(_engine(database), _day(on), _actor(by))
    except DistillgovError as exc:
        fail(exc)
    for inv in issued:
        typer.echo(
            f"{inv.number} {inv.kind.replace('_', ' ')} to {inv.licensee} for {inv.period}: "
            f"{format_minor(inv.amount_minor, inv.currency)} {inv.currency}, due {inv.due_on}"
        )
    typer.echo(f"{len(issued)} invoice(s) issued")


@invoice_app.command("list")
def invoice_list(
    licensee: Annotated[str | None, typer.Option(help="Only this licensee's.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Every invoice with its lines, what was applied to it and what is outstanding (JSON)."""
    try:
        _echo_json(billing.invoices(_engine(database), licensee))
    except DistillgovError as exc:
        fail(exc)


@invoice_app.command("interest")
def invoice_interest(on: OnOpt = None, by: ActorOpt = None, database: DatabaseOpt = None) -> None:
    """Charge late interest up to a day, where the tariff sets a rate (simple, a year)."""
    try:
        issued = billing.charge_interest(_engine(database), _day(on), _actor(by))
    except DistillgovError as exc:
        fail(exc)
    for inv in issued:
        typer.echo(
            f"{inv.number} interest to {inv.licensee}: "
            f"{format_minor(inv.amount_minor, inv.currency)} {inv.currency}"
        )
    typer.echo(f"{len(issued)} interest invoice(s) issued")


@invoice_app.command("aged")
def invoice_aged(on: OnOpt = None, database: DatabaseOpt = None) -> None:
    """What each licensee owes on a day, by days overdue, with accrued interest (JSON)."""
    try:
        _echo_json(billing.aged_debt(_engine(database), _day(on)))
    except DistillgovError as exc:
        fail(exc)


@payment_app.command("record")
def payment_record(
    invoice: Annotated[str, typer.Argument(metavar="INVOICE")],
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="In major units: 1234.56")],
    payment_id: Annotated[
        str, typer.Option("--id", help="The payer's own payment id: the same id is one payment.")
    ],
    on: OnOpt = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Record a payment against an invoice (part, whole or more; late is fine).

    Example: distillgov payment record INV-000001 1025.00 --id bank-2025-07-03-001
    """
    try:
        engine = _engine(database)
        currency = billing.currency_of(engine, invoice)
        try:
            minor = to_minor(amount, currency)
        except DistillgovError as exc:
            raise DistillgovError(f"field 'amount', value {amount!r}: {exc.message}") from None
        done = billing.record_payment(engine, payment_id, invoice, minor, _day(on), _actor(by))
    except DistillgovError as exc:
        fail(exc)
    if not done.new:
        typer.echo(f"payment '{done.id}' was already recorded: nothing changed")
        return
    credit = done.amount_minor - done.applied_minor
    left = f"; {format_minor(credit, currency)} {currency} kept as credit" if credit else ""
    typer.echo(
        f"recorded payment '{done.id}': {format_minor(done.amount_minor, currency)} {currency}, "
        f"{format_minor(done.applied_minor, currency)} applied{left}"
    )


@remit_app.command("payee")
def remit_payee(
    account: Annotated[str, typer.Argument(metavar="ACCOUNT", help="A payable account.")],
    name: Annotated[str, typer.Option(help="The payee's name, as the bank has it.")],
    iban: Annotated[str, typer.Option(help="The payee's IBAN.")],
    bic: Annotated[str | None, typer.Option(help="The payee's bank's BIC.")] = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Record the bank details a payable account is paid to."""
    try:
        done = remittance.add_payee(_engine(database), account, name, iban, bic, _actor(by))
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"payee for {done['account']}: {done['name']}, {done['iban']}")


class BankFormat(StrEnum):
    pain001 = "pain001"
    csv = "csv"


def _debtor() -> dict[str, str]:
    return {
        "name": os.environ.get("DISTILLGOV_DEBTOR_NAME", ""),
        "IBAN": os.environ.get("DISTILLGOV_DEBTOR_IBAN", ""),
        "BIC": os.environ.get("DISTILLGOV_DEBTOR_BIC", ""),
    }


def _write(found: remittance.Batch, fmt: BankFormat, output: Path | None) -> None:
    if fmt is BankFormat.csv:
        body = remittance.as_csv(found).encode()
    else:
        body = remittance.pain001(found, _debtor(), found.created_on)
    if output is None:
        sys.stdout.buffer.write(body)
    else:
        output.write_bytes(body)


FormatOpt = Annotated[
    BankFormat, typer.Option("--format", "-f", help="pain001 (ISO 20022 XML) or csv.")
]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")]


@remit_app.command("create")
def remit_create(
    currency: Annotated[str, typer.Argument(metavar="CURRENCY")],
    on: OnOpt = None,
    fmt: FormatOpt = BankFormat.pain001,
    output: OutputOpt = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Pay out everything payable in a currency: a batch, in flight until the bank confirms it.
    pain.001 needs the clearinghouse's own account in $DISTILLGOV_DEBTOR_NAME, _IBAN and _BIC.

    Example: distillgov remit create USD -o batch.xml
    """
    try:
        engine = _engine(database)
        if fmt is BankFormat.pain001:
            remittance.pain001_ready(_debtor(), currency)
        found = remittance.create_batch(engine, currency, _day(on), _actor(by))
        _write(found, fmt, output)
    except DistillgovError as exc:
        fail(exc)
    for account in found.skipped:
        typer.echo(f"left out {account}: no bank details (`remit payee`)", err=True)
    typer.echo(
        f"batch {found.id}: {len(found.lines)} payment(s), "
        f"{format_minor(found.total_minor, found.currency)} {found.currency}, awaiting the bank",
        err=output is None,
    )


@remit_app.command("export")
def remit_export(
    batch_id: Annotated[str, typer.Argument(metavar="BATCH")],
    fmt: FormatOpt = BankFormat.pain001,
    output: OutputOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Write a batch's bank file again."""
    try:
        _write(remittance.batch(_engine(database), batch_id), fmt, output)
    except DistillgovError as exc:
        fail(exc)


@remit_app.command("confirm")
def remit_confirm(
    batch_id: Annotated[str, typer.Argument(metavar="BATCH")],
    reference: Annotated[str, typer.Option(help="The bank's confirmation reference.")],
    returned: Annotated[
        bool, typer.Option("--returned", help="The bank returned the batch: pay it back.")
    ] = False,
    on: OnOpt = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """The bank's answer on a batch: paid (the money leaves), or --returned (it goes back)."""
    outcome = "returned" if returned else "paid"
    try:
        found = remittance.settle_batch(
            _engine(database), batch_id, outcome, _day(on), reference, _actor(by)
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"batch {found.id}: {found.status}")
