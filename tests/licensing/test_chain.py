"""The ledger's hash chain: the batch form settlement uses writes the same links as the general
form `ledger check` recomputes with."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.licensing.chain import GENESIS, link_texts, segments, transfer_link

_TEXT = st.text(min_size=0, max_size=40)  # any Unicode: lengths are counted in characters


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(1, 10**12),
    tid=_TEXT,
    debit=_TEXT,
    credit=_TEXT,
    amount=st.integers(1, 10**30),
    currency=st.sampled_from(["USD", "EUR", "JPY", "BHD"]),
    memo=_TEXT,
    day=st.dates().map(str),
    actor=_TEXT,
)
def test_the_batch_link_is_the_general_link(
    seq: int, tid: str, debit: str, credit: str, amount: int, currency: str, memo: str,
    day: str, actor: str,
) -> None:  # fmt: skip
    at = "2026-12-02T01:02:03.000004"
    tail = segments(day, at, actor)
    assert transfer_link(GENESIS, seq, tid, debit, credit, amount, currency, memo, tail) == (
        link_texts(GENESIS, seq, tid, debit, credit, amount, currency, memo, day, at, actor)
    )


def test_a_field_cannot_pass_for_its_neighbour() -> None:
    tail = segments("2026-01-01", "2026-01-01T00:00:00.000000", "me")
    assert transfer_link(GENESIS, 1, "a;b", "c", "d", 5, "USD", "", tail) != transfer_link(
        GENESIS, 1, "a", "b;c", "d", 5, "USD", "", tail
    )
