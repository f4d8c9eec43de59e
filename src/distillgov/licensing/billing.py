"""Money that moves: invoices to licensees, their payments, the cash those bring in, and
remittances out to whoever the royalties are for.

Accrual and cash. Settlement accrues: it credits the teacher's developer, the data creators and
the collective pool with their shares as soon as a month is settled (`developer:…`,
`creators:…`, `pool:…`). An invoice bills what settlement accrued; a payment brings in cash
(`bank:clearinghouse:<cur>`), and as it is applied to an invoice the shares it covers move from
accrued to collected: the developer's into `payable:developer:…` (what may be paid out), the
creators' and the pool's into `pool:<profile>:<cur>:collected`, which is what a pool
distribution shares out (the creators' share reaches them through the collective pool,
policies/collective_licensing). Nothing is paid out that was not collected. Remittances move
payable money into `remittance:clearinghouse:<cur>` (in flight) when a batch is exported, and
out to the bank only when the bank confirms the batch; a returned batch moves back.

Every step is one database transaction, idempotent by its own id (the payer's payment id, the
invoice run's date, the batch id), and posts to the ledger through `ledger.post`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import Conflict, DistillgovError, NotFound
from distillgov.licensing import ledger
from distillgov.licensing.licences import Licence, accounts_for, all_licences
from distillgov.licensing.money import format_minor, round_half_even, split
from distillgov.storage.db import reading

SHARES = ("teacher_developer", "data_creators", "collective_pool")
AGE_BUCKETS = ((0, "current"), (30, "1-30"), (60, "31-60"), (90, "61-90"), (None, "over 90"))


class BillingError(DistillgovError):
    """An invoice, payment or remittance was refused; nothing was written."""


class BillingConflict(BillingError, Conflict):
    """The id is taken by something else (a payment id reused for another payment)."""


class UnknownInvoice(BillingError, NotFound):
    """No invoice (or remittance) with that id."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def bank(currency: str) -> ledger.Account:
    # Money held at the bank: debited as it comes in, credited as it goes out.
    return ledger.Account(f"bank:clearinghouse:{currency}", currency, "bank", False)


def in_flight(currency: str) -> ledger.Account:
    return ledger.Account(f"remittance:clearinghouse:{currency}", currency, "in_flight", True)


def interest_account(currency: str) -> ledger.Account:
    return ledger.Account(f"interest:clearinghouse:{currency}", currency, "interest", True)


def payable(developer: ledger.Account) -> ledger.Account:
    return ledger.Account(f"payable:{developer.id}", developer.currency, "developer_payable", True)


def collected(licence: Licence) -> ledger.Account:
    base = f"pool:{licence.profile}:{licence.currency}"
    return ledger.Account(f"{base}:collected", licence.currency, "pool_collected", True)


@dataclass(frozen=True)
class Invoice:
    number: str
    kind: str  # invoice | credit_note | interest
    licensee: str
    currency: str
    period: str
    issued_on: dt.date
    due_on: dt.date
    amount_minor: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "licensee": self.licensee,
            "currency": self.currency,
            "period": self.period,
            "issued_on": str(self.issued_on),
            "due_on": str(self.due_on),
            "amount": format_minor(self.amount_minor, self.currency),
            "amount_minor": self.amount_minor,
        }


# --- invoices ------------------------------------------------------------------------------


