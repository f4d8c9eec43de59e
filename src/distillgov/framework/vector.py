"""Evaluate the same rule program over columns of many cases at once, with NumPy.

Encodings, one per kind, each with its own "unknown":
  bool -> int8, 0 false / 1 unknown / 2 true (so Kleene AND is min, OR is max, NOT is 2 - x)
  enum -> int32 codes from `CODES`, -1 unknown
  date -> datetime64[D], NaT unknown
  int  -> float64, NaN unknown (exact for counts below 2**53)
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from distillgov.framework.errors import IncompleteRules
from distillgov.framework.logic import (
    AddMonths,
    And,
    Choose,
    Const,
    Eq,
    Expr,
    Fact,
    If,
    In,
    Known,
    Le,
    Let,
    Lt,
    Not,
    Or,
    Param,
    Program,
)

F, U, T = np.int8(0), np.int8(1), np.int8(2)
Array = npt.NDArray[Any]
VEnv = dict[str, Any]
Params = Mapping[str, Any]
VFn = Callable[[VEnv, Params], Any]


class Codes:
    """Interning table: every enum string gets a stable small integer within this process."""

    def __init__(self) -> None:
        self._code: dict[str, int] = {}
        self.names: list[str] = []
        self._lock = threading.Lock()  # batch chunks evaluate on several threads

    def code(self, value: str) -> int:
        c = self._code.get(value)
        if c is None:
            with self._lock:
                c = self._code.get(value)
                if c is None:
                    self.names.append(value)
                    c = self._code[value] = len(self.names) - 1
        return c

    def decode(self, codes: Array) -> Array:
        """Codes -> object array of strings, None where unknown."""
        table = np.array([*self.names, None], dtype=object)
        return table[np.where(codes < 0, len(self.names), codes)]


CODES = Codes()


def tri(values: Array | bool | None) -> Any:
    """Python booleans (or None) -> the tri-state encoding."""
    if values is None:
        return U
    if isinstance(values, bool | np.bool_):
        return T if values else F
    return np.where(values, T, F).astype(np.int8)


def is_unknown(kind: str, values: Any) -> Any:
    """Where a value of this kind is unknown (works on arrays and on scalars)."""
    if kind == "bool":
        return values == U
    if kind == "enum":
        return values < 0
    if kind == "date":
        return np.isnat(values)
    return np.isnan(values)


def add_months(days: Array, months: int) -> Array:
    month = days.astype("datetime64[M]")
    day0 = (days - month.astype("datetime64[D]")).astype("int64")
    target = month + np.timedelta64(int(months), "M")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("int64")
    shifted = target.astype("datetime64[D]") + np.minimum(day0, length - 1).astype("timedelta64[D]")
    return np.where(np.isnat(days), np.datetime64("NaT"), shifted)


class VectorCompiler:
    def __init__(self, kinds: Mapping[str, str], param_kinds: Mapping[str, str]) -> None:
        self.kinds = kinds
        self.param_kinds = param_kinds

    def kind(self, e: Expr) -> str:
        if isinstance(e, Fact):
            return self.kinds[e.name]
        if isinstance(e, Param):
            return self.param_kinds[e.name]
        if isinstance(e, Const):
            v = e.value
            if isinstance(v, bool):
                return "bool"
            if isinstance(v, str):
                return "enum"
            if isinstance(v, frozenset):
                return "set"
            if isinstance(v, dt.date):
                return "date"
            return "int"
        if isinstance(e, If):
            return self.kind(e.then)
        if isinstance(e, AddMonths):
            return "date"
        return "bool"

    def compile(self, e: Expr) -> VFn:
        if isinstance(e, Fact):
            name = e.name
            return lambda env, p: env[name]
        if isinstance(e, Param):
            return self._param(e)
        if isinstance(e, Const):
            value = self._const(e.value)
            return lambda env, p: value
        if isinstance(e, Eq):
            return self._eq(e)
        if isinstance(e, In):
            return self._member(e)
        if isinstance(e, Lt | Le):
            left, right, kind = self.compile(e.left), self.compile(e.right), self.kind(e.left)
            op = np.less if isinstance(e, Lt) else np.less_equal

            def compare(env: VEnv, p: Params) -> Array:
                a, b = left(env, p), right(env, p)
                unknown = is_unknown(kind, a) | is_unknown(kind, b)
                # An unknown operand compares false (NaT, NaN): true*2 + unknown is the tri-state.
                return tri_from(op(a, b), unknown)

            return compare
        if isinstance(e, And | Or):
            parts = [self.compile(x) for x in e.parts]
            reduce = np.minimum if isinstance(e, And) else np.maximum

            def combine(env: VEnv, p: Params) -> Array:
                out = parts[0](env, p)
                for part in parts[1:]:
                    out = reduce(out, part(env, p))
                return out  # type: ignore[no-any-return]

            return combine
        if isinstance(e, Not):
            inner = self.compile(e.part)
            return lambda env, p: T - inner(env, p)
        if isinstance(e, Known):
            inner, kind = self.compile(e.part), self.kind(e.part)
            return lambda env, p: np.where(is_unknown(kind, inner(env, p)), F, T)
        if isinstance(e, If):
            cond, then, other = (
                self.compile(e.cond),
                self.compile(e.then),
                self.compile(e.otherwise),
            )
            kind = self.kind(e.then)
            unknown_value = _UNKNOWN[kind]

            def choose(env: VEnv, p: Params) -> Array:
                c, a, b = cond(env, p), then(env, p), other(env, p)
                agree = np.where((a == b) & ~is_unknown(kind, a), a, unknown_value)
                return np.where(c == T, a, np.where(c == F, b, agree))  # type: ignore[no-any-return]

            return choose
        if isinstance(e, AddMonths):
            day, months = self.compile(e.date), self.compile(e.months)
            return lambda env, p: add_months(day(env, p), int(months(env, p)))
        raise TypeError(f"no vector form for {type(e).__name__}")

    def _eq(self, e: Eq) -> VFn:
        kind = self.kind(e.left)
        if isinstance(e.right, Const) and isinstance(e.left, Param):
            # A lever compared with a constant is one value for the whole batch.
            pname, wanted = e.left.name, e.right.value
            return lambda env, p: T if p[pname] == wanted else F
        left = self.compile(e.left)
        if isinstance(e.right, Const) and kind == "bool":
            # fact == true is the fact itself; fact == false is its negation.
            if e.right.value is True:
                return left
            return lambda env, p: T - left(env, p)
        if isinstance(e.right, Const) and kind == "enum":
            code = CODES.code(e.right.value)
            return lambda env, p: tri_from(left(env, p) == code, left(env, p) < 0)
        right = self.compile(e.right)

        def eq(env: VEnv, p: Params) -> Array:
            a, b = left(env, p), right(env, p)
            unknown = is_unknown(kind, a) | is_unknown(kind, b)
            return np.where(unknown, U, np.where(a == b, T, F))

        return eq

    def _member(self, e: In) -> VFn:
        """Membership by table lookup: the codes in the set map to true, -1 (unknown) to unknown."""
        item = self.compile(e.item)
        if isinstance(e.options, Const):
            fixed = frozenset(e.options.value)
            return lambda env, p: _membership_table(fixed)[item(env, p)]
        pname = e.options.name if isinstance(e.options, Param) else ""
        if not pname:
            raise TypeError("membership needs a constant set or a lever")
        return lambda env, p: _membership_table(frozenset(p[pname]))[item(env, p)]

    def _param(self, e: Param) -> VFn:
        name, kind = e.name, self.param_kinds[e.name]
        if kind == "enum":
            return lambda env, p: np.int32(CODES.code(p[name]))
        if kind == "set":
            return lambda env, p: np.array([CODES.code(v) for v in p[name]], dtype=np.int32)
        if kind == "bool":
            return lambda env, p: tri(bool(p[name]))
        return lambda env, p: p[name]

    @staticmethod
    def _const(value: Any) -> Any:
        if isinstance(value, bool):
            return tri(value)
        if isinstance(value, str):
            return np.int32(CODES.code(value))
        if isinstance(value, frozenset):
            return np.array(sorted(CODES.code(v) for v in value), dtype=np.int32)
        if isinstance(value, dt.date):
            return np.datetime64(value, "D")
        return value


def tri_from(holds: Array, unknown: Array) -> Array:
    """Booleans (false wherever unknown) and an unknown mask -> the tri-state encoding."""
    out: Array = holds.view(np.int8) * T + unknown.view(np.int8)
    return out


_TABLES: dict[tuple[frozenset[str], int], Array] = {}


def _membership_table(values: frozenset[str]) -> Array:
    # Indexed by code; the last cell answers for code -1 (unknown). Rebuilt when codes are added.
    codes = [CODES.code(v) for v in values]  # interned first: interning may add codes
    key = (values, len(CODES.names))
    table = _TABLES.get(key)
    if table is None:
        table = np.full(len(CODES.names) + 1, F, dtype=np.int8)
        table[codes] = T
        table[-1] = U
        assert len(table) > max(codes, default=-1), "every member has its own cell"
        _TABLES[key] = table
    return table


_UNKNOWN: dict[str, Any] = {
    "bool": U,
    "enum": np.int32(-1),
    "date": np.datetime64("NaT"),
    "int": np.nan,
}


@dataclass(slots=True)
class VectorRun:
    env: VEnv
    missing: dict[str, Array]  # fact -> rows where it is a missing fact


class VectorProgram:
    """A program compiled for column-at-a-time evaluation."""

    def compile(self, e: Expr) -> VFn:
        """One expression over this program's facts and derived values (compiled once)."""
        found = self._compiled.get(id(e))
        if found is None:
            found = self._compiled[id(e)] = self.compiler.compile(e)
        return found

    def __init__(
        self, program: Program, fact_kinds: Mapping[str, str], param_kinds: Mapping[str, str]
    ):
        self.program = program
        kinds = dict(fact_kinds)
        kinds.update(program.kinds)
        self.kinds = kinds
        compiler = self.compiler = VectorCompiler(kinds, param_kinds)
        self._compiled: dict[int, VFn] = {}
        self._plan: list[tuple[Any, ...]] = []
        for d in program.definitions:
            if isinstance(d, Let):
                refs = tuple(sorted(program.base_refs(d.expr)))
                self._plan.append((d, compiler.compile(d.expr), refs))
            else:
                rows = tuple(
                    (
                        CODES.code(b.value),
                        compiler.compile(b.when),
                        tuple(sorted(program.base_refs(b.when))),
                    )
                    for b in d.branches
                )
                default = -1 if d.default is None else CODES.code(d.default)
                self._plan.append((d, rows, default))

    def run(self, columns: Mapping[str, Array], params: Params, n: int) -> VectorRun:
        env: VEnv = dict(columns)
        unknown = {name: is_unknown(self.kinds[name], col) for name, col in columns.items()}
        missing: dict[str, Array] = {}

        def note(refs: tuple[str, ...], rows: Array) -> None:
            if not rows.any():
                return
            for r in refs:
                hit = rows & unknown[r]
                if r in missing:
                    missing[r] |= hit
                else:
                    missing[r] = hit

        for step in self._plan:
            d = step[0]
            if isinstance(d, Let):
                value = step[1](env, params)
                if np.ndim(value) == 0:
                    value = np.full(n, value)
                env[d.name] = value
                if d.decisive:
                    note(step[2], value == U)
                continue
            env[d.name] = self._choose(d, step[1], step[2], env, params, n, note)
        return VectorRun(env, missing)

    @staticmethod
    def _choose(
        d: Choose,
        rows: tuple[tuple[int, VFn, tuple[str, ...]], ...],
        default: int,
        env: VEnv,
        params: Params,
        n: int,
        note: Callable[[tuple[str, ...], Array], None],
    ) -> Array:
        if d.gate is not None and not (env[d.gate] != F).any():
            # The gate is false on every row (an obligation that applies nowhere in the
            # batch): no row can hold, so the default, without evaluating a row.
            return np.full(n, default, dtype=np.int32)
        # Per row: the single value every still-possible row agrees on (-1: none yet), whether
        # two possible rows disagree, and whether a row that holds has been reached.
        candidate = np.full(n, -1, dtype=np.int32)
        conflict = np.zeros(n, dtype=bool)
        decided = np.zeros(n, dtype=bool)

        def merge(rows_hit: Array, code: int) -> None:
            conflict[rows_hit & (candidate >= 0) & (candidate != code)] = True
            candidate[rows_hit & (candidate < 0)] = code

        for code, when, refs in rows:
            c = when(env, params)
            live = ~decided
            maybe = live & (c == U)
            hit = live & (c == T)
            note(refs, maybe)
            merge(maybe | hit, code)
            decided |= hit
        open_rows = ~decided
        if d.exhaustive:
            nothing = open_rows & (candidate < 0)
            if nothing.any():
                first = np.flatnonzero(nothing)[:5].tolist()
                raise IncompleteRules(f"no row of '{d.name}' applies to rows {first}")
        else:
            merge(open_rows, default)
        return np.where(conflict, np.int32(-1), candidate).astype(np.int32)
