"""The ledger's hash chain: each transfer's `chain` is the SHA-256 of the previous transfer's
chain and this transfer's own fields, so that editing, deleting or reordering any stored
transfer breaks the chain from that transfer on, and `ledger check` names where.

A chain in the database alone does not stop someone who can rewrite every later row too; it
turns a quiet edit into a visible one, and a chain head kept elsewhere (a statement, a backup)
pins the whole history up to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

GENESIS = "0" * 64


def _text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


def link(previous: str, fields: Sequence[Any]) -> str:
    """The chain value of a transfer: `fields` are (seq, id, debit, credit, amount, currency,
    memo, posted_on, posted_at, actor) as stored."""
    seq, tid, debit, credit, amount, currency, memo, posted_on, posted_at, actor = fields
    return link_texts(
        previous, int(seq), tid, debit, credit, int(amount), currency, memo,
        _text(_day(posted_on)), _text(_moment(posted_at)), actor,
    )  # fmt: skip


def link_texts(previous: str, *values: Any) -> str:
    """`link` with the dates already written as text (a batch shares them). Each field is
    written as its length and its text, so no field's content can pass for another's."""
    canonical = "".join("-;" if v is None else f"{len(str(v))}:{v};" for v in values)
    return hashlib.sha256(bytes.fromhex(previous) + canonical.encode("utf-8")).hexdigest()


def transfer_link(
    previous: str,
    seq: int,
    tid: str,
    debit: str,
    credit: str,
    amount: int,
    currency: str,
    memo: str,
    tail: str,
) -> str:
    """`link_texts` for one transfer of a batch, the batch's common last fields (day, moment,
    actor) already written as `tail` by `segments`: a settlement links thousands of transfers,
    and the general form's per-field work was most of the ledger's time."""
    n, a = str(seq), str(amount)
    canonical = (
        f"{len(n)}:{n};{len(tid)}:{tid};{len(debit)}:{debit};{len(credit)}:{credit};"
        f"{len(a)}:{a};{len(currency)}:{currency};{len(memo)}:{memo};{tail}"
    )
    return hashlib.sha256(bytes.fromhex(previous) + canonical.encode("utf-8")).hexdigest()


def segments(*values: Any) -> str:
    """Fields written as `link_texts` writes them, for `transfer_link`'s `tail`."""
    return "".join("-;" if v is None else f"{len(str(v))}:{v};" for v in values)


def day_text(value: Any) -> Any:
    return _text(_day(value))


def moment_text(value: Any) -> Any:
    return _text(_moment(value))


def _day(value: Any) -> Any:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _moment(value: Any) -> Any:
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value
