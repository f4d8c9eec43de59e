"""A double-entry ledger in the database (SQLite or PostgreSQL), after TigerBeetle's model.

Every transfer moves a positive integer amount of one currency from the account it debits to the
account it credits, so money is never created or lost: total debits equal total credits, always.
Transfers carry an id chosen by whoever posts them; posting the same transfer again changes
nothing, and a different transfer under a used id is refused. Accounts keep running totals of
their debits and credits, updated in the same transaction; an account flagged
`debits_must_not_exceed_credits` (money held for someone) can never go below zero.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import Conflict, DistillgovError, NotFound
from distillgov.licensing.chain import (
    GENESIS,
    day_text,
    link,
    moment_text,
    segments,
    transfer_link,
)
from distillgov.licensing.money import format_minor
from distillgov.storage.db import reading
from distillgov.storage.sqlrows import marks, select_in


class LedgerError(DistillgovError):
    """A transfer or account was refused; nothing was written."""


class LedgerConflict(LedgerError, Conflict):
    """An account or transfer id is taken by one with other settings."""


class UnknownLedgerAccount(LedgerError, NotFound):
    """No ledger account with that id."""


@dataclass(frozen=True)
class Account:
    id: str
    currency: str
    kind: str
    debits_must_not_exceed_credits: bool


@dataclass(frozen=True)
class Transfer:
    id: str
    debit: str
    credit: str
    amount: int
    currency: str
    memo: str
    posted_on: dt.date


def ensure_accounts(c: Any, accounts: list[Account]) -> None:
    """Open the accounts that do not exist yet; an existing one must match."""
    for a in accounts:
        row = c.execute(
            text(
                "SELECT currency, kind, debits_must_not_exceed_credits FROM ledger_accounts "
                "WHERE id = :id"
            ),
            {"id": a.id},
        ).first()
        if row is None:
            c.execute(
                text(
                    "INSERT INTO ledger_accounts (id, currency, kind, "
                    "debits_must_not_exceed_credits, debits, credits) VALUES (:id, :cur, :kind, "
                    ":flag, 0, 0)"
                ),
                {
                    "id": a.id,
                    "cur": a.currency,
                    "kind": a.kind,
                    "flag": a.debits_must_not_exceed_credits,
                },
            )
        elif (row[0], row[1], bool(row[2])) != (
            a.currency,
            a.kind,
            a.debits_must_not_exceed_credits,
        ):
            raise LedgerConflict(
                f"account '{a.id}' exists with other settings ({row[0]}, {row[1]})"
            )


def post(c: Any, transfers: list[Transfer], actor: str = "distillgov") -> int:
    """Post transfers inside the caller's transaction; returns how many were new. Refuses the
    whole batch if any is invalid, reuses an id for something else, or would overdraw an account
    that may not go below zero. Each new transfer records when and by whom (`actor`) it was
    posted, and extends the hash chain."""
    if not transfers:
        return 0
    if c.dialect.name == "postgresql":  # one poster at a time: balances are read, then written
        c.execute(text("LOCK TABLE ledger_accounts IN EXCLUSIVE MODE"))
    ids = [t.id for t in transfers]
    if len(set(ids)) != len(ids):
        raise LedgerError("a batch names the same transfer id twice")
    existing = _existing(c, ids)
    new = []
    for t in transfers:
        if t.amount <= 0:
            raise LedgerError(f"transfer '{t.id}': field 'amount', value {t.amount}: must be > 0")
        if t.debit == t.credit:
            raise LedgerError(f"transfer '{t.id}': debits and credits the same account")
        old = existing.get(t.id)
        if old is not None:
            if old != (t.debit, t.credit, t.amount, t.currency):
                raise LedgerConflict(
                    f"transfer '{t.id}' was already posted with other accounts or amount"
                )
            continue
        new.append(t)
    if not new:
        return 0
    accounts = _accounts(c, {t.debit for t in new} | {t.credit for t in new})
    delta_debits: dict[str, int] = defaultdict(int)
    delta_credits: dict[str, int] = defaultdict(int)
    for t in new:
        for side in (t.debit, t.credit):
            if side not in accounts:
                raise LedgerError(f"transfer '{t.id}': no account '{side}'")
            if accounts[side][0] != t.currency:
                raise LedgerError(
                    f"transfer '{t.id}': account '{side}' holds {accounts[side][0]}, "
                    f"not {t.currency}"
                )
        delta_debits[t.debit] += t.amount
        delta_credits[t.credit] += t.amount
    # Double entry, asserted where it is computed: the batch moves as much out as in, in each
    # currency, and every amount is a positive whole number of minor units.
    moved: dict[str, int] = defaultdict(int)
    for t in new:
        assert isinstance(t.amount, int) and t.amount > 0, t.id
        moved[t.currency] += t.amount
    for currency in moved:
        out = sum(v for a, v in delta_debits.items() if accounts[a][0] == currency)
        into = sum(v for a, v in delta_credits.items() if accounts[a][0] == currency)
        assert out == into == moved[currency], "a batch of transfers creates or loses no money"
    for account, (currency, guarded, debits, credits) in accounts.items():
        after = credits + delta_credits[account] - debits - delta_debits[account]
        if guarded and after < 0:
            raise LedgerError(
                f"account '{account}' may not go below zero: it holds "
                f"{format_minor(credits - debits, currency)} {currency} and the transfers would "
                f"take {format_minor(delta_debits[account] - delta_credits[account], currency)}"
            )
    last = c.execute(
        text("SELECT seq, chain FROM ledger_transfers ORDER BY seq DESC LIMIT 1")
    ).first()
    seq, previous = (0, GENESIS) if last is None else (int(last[0]), last[1] or GENESIS)
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    at_text, tails = moment_text(at), dict[dt.date, str]()
    # SQLite's driver writes a date or a moment as its ISO text, row by row; a batch shares them.
    stored, stored_at = (_as_sqlite_text, at.isoformat(" ")) if _sqlite(c) else (_same, at)
    rows = []
    for i, t in enumerate(new, start=1):
        tail = tails.get(t.posted_on) or tails.setdefault(
            t.posted_on, segments(day_text(t.posted_on), at_text, actor)
        )
        previous = transfer_link(
            previous, seq + i, t.id, t.debit, t.credit, t.amount, t.currency, t.memo, tail
        )
        rows.append(
            (t.id, seq + i, t.debit, t.credit, t.amount, t.currency, t.memo,
             stored(t.posted_on), stored_at, actor, previous)
        )  # fmt: skip
    c.exec_driver_sql(
        "INSERT INTO ledger_transfers (id, seq, debit, credit, amount, currency, memo, posted_on, "
        f"posted_at, actor, chain) VALUES ({marks(c, 11)})",
        rows,
    )
    moves = [
        {"d": delta_debits[a], "c": delta_credits[a], "id": a}
        for a in accounts
        if delta_debits[a] or delta_credits[a]
    ]
    c.execute(
        text(
            "UPDATE ledger_accounts SET debits = debits + :d, credits = credits + :c WHERE id = :id"
        ),
        moves,
    )
    return len(new)


def _sqlite(c: Any) -> bool:
    return bool(c.dialect.name == "sqlite")


def _as_sqlite_text(day: dt.date) -> str:
    """As sqlite3's own adapters write it."""
    return day.isoformat(" ") if isinstance(day, dt.datetime) else day.isoformat()