def issue_invoices(engine: Engine, on: dt.date, actor: str = "distillgov") -> list[Invoice]:
    """Invoice every licence-month settled but not yet (fully) invoiced: one invoice per
    licensee, currency and month for what rose, one credit note for what fell. A credit note is
    applied to the licensee's open invoices at once, and credit left from an overpayment to the
    new invoices. Running again on the same data issues nothing."""
    licences = {lic.id: lic for lic in all_licences(engine)}
    issued: list[Invoice] = []
    with engine.begin() as c:
        rows = c.execute(
            text(
                "SELECT licence, period, royalty_minor, invoiced_minor FROM lic_settlements "
                "WHERE royalty_minor <> invoiced_minor ORDER BY licence, period"
            )
        ).all()
        groups: dict[tuple[str, str, str, bool], list[tuple[str, str, int, list[int]]]] = (
            defaultdict(list)
        )
        # A change to a closed month is billed in the open period its adjustment was posted in.
        posted_in = {
            (r[0], r[1]): r[2]
            for r in c.execute(
                text(
                    "SELECT licence, period, MAX(posted_period) FROM lic_adjustments "
                    "GROUP BY licence, period"
                )
            ).all()
        }
        closed = set(c.execute(text("SELECT period FROM lic_closed_periods")).scalars())
        for lic_id, period, royalty, invoiced in rows:
            lic = licences[lic_id]
            weights = lic.tariff_for(dt.date.fromisoformat(f"{period}-01")).split.weights()
            now, before = int(royalty), int(invoiced)
            shares = [
                a - b
                for a, b in zip(
                    split(now, weights) if now else [0, 0, 0],
                    split(before, weights) if before else [0, 0, 0],
                    strict=True,
                )
            ]
            billed = posted_in.get((lic_id, period), period) if period in closed else period
            key = (lic.licensee, lic.currency, billed, now > before)
            groups[key].append((lic_id, period, now - before, shares))
        if rows:  # one statement, many rows (as settlement writes them)
            c.execute(
                text(
                    "UPDATE lic_settlements SET invoiced_minor = royalty_minor "
                    "WHERE licence = :l AND period = :p"
                ),
                [{"l": r[0], "p": r[1]} for r in rows],
            )
        for (licensee, currency, period, rose), lines in sorted(groups.items()):
            first = lines[0]
            tariff = licences[first[0]].tariff_for(dt.date.fromisoformat(f"{first[1]}-01"))
            invoice = _insert_invoice(
                c,
                "invoice" if rose else "credit_note",
                licensee,
                currency,
                period,
                on,
                on + dt.timedelta(days=tariff.payment_terms_days) if rose else on,
                abs(sum(line[2] for line in lines)),
                tariff.late_interest_percent if rose else Decimal(0),
                actor,
            )
            c.execute(
                text(
                    "INSERT INTO lic_invoice_lines (invoice, licence, period, amount_minor, "
                    "teacher_developer, data_creators, collective_pool) "
                    "VALUES (:i, :l, :p, :a, :d, :c, :pool)"
                ),
                [
                    {
                        "i": invoice.number,
                        "l": lic_id,
                        "p": p,
                        "a": abs(amount),
                        "d": abs(shares[0]),
                        "c": abs(shares[1]),
                        "pool": abs(shares[2]),
                    }
                    for lic_id, p, amount, shares in lines
                ],
            )
            issued.append(invoice)
        for invoice in issued:
            if invoice.kind == "credit_note":
                _apply_credit(c, f"credit:{invoice.number}", invoice, on, licences)
        _apply_unapplied_payments(c, on, licences)
    return issued


def _insert_invoice(
    c: Any,
    kind: str,
    licensee: str,
    currency: str,
    period: str,
    on: dt.date,
    due: dt.date,
    amount: int,
    interest: Decimal,
    actor: str,
    refers_to: str | None = None,
) -> Invoice:
    seq = int(c.execute(text("SELECT COALESCE(MAX(seq), 0) FROM lic_invoices")).scalar_one()) + 1
    prefix = {"invoice": "INV", "credit_note": "CN", "interest": "INT"}[kind]
    number = f"{prefix}-{seq:06d}"
    c.execute(
        text(
            "INSERT INTO lic_invoices (number, seq, kind, licensee, currency, period, issued_on, "
            "due_on, amount_minor, interest_percent, interest_through, refers_to, issued_by, "
            "issued_at) VALUES (:n, :s, :k, :l, :c, :p, :on, :due, :a, :ip, NULL, :ref, :by, :at)"
        ),
        {
            "n": number,
            "s": seq,
            "k": kind,
            "l": licensee,
            "c": currency,
            "p": period,
            "on": on,
            "due": due,
            "a": amount,
            "ip": str(interest),
            "ref": refers_to,
            "by": actor,
            "at": _now(),
        },
    )
    return Invoice(number, kind, licensee, currency, period, on, due, amount)


# What is left to pay on invoice `i`: its amount less every payment and credit applied to it.
_OUTSTANDING = (
    "i.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM lic_allocations a "
    "WHERE a.invoice = i.number), 0)"
)


