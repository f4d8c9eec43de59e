"""The collective pool: creators and rights-holders register claims on works with weights; each
distribution run pays the pool out pro rata (policies/collective_licensing).

A run takes what was collected for the pool (the pool's and the creators' shares of what
licensees paid: cash, not accrual; licensing/billing.py) plus holds released back to it, keeps
the administrative deduction, and splits the rest over every claim by weight, by largest
remainder (so the parts sum to the whole, to the minor unit). A matched claim's share joins what
it carried forward; if that reaches the minimum payout it is paid, otherwise it carries forward
to the next run. An unmatched claim's share is held for the profile's hold period: paid if the
claim is matched in time, released back to the pool if not. All parameters are the profile's
tariff's `pool` rules.

Ledger flow (each run, one transaction; `P` is `pool:<profile>:<currency>`, `C` its collected
account `P:collected`):
  C → P:admin (deduction), C → P:carried (matched shares), C → P:held (unmatched shares),
  P:carried → P:payable (what is paid), P:held → C (released holds), P:held → P:carried
  (holds whose claims were matched). The run's lines are the sub-ledger of those accounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from distillgov.consent.register import UnknownReservation, holder_of
from distillgov.errors import Conflict, DistillgovError, NotFound
from distillgov.licensing import ledger
from distillgov.licensing.money import round_half_even, split_many, to_minor
from distillgov.licensing.tariffs import PoolRules
from distillgov.storage.db import reading
from distillgov.storage.sqlrows import marks, select_in


class PoolError(DistillgovError):
    """A claim or distribution was refused; nothing was written."""


class ClaimExists(PoolError, Conflict):
    """A claim with that id is registered with other content."""


class UnknownClaim(PoolError, NotFound):
    """No claim with that id."""


@dataclass(frozen=True)
class Claim:
    id: str
    holder: str
    work: str
    weight: int
    matched: bool
    reservation: str | None = None  # the registered reservation of the works (docs/consent.md)


def pool_accounts(profile: str, currency: str) -> dict[str, ledger.Account]:
    base = f"pool:{profile}:{currency}"
    return {
        "pool": ledger.Account(base, currency, "pool", True),
        "collected": ledger.Account(f"{base}:collected", currency, "pool_collected", True),
        "admin": ledger.Account(f"{base}:admin", currency, "pool_admin", True),
        "carried": ledger.Account(f"{base}:carried", currency, "pool_carried", True),
        "held": ledger.Account(f"{base}:held", currency, "pool_held", True),
        "payable": ledger.Account(f"{base}:payable", currency, "pool_payable", True),
    }


def register_claims(
    engine: Engine, pool: str, claims: list[Claim], on: dt.date, actor: str = "distillgov"
) -> int:
    """Add claims (all or none); a claim id already registered with the same content is skipped.
    A claim's `matched` may later change from false to true (see `match`), never back."""
    problems = [
        f"claim '{c.id}': field 'weight', value {c.weight}: must be a whole number above 0"
        for c in claims
        if c.weight <= 0
    ]
    for claim in claims:
        if claim.reservation is not None:
            try:
                holder = holder_of(engine, claim.reservation)
            except UnknownReservation:
                holder = None
            if holder != claim.holder:
                problems.append(
                    f"claim '{claim.id}': field 'reservation', value {claim.reservation!r}: "
                    + ("no such reservation" if holder is None else f"reserved by '{holder}'")
                )
    if problems:
        raise PoolError(problems[0])
    ids = [claim.id for claim in claims]
    if len(set(ids)) != len(ids):
        raise PoolError("the same claim id is listed twice")
    new = []
    with engine.begin() as c:
        existing = {
            r[0]: (r[1], r[2], r[3], int(r[4]), r[5])
            for r in select_in(
                c,
                "SELECT id, pool, holder, work, weight, reservation FROM pool_claims "
                "WHERE id IN ({})",
                ids,
            )
        }
        for claim in claims:
            old = existing.get(claim.id)
            if old is None:
                new.append(
                    (claim.id, pool, claim.holder, claim.work, claim.weight, claim.matched, on,
                     claim.reservation, actor)
                )  # fmt: skip
            elif old != (pool, claim.holder, claim.work, claim.weight, claim.reservation):
                raise ClaimExists(f"claim '{claim.id}' is registered already, differently")
        if new:
            c.exec_driver_sql(
                "INSERT INTO pool_claims (id, pool, holder, work, weight, matched, registered_on, "
                f"reservation, registered_by) VALUES ({marks(c, 9)})",
                new,
            )
    added = len(new)
    return added


