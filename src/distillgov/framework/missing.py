"""Which unknown facts matter, and what each answer would give.

A fact is *missing* when it is unknown and two of its possible values lead to different outcomes
(decision, compliance or an obligation's status), all other facts as given. Candidates come from
the evaluators (facts read by a decisive condition that came out unknown — by Kleene monotonicity
no other unknown fact can matter); each candidate is then confirmed by substituting its values.

Facts with a finite domain are tried with every value. Dates and counts have none, so they are
tried on each side of every boundary the rules draw on them: the rule program is searched for
the comparisons (`<`, `<=`) one of whose sides is the fact moved by whole months (seeing through
derived values and through a choice the levers already decide), and whose other side does not
read it; the fact is then tried a day (or one) before, at and after the point where the two sides
meet. Nothing here repeats a rule's threshold: a new comparison in the rules brings its own probes,
for both evaluators alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from distillgov.framework.case import FACTS
from distillgov.framework.logic import (
    AddMonths,
    Choose,
    Const,
    Expr,
    Fact,
    If,
    Le,
    Let,
    Lt,
    Param,
    add_months,
)
from distillgov.framework.rules import PROGRAM
from distillgov.framework.scalar import compile_expr

DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Boundary:
    """Where the fact meets `other`: at `other` moved back by `months` (0 for counts)."""

    other: Expr
    months: int


def _comparisons() -> list[tuple[Expr, Expr]]:
    found: list[tuple[Expr, Expr]] = []

    def walk(e: Expr) -> None:
        if isinstance(e, Lt | Le):
            found.append((e.left, e.right))
        for child in e.children():
            walk(child)

    for d in PROGRAM.definitions:
        if isinstance(d, Let):
            walk(d.expr)
        elif isinstance(d, Choose):
            for b in d.branches:
                walk(b.when)
    return found


COMPARISONS = tuple(_comparisons())
_LETS = {d.name: d for d in PROGRAM.definitions if isinstance(d, Let)}


def _lever_only(e: Expr, params: Mapping[str, Any]) -> Any:
    """The value of an expression that reads levers and constants only; else None."""
    if e.names():
        return None
    return _compiled(e)({}, params)


def _offsets(e: Expr, name: str, params: Mapping[str, Any]) -> frozenset[int] | None:
    """The month offsets k for which `e` is the fact moved by k months; None when `e` is not
    the fact so moved."""
    if isinstance(e, Fact):
        if e.name == name:
            return frozenset({0})
        let = _LETS.get(e.name)
        return _offsets(let.expr, name, params) if let is not None else None
    if isinstance(e, AddMonths):
        inner = _offsets(e.date, name, params)
        months = _lever_only(e.months, params) if isinstance(e.months, Param | Const) else None
        if inner is None or not isinstance(months, int):
            return None
        return frozenset(k + months for k in inner)
    if isinstance(e, If):
        decided = _lever_only(e.cond, params)
        arms = (
            [e.then]
            if decided is True
            else [e.otherwise]
            if decided is False
            else [e.then, e.otherwise]
        )
        found = [o for arm in arms if (o := _offsets(arm, name, params)) is not None]
        return frozenset().union(*found) if found else None
    return None


def boundaries(name: str, params: Mapping[str, Any]) -> list[Boundary]:
    """Every point where a comparison of the rules turns over for this fact (worked out once
    per fact and set of lever values: a batch asks again for every chunk, a server per case)."""
    key = (name, frozenset(params.items()))
    found = _BOUNDARIES.get(key)
    if found is None:
        if len(_BOUNDARIES) >= 1024:  # a bound on what a process keeps: lever sets are few
            _BOUNDARIES.clear()
        found = _BOUNDARIES[key] = _boundaries(name, params)
    return found


_BOUNDARIES: dict[tuple[str, frozenset[tuple[str, Any]]], list[Boundary]] = {}


def _boundaries(name: str, params: Mapping[str, Any]) -> list[Boundary]:
    out: dict[tuple[int, int], Boundary] = {}
    for left, right in COMPARISONS:
        for side, other in ((left, right), (right, left)):
            if name in PROGRAM.base_refs(other):
                continue
            offsets = _offsets(side, name, params)
            for k in sorted(offsets or ()):
                out.setdefault((id(other), k), Boundary(other, k))
    return list(out.values())


@cache
def _compiled(other: Expr) -> Any:
    return compile_expr(other)


def probes(name: str, env: Mapping[str, Any], params: Mapping[str, Any]) -> list[Any]:
    """Values to try for an unknown fact of one case."""
    spec = FACTS[name]
    if spec.domain:
        return list(spec.domain)
    values: list[Any] = []
    for b in boundaries(name, params):
        meet = _compiled(b.other)(env, params)
        if meet is None:
            continue
        if spec.kind == "date":
            at = add_months(meet, -b.months)
            values += [at - DAY, at, at + DAY]
        else:
            values += [v for v in (meet - 1, meet, meet + 1) if v >= 0]
    return list(dict.fromkeys(values))


def probes_vector(
    name: str,
    columns: Mapping[str, Any],
    params: Mapping[str, Any],
    n: int,
    compile_vector: Callable[[Expr], Any],
) -> list[tuple[Any, Any]]:
    """The same probes for many rows: (values, valid) pairs, one per probe. `columns` holds the
    rows' facts and derived values; `compile_vector` compiles an expression over them."""
    # NumPy is loaded here so that assessing one case never pays for loading it (0.1 s).
    import numpy as np

    from distillgov.framework.vector import add_months as add_months_v

    spec = FACTS[name]
    everywhere = np.ones(n, dtype=bool)
    if spec.domain:
        return [(value, everywhere) for value in spec.domain]
    out: list[tuple[Any, Any]] = []
    for b in boundaries(name, params):
        meet = np.broadcast_to(compile_vector(b.other)(columns, params), (n,))
        if spec.kind == "date":
            known = ~np.isnat(meet)
            at = add_months_v(meet, -b.months)
            one = np.timedelta64(1, "D")
            out += [(at - one, known), (at, known), (at + one, known)]
        else:
            known = ~np.isnan(meet)
            out += [(meet - 1, known & (meet >= 1)), (meet, known), (meet + 1, known)]
    return out


# Facts a case may rightly leave without a value (no release yet, nothing filed): answering them
# together with others, "none" is one of the answers.
MAY_BE_ABSENT = frozenset({"commercial_release_date", "transparency.filed_on"})


def answer_count(name: str, params: Mapping[str, Any]) -> int:
    """How many answers the joint analysis tries for a fact, counted the same way for one case
    and for a batch (three around each boundary of a date or count, and "none" where a fact may
    be absent), so both decide alike whether it is small enough to run."""
    spec = FACTS[name]
    count = len(spec.domain) if spec.domain else 3 * len(boundaries(name, params))
    return count + (name in MAY_BE_ABSENT)