def _open_invoices(c: Any, licensee: str, currency: str) -> list[tuple[str, str, int]]:
    """(number, kind, outstanding) of the licensee's invoices with something left to pay,
    oldest first."""
    rows = c.execute(
        text(
            f"SELECT i.number, i.kind, {_OUTSTANDING} FROM lic_invoices i "
            "WHERE i.licensee = :l AND i.currency = :c AND i.kind <> 'credit_note' ORDER BY i.seq"
        ),
        {"l": licensee, "c": currency},
    ).all()
    return [(r[0], r[1], int(r[2])) for r in rows if int(r[2]) > 0]


def _outstanding(c: Any, number: str) -> int:
    return int(
        c.execute(
            text(f"SELECT {_OUTSTANDING} FROM lic_invoices i WHERE i.number = :n"),
            {"n": number},
        ).scalar_one()
    )


def _apply_credit(
    c: Any, source: str, note: Invoice, on: dt.date, licences: dict[str, Licence]
) -> None:
    """A credit note reduces what the licensee owes, oldest invoice first; no cash moves (the
    settlement that lowered the month already reversed the accrual)."""
    left = note.amount_minor
    for number, _, outstanding in _open_invoices(c, note.licensee, note.currency):
        if left <= 0:
            break
        take = min(left, outstanding)
        _allocate(c, source, number, take, on)
        left -= take


def _allocate(c: Any, source: str, invoice: str, amount: int, on: dt.date) -> None:
    c.execute(
        text(
            "INSERT INTO lic_allocations (source, invoice, amount_minor, applied_on) "
            "VALUES (:s, :i, :a, :on)"
        ),
        {"s": source, "i": invoice, "a": amount, "on": on},
    )


# --- payments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    id: str
    invoice: str
    amount_minor: int
    applied_minor: int  # to invoices; the rest is the licensee's credit
    paid_on: dt.date
    new: bool


def record_payment(
    engine: Engine,
    payment_id: str,
    invoice: str,
    amount_minor: int,
    paid_on: dt.date,
    actor: str = "distillgov",
) -> Payment:
    """A payment against an invoice, idempotent by the payer's own id: the same payment again
    changes nothing; another under a used id is refused. Part-payments are applied as they
    come; an overpayment is applied to the licensee's other open invoices, oldest first, and
    what is left stays as its credit for the next invoices. The cash it brings in is collected
    for the shares of the invoices it is applied to."""
    if not payment_id or len(payment_id) > 160:
        raise BillingError(f"field 'id', value {payment_id!r}: 1 to 160 characters")
    if amount_minor <= 0:
        raise BillingError(f"field 'amount', value {amount_minor}: must be more than zero")
    licences = {lic.id: lic for lic in all_licences(engine)}
    with engine.begin() as c:
        if c.dialect.name == "postgresql":  # one payment applied at a time: outstanding is read
            c.execute(text("LOCK TABLE lic_allocations IN EXCLUSIVE MODE"))
        known = c.execute(
            text("SELECT invoice, amount_minor, paid_on FROM lic_payments WHERE id = :i"),
            {"i": payment_id},
        ).first()
        if known is not None:
            if (known[0], int(known[1]), _day(known[2])) != (invoice, amount_minor, paid_on):
                raise BillingConflict(
                    f"field 'id', value {payment_id!r}: a different payment was recorded under "
                    "this id"
                )
            applied = _applied(c, f"payment:{payment_id}")
            return Payment(payment_id, invoice, amount_minor, applied, paid_on, False)
        head = c.execute(
            text("SELECT kind, licensee, currency FROM lic_invoices WHERE number = :n"),
            {"n": invoice},
        ).first()
        if head is None:
            raise UnknownInvoice(f"field 'invoice', value {invoice!r}: no such invoice")
        kind, licensee, currency = head
        if kind == "credit_note":
            raise BillingError(f"field 'invoice', value {invoice!r}: a credit note is not paid")
        c.execute(
            text(
                "INSERT INTO lic_payments (id, invoice, amount_minor, paid_on, recorded_by, "
                "recorded_at) VALUES (:i, :n, :a, :on, :by, :at)"
            ),
            {
                "i": payment_id,
                "n": invoice,
                "a": amount_minor,
                "on": paid_on,
                "by": actor,
                "at": _now(),
            },
        )
        payer = next(a for a in _licensee_accounts(licences, licensee, currency))
        ledger.ensure_accounts(c, [bank(currency)])
        ledger.post(
            c,
            [
                ledger.Transfer(
                    f"payment/{payment_id}",
                    bank(currency).id,
                    payer.id,
                    amount_minor,
                    currency,
                    f"payment {payment_id} on invoice {invoice}",
                    paid_on,
                )
            ],
            actor,
        )
        left = amount_minor
        order = [invoice] + [n for n, _, _ in _open_invoices(c, licensee, currency) if n != invoice]
        for number in order:
            if left <= 0:
                break
            take = min(left, _outstanding(c, number))
            if take > 0:
                _allocate(c, f"payment:{payment_id}", number, take, paid_on)
                _collect(c, f"payment/{payment_id}", number, take, paid_on, licences, actor)
                left -= take
    return Payment(payment_id, invoice, amount_minor, amount_minor - left, paid_on, True)