def match(engine: Engine, claim_id: str, actor: str = "distillgov") -> None:
    """A claim's holder is identified: its held shares follow at the next run. Who matched it,
    and when, is kept with the claim."""
    with engine.begin() as c:
        done = c.execute(
            text(
                "UPDATE pool_claims SET matched = :t, matched_by = :by, matched_at = :at "
                "WHERE id = :i"
            ),
            {"t": True, "i": claim_id, "by": actor,
             "at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)},
        )  # fmt: skip
        if done.rowcount == 0:
            raise UnknownClaim(f"no claim '{claim_id}'")


@dataclass(frozen=True)
class Run:
    id: str
    amount: int
    admin: int
    paid: int
    carried: int
    held: int
    released: int
    claims: int
    currency: str


def distribute(engine: Engine, profile: str, currency: str, rules: PoolRules, on: dt.date) -> Run:
    """One distribution run of a pool, dated `on`. Running it again for the same pool and day
    changes nothing (the run id is the pool and the day)."""
    acc = pool_accounts(profile, currency)
    run_id = f"pool/{profile}/{currency}/{on.isoformat()}"
    threshold = to_minor(rules.minimum_payout, currency)
    with engine.begin() as c:
        ledger.ensure_accounts(c, list(acc.values()))
        done = c.execute(
            text(
                "SELECT amount, admin, paid, carried, held, released, seq FROM pool_runs "
                "WHERE id = :i"
            ),
            {"i": run_id},
        ).first()
        if done is not None:
            n = c.execute(
                text("SELECT COUNT(*) FROM pool_lines WHERE run = :r"), {"r": done[6]}
            ).scalar_one()
            amount, admin, paid, carried, held, released = (int(x) for x in done[:6])
            return Run(run_id, amount, admin, paid, carried, held, released, int(n), currency)
        cursor = c.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(
            f"SELECT id, holder, weight, matched FROM pool_claims WHERE pool = {marks(c, 1)} "
            "ORDER BY id",
            (profile,),
        )
        claims = cursor.fetchall()
        cursor.close()
        if not claims:
            raise PoolError(f"pool '{profile}' has no claims registered: nothing to distribute to")
        last = c.execute(
            text("SELECT seq FROM pool_runs WHERE pool = :p ORDER BY run_on DESC, id DESC LIMIT 1"),
            {"p": f"{profile}:{currency}"},
        ).scalar()
        seq = int(c.execute(text("SELECT COALESCE(MAX(seq), 0) FROM pool_runs")).scalar_one()) + 1
        carried_in: dict[str, int] = {}
        if last is not None:
            carried_in = {
                r[0]: int(r[1])
                for r in c.execute(
                    text(
                        "SELECT claim, carried_out FROM pool_lines WHERE run = :r "
                        "AND carried_out > 0"
                    ),
                    {"r": last},
                ).all()
            }
        matched = {r[0]: bool(r[3]) for r in claims}
        # Holds from earlier runs: paid in (to carried) if their claim is now matched, released
        # to the pool if their time ran out, otherwise left held.
        open_holds = c.execute(
            text(
                "SELECT l.run, l.claim, l.held, l.hold_until FROM pool_lines l "
                "JOIN pool_runs r ON r.seq = l.run WHERE r.pool = :p AND l.hold_open"
            ),
            {"p": f"{profile}:{currency}"},
        ).all()
        claimed_holds, released_holds = [], []
        for run, claim, held, until in open_holds:
            until = until if isinstance(until, dt.date) else dt.date.fromisoformat(str(until))
            if matched.get(claim):
                claimed_holds.append((run, claim, int(held)))
                carried_in[claim] = carried_in.get(claim, 0) + int(held)
            elif until <= on:
                released_holds.append((run, claim, int(held)))
        released = sum(h for _, _, h in released_holds)
        claimed = sum(h for _, _, h in claimed_holds)
        # Cash, not accrual: only what licensees paid towards the pool's and the creators'
        # shares is shared out (licensing/billing.py moves it into the collected account).
        balance = _balance(c, acc["collected"].id) + released
        admin = round_half_even(Fraction(balance) * Fraction(rules.admin_deduction))
        shares = (
            split_many(balance - admin, np.array([int(r[2]) for r in claims], dtype=np.int64))
            if balance - admin > 0
            else np.zeros(len(claims), dtype=np.int64)
        )
        lines, paid_total, carried_total, held_total, matched_total = [], 0, 0, 0, 0
        hold_until = on + dt.timedelta(days=rules.hold_days)
        for (claim_id, holder, _, is_matched), share in zip(claims, shares.tolist(), strict=True):
            if is_matched:
                total = share + carried_in.get(claim_id, 0)
                paid = total if total >= threshold else 0
                carried_out = total - paid
                held = 0
                matched_total += share
            else:
                paid, carried_out, held = 0, 0, share
            paid_total += paid
            carried_total += carried_out
            held_total += held
            lines.append(
                (
                    seq,
                    claim_id,
                    holder,
                    share,
                    carried_in.get(claim_id, 0),
                    paid,
                    carried_out,
                    held,
                    hold_until if held else None,
                    bool(held),
                )
            )
        memo = f"collective pool distribution {on}"
        moves = [
            ("release", acc["held"].id, acc["collected"].id, released),
            ("admin", acc["collected"].id, acc["admin"].id, admin),
            ("to-carried", acc["collected"].id, acc["carried"].id, matched_total),
            ("to-held", acc["collected"].id, acc["held"].id, held_total),
            ("claimed-holds", acc["held"].id, acc["carried"].id, claimed),
            ("paid", acc["carried"].id, acc["payable"].id, paid_total),
        ]
        ledger.post(
            c,
            [
                ledger.Transfer(f"{run_id}/{name}", d, k, amount, currency, memo, on)
                for name, d, k, amount in moves
                if amount
            ],
        )
        c.execute(
            text(
                "INSERT INTO pool_runs (id, seq, pool, run_on, amount, admin, paid, carried, held, "
                "released) VALUES (:i, :seq, :p, :on, :a, :ad, :pd, :c, :h, :r)"
            ),
            {
                "i": run_id,
                "seq": seq,
                "p": f"{profile}:{currency}",
                "on": on,
                "a": balance,
                "ad": admin,
                "pd": paid_total,
                "c": carried_total,
                "h": held_total,
                "r": released,
            },
        )
        c.exec_driver_sql(
            "INSERT INTO pool_lines (run, claim, holder, share, carried_in, paid, carried_out, "
            f"held, hold_until, hold_open) VALUES ({marks(c, 10)})",
            lines,
        )
        for run, claim, _ in claimed_holds + released_holds:
            c.execute(
                text("UPDATE pool_lines SET hold_open = :f WHERE run = :r AND claim = :c"),
                {"f": False, "r": run, "c": claim},
            )
    return Run(
        run_id,
        balance,
        admin,
        paid_total,
        carried_total,
        held_total,
        released,
        len(claims),
        currency,
    )


def _balance(c: Any, account: str) -> int:
    row = c.execute(
        text("SELECT credits - debits FROM ledger_accounts WHERE id = :a"), {"a": account}
    ).first()
    return 0 if row is None else int(row[0])


def check(engine: Engine) -> list[str]:
    """The sub-ledger agrees with the control accounts: what the lines say is carried, held and
    paid is what the pool's accounts hold."""
    problems = []
    with reading(engine) as c:
        pools = c.execute(text("SELECT DISTINCT pool FROM pool_runs")).scalars().all()
        for pool in pools:
            profile, currency = pool.rsplit(":", 1)
            acc = pool_accounts(profile, currency)
            last = c.execute(
                text(
                    "SELECT seq FROM pool_runs WHERE pool = :p "
                    "ORDER BY run_on DESC, id DESC LIMIT 1"
                ),
                {"p": pool},
            ).scalar_one()
            carried = c.execute(
                text("SELECT COALESCE(SUM(carried_out), 0) FROM pool_lines WHERE run = :r"),
                {"r": last},
            ).scalar_one()
            held = c.execute(
                text(
                    "SELECT COALESCE(SUM(l.held), 0) FROM pool_lines l JOIN pool_runs r "
                    "ON r.seq = l.run WHERE r.pool = :p AND l.hold_open"
                ),
                {"p": pool},
            ).scalar_one()
            paid = c.execute(
                text(
                    "SELECT COALESCE(SUM(l.paid), 0) FROM pool_lines l JOIN pool_runs r "
                    "ON r.seq = l.run WHERE r.pool = :p"
                ),
                {"p": pool},
            ).scalar_one()
            remitted = c.execute(
                text(
                    "SELECT COALESCE(SUM(l.amount_minor), 0) FROM lic_remittance_lines l "
                    "JOIN lic_remittances r ON r.id = l.remittance WHERE l.account = :a "
                    "AND r.status IN ('exported', 'paid')"
                ),
                {"a": acc["payable"].id},
            ).scalar_one()
            paid = int(paid) - int(remitted)  # what is paid out leaves the payable account
            for name, expected in (("carried", carried), ("held", held), ("payable", paid)):
                actual = _balance(c, acc[name].id)
                if actual != int(expected):
                    problems.append(
                        f"{acc[name].id}: holds {actual} but the pool's lines say {int(expected)}"
                    )
    return problems


def payouts(engine: Engine, holder: str) -> list[dict[str, Any]]:
    """A rights-holder's lines, run by run: only its own."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT r.id, r.run_on, l.claim, l.share, l.carried_in, l.paid, l.carried_out, "
                "l.held, l.hold_until, r.pool FROM pool_lines l JOIN pool_runs r ON r.seq = l.run "
                "WHERE l.holder = :h ORDER BY r.run_on, l.claim"
            ),
            {"h": holder},
        ).all()
    out = []
    for r in rows:
        currency = str(r[9]).rsplit(":", 1)[1]
        out.append(
            {
                "run": r[0],
                "run_on": str(r[1]),
                "claim": r[2],
                "currency": currency,
                "share_minor": int(r[3]),
                "carried_in_minor": int(r[4]),
                "paid_minor": int(r[5]),
                "carried_out_minor": int(r[6]),
                "held_minor": int(r[7]),
                "hold_until": None if r[8] is None else str(r[8]),
            }
        )
    return out


def holder_claims(engine: Engine, holder: str) -> list[dict[str, Any]]:
    """The works a rights-holder has claimed in any pool, for an access request."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT id, pool, work, weight, matched, registered_on, reservation "
                "FROM pool_claims WHERE holder = :h ORDER BY registered_on, id"
            ),
            {"h": holder},
        ).all()
    return [
        {
            "claim": r[0],
            "pool": r[1],
            "work": r[2],
            "weight": int(r[3]),
            "matched": bool(r[4]),
            "registered_on": str(r[5]),
            "reservation": r[6],
        }
        for r in rows
    ]
