"""The rule language: three-valued logic and date arithmetic, identical in both evaluators."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from distillgov.errors import IncompleteRules
from distillgov.framework.citations import Citation
from distillgov.framework.logic import (
    AddMonths,
    And,
    Branch,
    Choose,
    Const,
    Expr,
    Fact,
    If,
    Known,
    Not,
    Or,
    Program,
    add_months,
)
from distillgov.framework.scalar import ScalarProgram, compile_expr
from distillgov.framework.vector import (
    F,
    T,
    U,
    VectorCompiler,
    VectorProgram,
)
from distillgov.framework.vector import (
    add_months as add_months_v,
)

TRI = [True, False, None]
KINDS = {"a": "bool", "b": "bool"}


def vec(expr: Expr, a: Any, b: Any) -> Any:
    enc = {True: T, False: F, None: U}
    fn = VectorCompiler(KINDS, {}).compile(expr)
    out = fn({"a": np.array([enc[a]], dtype=np.int8), "b": np.array([enc[b]], dtype=np.int8)}, {})
    return {int(T): True, int(F): False, int(U): None}[int(np.asarray(out).reshape(-1)[0])]


@pytest.mark.parametrize("a", TRI)
@pytest.mark.parametrize("b", TRI)
def test_kleene_truth_tables_in_both_evaluators(a: Any, b: Any) -> None:
    expected_and = False if False in (a, b) else (None if None in (a, b) else True)
    expected_or = True if True in (a, b) else (None if None in (a, b) else False)
    for expr, want in (
        (And((Fact("a"), Fact("b"))), expected_and),
        (Or((Fact("a"), Fact("b"))), expected_or),
        (Not(Fact("a")), None if a is None else not a),
        (Known(Fact("a")), a is not None),
        (
            If(Fact("a"), Fact("b"), Const(True)),
            b if a is True else (True if a is False else (True if b is True else None)),
        ),
    ):
        assert compile_expr(expr)({"a": a, "b": b}, {}) == want
        assert vec(expr, a, b) == want


@given(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)), st.integers(-400, 400)
)
def test_month_arithmetic_agrees_and_clips_to_month_end(day: dt.date, months: int) -> None:
    expected = add_months(day, months)
    got = add_months_v(np.array([day], dtype="datetime64[D]"), months)[0]
    assert got.astype("datetime64[D]").item() == expected
    assert expected.day <= day.day


def test_month_arithmetic_examples() -> None:
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2023, 1, 31), 1) == dt.date(2023, 2, 28)
    assert add_months(dt.date(2024, 5, 13), 24) == dt.date(2026, 5, 13)
    assert add_months(dt.date(2024, 3, 31), -1) == dt.date(2024, 2, 29)
    assert np.isnat(add_months_v(np.array(["NaT"], dtype="datetime64[D]"), 3)[0])
    assert AddMonths(Fact("d"), Const(1)).names() == frozenset({"d"})


def _choice(exhaustive: bool = True) -> Program:
    cite = Citation("types", "authorized")
    rows = (
        Branch("first", Fact("a"), "x", cite, ""),
        Branch("second", Fact("b"), "x", cite, ""),
        Branch("third", Const(True) if exhaustive else Fact("b"), "y", cite, ""),
    )
    return Program(
        (Choose("pick", rows, exhaustive=exhaustive, default=None if exhaustive else "z"),),
        frozenset({"a", "b"}),
    )


@pytest.mark.parametrize("a", TRI)
@pytest.mark.parametrize("b", TRI)
def test_ordered_choice_knows_a_value_all_possible_rows_share(a: Any, b: Any) -> None:
    program = _choice()
    scalar = ScalarProgram(program).run({"a": a, "b": b}, {}).env["pick"]
    # Rows 1 and 2 both give x; row 3 gives y. y is possible only if neither a nor b is true.
    if a is True or b is True:
        want = "x"
    elif a is False and b is False:
        want = "y"
    else:
        want = None
    assert scalar == want
    enc = {True: T, False: F, None: U}
    run = VectorProgram(program, KINDS, {}).run(
        {"a": np.array([enc[a]], dtype=np.int8), "b": np.array([enc[b]], dtype=np.int8)}, {}, 1
    )
    code = int(run.env["pick"][0])
    from distillgov.framework.vector import CODES

    assert (None if code < 0 else CODES.names[code]) == want


def test_a_choice_with_no_applicable_row_is_an_error_in_both_evaluators() -> None:
    cite = Citation("types", "authorized")
    program = Program(
        (Choose("pick", (Branch("only", Fact("a"), "x", cite, ""),)),), frozenset({"a", "b"})
    )
    with pytest.raises(IncompleteRules, match="no row of 'pick' applies"):
        ScalarProgram(program).run({"a": False, "b": None}, {})
    with pytest.raises(IncompleteRules, match="no row of 'pick' applies to rows"):
        VectorProgram(program, KINDS, {}).run({"a": np.array([F]), "b": np.array([U])}, {}, 1)