def _licensee_accounts(
    licences: dict[str, Licence], licensee: str, currency: str
) -> list[ledger.Account]:
    return [
        accounts_for(lic)["licensee"]
        for lic in licences.values()
        if lic.licensee == licensee and lic.currency == currency
    ]


def _applied(c: Any, source: str) -> int:
    return int(
        c.execute(
            text("SELECT COALESCE(SUM(amount_minor), 0) FROM lic_allocations WHERE source = :s"),
            {"s": source},
        ).scalar_one()
    )


def _apply_unapplied_payments(c: Any, on: dt.date, licences: dict[str, Licence]) -> None:
    """Credit left over from overpayments goes to invoices issued since, oldest first."""
    payments = c.execute(
        text(
            "SELECT p.id, p.amount_minor, i.licensee, i.currency FROM lic_payments p "
            "JOIN lic_invoices i ON i.number = p.invoice ORDER BY p.recorded_at, p.id"
        )
    ).all()
    for payment_id, amount, licensee, currency in payments:
        left = int(amount) - _applied(c, f"payment:{payment_id}")
        for number, _, outstanding in _open_invoices(c, licensee, currency):
            if left <= 0:
                break
            take = min(left, outstanding)
            # One allocation per payment and invoice: add to it if there is one.
            done = c.execute(
                text(
                    "UPDATE lic_allocations SET amount_minor = amount_minor + :a "
                    "WHERE source = :s AND invoice = :i"
                ),
                {"a": take, "s": f"payment:{payment_id}", "i": number},
            )
            if done.rowcount == 0:
                _allocate(c, f"payment:{payment_id}", number, take, on)
            _collect(c, f"credit/{payment_id}/{on}", number, take, on, licences, "distillgov")
            left -= take


def _collect(
    c: Any,
    prefix: str,
    invoice: str,
    amount: int,
    on: dt.date,
    licences: dict[str, Licence],
    actor: str,
) -> None:
    """Move the shares `amount` covers on `invoice` from accrued to collected: split over the
    invoice's lines by amount, then over each line's shares, by largest remainder, so the
    parts sum to what was applied."""
    lines = c.execute(
        text(
            "SELECT licence, period, amount_minor, teacher_developer, data_creators, "
            "collective_pool FROM lic_invoice_lines WHERE invoice = :i ORDER BY licence, period"
        ),
        {"i": invoice},
    ).all()
    if not lines:  # an interest invoice: the interest is the clearinghouse's, no share moves
        return
    per_line = split(amount, [Decimal(int(r[2])) for r in lines])
    transfers: list[ledger.Transfer] = []
    new_accounts: list[ledger.Account] = []
    for r, part in zip(lines, per_line, strict=True):
        if not part:
            continue
        lic = licences[r[0]]
        acc = accounts_for(lic)
        shares = [int(r[3]), int(r[4]), int(r[5])]
        parts = split(part, [Decimal(s) for s in shares]) if sum(shares) else [part, 0, 0]
        moves = {
            "teacher_developer": (acc["teacher_developer"], payable(acc["teacher_developer"])),
            "data_creators": (acc["data_creators"], collected(lic)),
            "collective_pool": (acc["collective_pool"], collected(lic)),
        }
        for name, share in zip(SHARES, parts, strict=True):
            if not share:
                continue
            source, target = moves[name]
            new_accounts.append(target)
            transfers.append(
                ledger.Transfer(
                    f"collect/{prefix}/{invoice}/{r[0]}/{r[1]}/{name}",
                    source.id,
                    target.id,
                    share,
                    lic.currency,
                    f"collected on invoice {invoice} ({name.replace('_', ' ')}, {r[1]})",
                    on,
                )
            )
    ledger.ensure_accounts(c, list({a.id: a for a in new_accounts}.values()))
    ledger.post(c, transfers, actor)