def _same(value: Any) -> Any:
    return value


def _existing(c: Any, ids: list[str]) -> dict[str, tuple[str, str, int, str]]:
    rows = select_in(
        c, "SELECT id, debit, credit, amount, currency FROM ledger_transfers WHERE id IN ({})", ids
    )
    return {r[0]: (r[1], r[2], int(r[3]), r[4]) for r in rows}


def _accounts(c: Any, ids: set[str]) -> dict[str, tuple[str, bool, int, int]]:
    rows = select_in(
        c,
        "SELECT id, currency, debits_must_not_exceed_credits, debits, credits "
        "FROM ledger_accounts WHERE id IN ({})",
        sorted(ids),
    )
    return {r[0]: (r[1], bool(r[2]), int(r[3]), int(r[4])) for r in rows}


def balance(engine: Engine, account: str) -> dict[str, Any]:
    with reading(engine) as c:
        row = c.execute(
            text("SELECT currency, kind, debits, credits FROM ledger_accounts WHERE id = :id"),
            {"id": account},
        ).first()
    if row is None:
        raise UnknownLedgerAccount(f"no account '{account}'")
    currency, kind, debits, credits = row[0], row[1], int(row[2]), int(row[3])
    return {
        "account": account,
        "kind": kind,
        "currency": currency,
        "debits": format_minor(debits, currency),
        "credits": format_minor(credits, currency),
        "balance": format_minor(credits - debits, currency),
        "balance_minor": credits - debits,
    }


def accounts(engine: Engine, prefix: str = "") -> list[dict[str, Any]]:
    with reading(engine) as c:
        ids = c.execute(
            text("SELECT id FROM ledger_accounts WHERE id LIKE :p ORDER BY id"), {"p": prefix + "%"}
        ).scalars()
        names = list(ids)
    return [balance(engine, a) for a in names]


