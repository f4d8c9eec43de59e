"""A small expression language in which the rules are written once and evaluated two ways.

Rules are data: trees of the nodes below. `scalar.py` compiles them to Python closures that
evaluate one case with a trace; `vector.py` compiles the same trees to NumPy operations over
columns of many cases. Logic is three-valued (Kleene): a condition over an unknown fact is
unknown (None) unless the known facts already decide it, so the evaluators never assume.

Values by kind: "bool" (True / False / None), "enum" (a string or None), "date"
(datetime.date or None), "int" (int or None), "set" (a frozenset of enum values, for `In`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from distillgov.framework.citations import Citation


class Expr:
    """A node. Subclasses are frozen dataclasses compared by identity (rules never compare
    nodes, and skipping the generated __eq__ and __hash__ makes loading the rules quicker)."""

    def children(self) -> tuple[Expr, ...]:
        return ()

    def names(self) -> frozenset[str]:
        """Every fact or derived value this expression reads."""
        out: set[str] = set()
        for child in self.children():
            out |= child.names()
        return frozenset(out)

    def params(self) -> frozenset[str]:
        out: set[str] = set()
        for child in self.children():
            out |= child.params()
        return frozenset(out)


@dataclass(frozen=True, slots=True, eq=False)
class Fact(Expr):
    """A fact of the case, or a value derived earlier in the program."""

    name: str

    def names(self) -> frozenset[str]:
        return frozenset((self.name,))


@dataclass(frozen=True, slots=True, eq=False)
class Param(Expr):
    """A lever of the jurisdiction profile in force on the assessment date."""

    name: str

    def params(self) -> frozenset[str]:
        return frozenset((self.name,))


@dataclass(frozen=True, slots=True, eq=False)
class Const(Expr):
    value: Any


@dataclass(frozen=True, slots=True, eq=False)
class Eq(Expr):
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True, eq=False)
class In(Expr):
    """Membership of an enum value in a set given by a constant or a profile lever."""

    item: Expr
    options: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.item, self.options)


@dataclass(frozen=True, slots=True, eq=False)
class Lt(Expr):
    """left < right, for dates and numbers."""

    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True, eq=False)
class Le(Expr):
    """left <= right, for dates and numbers."""

    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True, eq=False)
class And(Expr):
    parts: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.parts


@dataclass(frozen=True, slots=True, eq=False)
class Or(Expr):
    parts: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.parts


@dataclass(frozen=True, slots=True, eq=False)
class Not(Expr):
    part: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.part,)


@dataclass(frozen=True, slots=True, eq=False)
class If(Expr):
    """then if cond else otherwise; unknown cond gives the branches' value only if they agree."""

    cond: Expr
    then: Expr
    otherwise: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.cond, self.then, self.otherwise)


@dataclass(frozen=True, slots=True, eq=False)
class Known(Expr):
    """True when the value is known, false when not: never itself unknown."""

    part: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.part,)


@dataclass(frozen=True, slots=True, eq=False)
class AddMonths(Expr):
    """A date plus a whole number of months, clipped to the month's end (31 Jan + 1 = 28/29 Feb)."""

    date: Expr
    months: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.date, self.months)


# Readable constructors for the rules module.
def fact(name: str) -> Fact:
    return Fact(name)


def param(name: str) -> Param:
    return Param(name)


def is_(expr: Expr, value: Any) -> Eq:
    return Eq(expr, Const(value))


def one_of(expr: Expr, values: frozenset[str] | Param) -> In:
    return In(expr, values if isinstance(values, Param) else Const(frozenset(values)))


def all_of(*parts: Expr) -> And:
    return And(tuple(parts))


def any_of(*parts: Expr) -> Or:
    return Or(tuple(parts))


def not_(part: Expr) -> Not:
    return Not(part)


TRUE = Const(True)


# --- Programs: an ordered list of named definitions -------------------------------------------


@dataclass(frozen=True, slots=True)
class Let:
    """A derived value: `name` is `expr`."""

    name: str
    kind: str
    expr: Expr
    cite: Citation | None = None
    explain: str = ""
    traced: bool = False  # show a trace line for it
    decisive: bool = False  # if its (bool) value is unknown, the facts behind it are missing facts


@dataclass(frozen=True, slots=True)
class Branch:
    """One row of a choice: if `when` holds (and no earlier row did), the value is `value`."""

    id: str
    when: Expr
    value: str
    cite: Citation
    explain: str


@dataclass(frozen=True, slots=True)
class Choose:
    """An ordered choice (a decision table): the first row whose condition holds wins.

    If an earlier row's condition is unknown, the choice is unknown: that row might have won.
    With `exhaustive`, fully known facts that match no row are a defect in the rules.
    """

    name: str
    branches: tuple[Branch, ...]
    exhaustive: bool = True
    default: str | None = None  # the value when no row holds, for non-exhaustive choices
    traced: bool = True
    cite: Citation | None = None
    explain: str = ""
    # Shortcuts with the same meaning, which a one-case evaluator may take:
    # `projects`: (choice, mapping) when these rows are that choice's rows with values mapped;
    # once that choice is known the value is its mapping. `gate`: a bool every row requires;
    # when it is false no row holds.
    projects: tuple[str, tuple[tuple[str, str], ...]] | None = None
    gate: str | None = None


Definition = Let | Choose


@dataclass(frozen=True, eq=False)
class Program:
    definitions: tuple[Definition, ...]
    base_facts: frozenset[str]
    kinds: Mapping[str, str] = field(default_factory=dict)  # derived name -> kind

    def levers_behind(self, expr: Expr) -> frozenset[str]:
        """The profile levers an expression reads, directly or through derived `Let` values."""
        out = set(expr.params())
        lets = self._lets
        for name in expr.names():
            if name in lets:
                out |= self.levers_behind(lets[name].expr)
        return frozenset(out)

    def base_refs(self, expr: Expr) -> frozenset[str]:
        """The case facts an expression reads, seeing through derived `Let` values.

        Values made by a `Choose` are not seen through: a choice reports its own missing facts.
        """
        out: set[str] = set()
        lets = self._lets
        for name in expr.names():
            if name in self.base_facts:
                out.add(name)
            elif name in lets:
                out |= self.base_refs(lets[name].expr)
        return frozenset(out)

    @cached_property
    def _lets(self) -> dict[str, Let]:
        return {d.name: d for d in self.definitions if isinstance(d, Let)}


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic, clipping to the last day of a shorter month."""
    year, month0 = divmod(day.year * 12 + (day.month - 1) + months, 12)
    last = 29 if month0 == 1 and calendar.isleap(year) else _MONTH_DAYS[month0]
    return dt.date(year, month0 + 1, min(day.day, last))