# --- interest and aged debt ----------------------------------------------------------------


def _interest_due(
    outstanding_by_day: list[tuple[dt.date, int]], start: dt.date, end: dt.date, percent: Fraction
) -> Fraction:
    """Simple interest from `start` to `end` (excluded) on what was outstanding each day;
    `outstanding_by_day` gives the outstanding amount from each date on."""
    total = Fraction(0)
    for (since, owed), nxt in zip(
        outstanding_by_day, [*(d for d, _ in outstanding_by_day[1:]), end], strict=True
    ):
        lo, hi = max(since, start), min(nxt, end)
        if hi > lo and owed > 0:
            total += Fraction(owed) * percent / 100 * (hi - lo).days / 365
    return total


def _outstanding_by_day(
    c: Any, number: str, amount: int, issued: dt.date
) -> list[tuple[dt.date, int]]:
    steps = c.execute(
        text(
            "SELECT applied_on, SUM(amount_minor) FROM lic_allocations WHERE invoice = :i "
            "GROUP BY applied_on ORDER BY applied_on"
        ),
        {"i": number},
    ).all()
    out, owed = [(issued, amount)], amount
    for day, paid in steps:
        owed -= int(paid)
        out.append((_day(day), owed))
    return out


def _interest_since_charge(
    c: Any,
    number: str,
    amount: int,
    issued_on: Any,
    due_on: Any,
    pct: str,
    through: Any,
    on: dt.date,
) -> int | None:
    """The interest an invoice has run up since it was last charged (or fell due), up to `on`,
    rounded once; None where its tariff sets no rate or nothing has run yet."""
    percent = Fraction(Decimal(pct))
    start = _day(through) if through else _day(due_on)
    start = max(_day(due_on), start)
    if not percent or start >= on:
        return None
    owed = _outstanding_by_day(c, number, amount, _day(issued_on))
    return round_half_even(_interest_due(owed, start, on, percent))


def charge_interest(engine: Engine, on: dt.date, actor: str = "distillgov") -> list[Invoice]:
    """Interest invoices for late payment, where the tariff sets a rate: simple interest a year
    on what was outstanding each day after the due date, up to `on` (excluded), since the last
    charge. Each is posted (licensee -> interest account) and can be paid like an invoice."""
    licences = {lic.id: lic for lic in all_licences(engine)}
    issued: list[Invoice] = []
    with engine.begin() as c:
        rows = c.execute(
            text(
                "SELECT number, licensee, currency, period, issued_on, due_on, amount_minor, "
                "interest_percent, interest_through FROM lic_invoices WHERE kind = 'invoice' "
                "ORDER BY seq"
            )
        ).all()
        for number, licensee, currency, period, issued_on, due_on, amount, pct, through in rows:
            due = _interest_since_charge(
                c, number, int(amount), issued_on, due_on, pct, through, on
            )
            if due is None:
                continue
            c.execute(
                text("UPDATE lic_invoices SET interest_through = :on WHERE number = :n"),
                {"on": on, "n": number},
            )
            if due <= 0:
                continue
            terms = min(
                lic.tariff.payment_terms_days
                for lic in licences.values()
                if lic.licensee == licensee and lic.currency == currency
            )
            invoice = _insert_invoice(
                c,
                "interest",
                licensee,
                currency,
                period,
                on,
                on + dt.timedelta(days=terms),
                due,
                Decimal(0),
                actor,
                number,
            )
            payer = _licensee_accounts(licences, licensee, currency)[0]
            ledger.ensure_accounts(c, [interest_account(currency)])
            ledger.post(
                c,
                [
                    ledger.Transfer(
                        f"interest/{invoice.number}",
                        payer.id,
                        interest_account(currency).id,
                        due,
                        currency,
                        f"late interest on invoice {number} to {on}",
                        on,
                    )
                ],
                actor,
            )
            issued.append(invoice)
    return issued