def history(engine: Engine, account: str) -> list[dict[str, Any]]:
    balance(engine, account)  # refuses an unknown account
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT id, debit, credit, amount, currency, memo, posted_on, posted_at, actor "
                "FROM ledger_transfers WHERE debit = :a OR credit = :a ORDER BY seq"
            ),
            {"a": account},
        ).all()
    return [
        {
            "transfer": r[0],
            "posted_on": str(r[6]),
            "direction": "debit" if r[1] == account else "credit",
            "counterparty": r[2] if r[1] == account else r[1],
            "amount": format_minor(int(r[3]), r[4]),
            "currency": r[4],
            "memo": r[5],
            "posted_at": None if r[7] is None else str(r[7]),
            "posted_by": r[8],
        }
        for r in rows
    ]


def check(engine: Engine) -> list[str]:
    """Recompute from the transfers: debits equal credits per currency, every account's running
    totals match its transfers, no guarded account below zero. Returns the problems found."""
    problems: list[str] = []
    with reading(engine) as c:
        for currency, debits, credits in c.execute(
            text(
                "SELECT currency, SUM(debits), SUM(credits) FROM ledger_accounts GROUP BY currency"
            )
        ):
            if int(debits) != int(credits):
                problems.append(
                    f"{currency}: the accounts' debits total {debits} but their credits {credits}"
                )
        mismatched = c.execute(
            text(
                """
                SELECT a.id, a.debits, a.credits,
                       COALESCE((SELECT SUM(amount) FROM ledger_transfers WHERE debit = a.id), 0),
                       COALESCE((SELECT SUM(amount) FROM ledger_transfers WHERE credit = a.id), 0),
                       a.debits_must_not_exceed_credits
                FROM ledger_accounts a ORDER BY a.id
                """
            )
        ).all()
        wrong_currency = c.execute(
            text(
                "SELECT t.id FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit "
                "JOIN ledger_accounts k ON k.id = t.credit "
                "WHERE d.currency <> t.currency OR k.currency <> t.currency ORDER BY t.seq"
            )
        ).scalars()
        problems += [f"transfer '{t}' crosses currencies" for t in wrong_currency]
    problems += chain_problems(engine)
    for account, debits, credits, summed_d, summed_c, guarded in mismatched:
        if (int(debits), int(credits)) != (int(summed_d), int(summed_c)):
            problems.append(
                f"account '{account}': totals {debits}/{credits} but its transfers sum to "
                f"{summed_d}/{summed_c}"
            )
        if guarded and int(summed_c) < int(summed_d):
            problems.append(f"account '{account}' is below zero")
    return problems


def chain_problems(engine: Engine) -> list[str]:
    """Where the transfers' hash chain breaks: the first transfer whose stored chain is not what
    the one before it and its own fields give (an edit, a deletion or a reordering there), and a
    gap in the sequence numbers."""
    previous, expected_seq = GENESIS, 1
    with reading(engine) as c:
        rows = c.execution_options(yield_per=10_000).execute(
            text(
                "SELECT seq, id, debit, credit, amount, currency, memo, posted_on, posted_at, "
                "actor, chain FROM ledger_transfers ORDER BY seq"
            )
        )
        for r in rows:
            if int(r[0]) != expected_seq:
                return [f"transfer '{r[1]}': sequence {r[0]} follows {expected_seq - 1} (a gap)"]
            want = link(previous, tuple(r[:10]))
            if r[10] != want:
                return [
                    f"transfer '{r[1]}' (sequence {r[0]}): its hash chain breaks here — the "
                    "transfer, or one before it, was changed after it was posted"
                ]
            previous, expected_seq = want, expected_seq + 1
    return []


def chain_head(engine: Engine) -> dict[str, Any]:
    """The ledger's latest chain value and its sequence number: kept outside the database, it
    pins every transfer up to it."""
    with reading(engine) as c:
        row = c.execute(
            text("SELECT seq, chain FROM ledger_transfers ORDER BY seq DESC LIMIT 1")
        ).first()
    return {"seq": 0, "chain": GENESIS} if row is None else {"seq": int(row[0]), "chain": row[1]}


def totals(engine: Engine) -> dict[str, int]:
    with reading(engine) as c:
        return {
            str(cur): int(total)
            for cur, total in c.execute(
                text("SELECT currency, SUM(amount) FROM ledger_transfers GROUP BY currency")
            )
        }