def invoices(engine: Engine, licensee: str | None = None) -> list[dict[str, Any]]:
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT i.number, i.kind, i.licensee, i.currency, i.period, i.issued_on, i.due_on, "
                "i.amount_minor, COALESCE((SELECT SUM(a.amount_minor) FROM lic_allocations a "
                "WHERE a.invoice = i.number), 0), i.refers_to FROM lic_invoices i "
                "WHERE CAST(:l AS VARCHAR) IS NULL OR i.licensee = :l ORDER BY i.seq"
            ),
            {"l": licensee},
        ).all()
        lines = c.execute(
            text(
                "SELECT invoice, licence, period, amount_minor FROM lic_invoice_lines "
                "ORDER BY invoice, licence, period"
            )
        ).all()
    by_invoice: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for inv, lic, period, amount in lines:
        by_invoice[inv].append({"licence": lic, "period": period, "amount_minor": int(amount)})
    return [
        {
            **Invoice(r[0], r[1], r[2], r[3], r[4], _day(r[5]), _day(r[6]), int(r[7])).as_dict(),
            "applied_minor": int(r[8]),
            "outstanding_minor": 0 if r[1] == "credit_note" else int(r[7]) - int(r[8]),
            "refers_to": r[9],
            "lines": by_invoice.get(r[0], []),
        }
        for r in rows
    ]


def aged_debt(engine: Engine, on: dt.date) -> list[dict[str, Any]]:
    """What each licensee owes on a day, by how long it has been overdue (current, 1-30, 31-60,
    61-90, over 90 days), with the interest accrued since the last charge and any credit it
    holds from overpayments."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT number, licensee, currency, issued_on, due_on, amount_minor, "
                "interest_percent, interest_through, kind FROM lic_invoices "
                "WHERE kind <> 'credit_note' ORDER BY seq"
            )
        ).all()
        for number, licensee, currency, issued_on, due_on, amount, pct, through, _kind in rows:
            left = _outstanding(c, number)
            entry = out.setdefault(
                (licensee, currency),
                {
                    "licensee": licensee,
                    "currency": currency,
                    "interest_accrued_minor": 0,
                    **{f"{name}_minor": 0 for _, name in AGE_BUCKETS},
                },
            )
            if left > 0:
                late = (on - _day(due_on)).days
                bucket = next(name for limit, name in AGE_BUCKETS if limit is None or late <= limit)
                entry[f"{bucket}_minor"] += left
            accrued = _interest_since_charge(
                c, number, int(amount), issued_on, due_on, pct, through, on
            )
            entry["interest_accrued_minor"] += accrued or 0
        credits = c.execute(
            text(
                "SELECT i.licensee, i.currency, SUM(p.amount_minor) - COALESCE((SELECT "
                "SUM(a.amount_minor) FROM lic_allocations a JOIN lic_payments q ON "
                "a.source = 'payment:' || q.id JOIN lic_invoices j ON j.number = q.invoice "
                "WHERE j.licensee = i.licensee AND j.currency = i.currency), 0) "
                "FROM lic_payments p JOIN lic_invoices i ON i.number = p.invoice "
                "GROUP BY i.licensee, i.currency"
            )
        ).all()
    for licensee, currency, credit in credits:
        if (licensee, currency) in out:
            out[(licensee, currency)]["credit_minor"] = int(credit)
    result = []
    for entry in out.values():
        entry.setdefault("credit_minor", 0)
        entry["owed_minor"] = sum(entry[f"{name}_minor"] for _, name in AGE_BUCKETS)
        result.append(entry)
    return sorted(result, key=lambda e: (e["licensee"], e["currency"]))


def currency_of(engine: Engine, number: str) -> str:
    with reading(engine) as c:
        found = c.execute(
            text("SELECT currency FROM lic_invoices WHERE number = :n"), {"n": number}
        ).scalar()
    if found is None:
        raise UnknownInvoice(f"field 'invoice', value {number!r}: no such invoice")
    return str(found)
