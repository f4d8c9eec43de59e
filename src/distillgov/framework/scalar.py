"""Evaluate a rule program for one case, with a trace of every step.

Expressions are compiled once into Python closures (no tree walking per case), because a single
determination must cost tens of microseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from distillgov.errors import IncompleteRules
from distillgov.framework.citations import Citation
from distillgov.framework.logic import (
    AddMonths,
    And,
    Branch,
    Choose,
    Const,
    Definition,
    Eq,
    Expr,
    Fact,
    If,
    In,
    Known,
    Le,
    Let,
    Lookup,
    Lt,
    Not,
    Or,
    Param,
    Program,
    add_months,
)

Env = dict[str, Any]
Params = Mapping[str, Any]
Fn = Callable[[Env, Params], Any]


def compile_expr(e: Expr) -> Fn:
    if isinstance(e, Fact):
        name = e.name
        return lambda f, p: f[name]
    if isinstance(e, Param):
        pname = e.name
        return lambda f, p: p[pname]
    if isinstance(e, Const):
        value = e.value
        return lambda f, p: value
    if isinstance(e, Eq):
        if isinstance(e.left, Fact) and isinstance(e.right, Const):
            # The commonest shape in the rules (a fact equals a value): one closure, no nesting.
            name, wanted = e.left.name, e.right.value

            def fact_is(f: Env, p: Params) -> bool | None:
                x = f[name]
                return None if x is None else x == wanted

            return fact_is
        if isinstance(e.left, Param) and isinstance(e.right, Const):
            pname, wanted = e.left.name, e.right.value
            return lambda f, p: p[pname] == wanted
        left = compile_expr(e.left)
        if isinstance(e.right, Const):
            target = e.right.value

            def eq_const(f: Env, p: Params) -> bool | None:
                x = left(f, p)
                return None if x is None else x == target

            return eq_const
        right = compile_expr(e.right)

        def eq(f: Env, p: Params) -> bool | None:
            x, y = left(f, p), right(f, p)
            return None if x is None or y is None else x == y

        return eq
    if isinstance(e, In):
        if isinstance(e.item, Fact) and isinstance(e.options, Const):
            name, allowed = e.item.name, e.options.value

            def fact_in(f: Env, p: Params) -> bool | None:
                x = f[name]
                return None if x is None else x in allowed

            return fact_in
        item, options = compile_expr(e.item), compile_expr(e.options)

        def member(f: Env, p: Params) -> bool | None:
            x = item(f, p)
            return None if x is None else x in options(f, p)

        return member
    if isinstance(e, Lt | Le):
        left, right = compile_expr(e.left), compile_expr(e.right)
        strict = isinstance(e, Lt)

        def compare(f: Env, p: Params) -> bool | None:
            x, y = left(f, p), right(f, p)
            if x is None or y is None:
                return None
            return bool(x < y) if strict else bool(x <= y)

        return compare
    if isinstance(e, And):
        parts = tuple(compile_expr(x) for x in e.parts)

        def conj(f: Env, p: Params) -> bool | None:
            unknown = False
            for part in parts:
                v = part(f, p)
                if v is False:
                    return False
                if v is None:
                    unknown = True
            return None if unknown else True

        return conj
    if isinstance(e, Or):
        parts = tuple(compile_expr(x) for x in e.parts)

        def disj(f: Env, p: Params) -> bool | None:
            unknown = False
            for part in parts:
                v = part(f, p)
                if v is True:
                    return True
                if v is None:
                    unknown = True
            return None if unknown else False

        return disj
    if isinstance(e, Not):
        inner = compile_expr(e.part)

        def neg(f: Env, p: Params) -> bool | None:
            v = inner(f, p)
            return None if v is None else not v

        return neg
    if isinstance(e, Known):
        inner = compile_expr(e.part)
        return lambda f, p: inner(f, p) is not None
    if isinstance(e, If):
        cond, then, otherwise = (
            compile_expr(e.cond),
            compile_expr(e.then),
            compile_expr(e.otherwise),
        )

        def choose(f: Env, p: Params) -> Any:
            c = cond(f, p)
            if c is True:
                return then(f, p)
            if c is False:
                return otherwise(f, p)
            a, b = then(f, p), otherwise(f, p)
            return a if a is not None and a == b else None

        return choose
    if isinstance(e, AddMonths):
        day, months = compile_expr(e.date), compile_expr(e.months)

        def shifted(f: Env, p: Params) -> Any:
            d, m = day(f, p), months(f, p)
            return None if d is None or m is None else add_months(d, m)

        return shifted
    if isinstance(e, Lookup):
        key, table = compile_expr(e.key), dict(e.table)

        def look(f: Env, p: Params) -> Any:
            k = key(f, p)
            return None if k is None else table[k]

        return look
    raise TypeError(f"no scalar form for {type(e).__name__}")


@dataclass(frozen=True, slots=True)
class StepInfo:
    """What a trace line says besides its outcome, worked out once per rule, not per case."""

    rule: str
    is_row: bool
    facts: tuple[str, ...]  # case facts read, seeing through derived values
    derived: tuple[str, ...]  # derived values read directly
    levers: tuple[str, ...]  # profile levers read, directly or behind derived values
    source: dict[str, str] | None
    note: str


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the trace: a definition (and, for a choice, one of its rows) and its outcome."""

    info: StepInfo
    outcome: Any  # for a row: True (applies) / False / None (unknown); for a Let: its value


@dataclass(slots=True)
class Run:
    env: Env
    steps: list[Step]
    missing: set[str]


class ScalarProgram:
    """A program compiled for one-case-at-a-time evaluation."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._plan: list[tuple[Definition, Any]] = []
        for d in program.definitions:
            if isinstance(d, Let):
                refs = tuple(sorted(program.base_refs(d.expr)))
                info = self._info(d.name, False, d.expr, d.cite, d.explain)
                self._plan.append((d, (compile_expr(d.expr), refs, info)))
            else:
                rows = tuple(
                    (
                        b,
                        compile_expr(b.when),
                        tuple(sorted(program.base_refs(b.when))),
                        self._info(b.id, True, b.when, b.cite, b.explain),
                    )
                    for b in d.branches
                )
                self._plan.append((d, rows))

    def _info(
        self, rule: str, is_row: bool, expr: Expr, cite: Citation | None, note: str
    ) -> StepInfo:
        program = self.program
        derived = tuple(sorted(n for n in expr.names() if n not in program.base_facts))
        return StepInfo(
            rule=rule,
            is_row=is_row,
            facts=tuple(sorted(program.base_refs(expr))),
            derived=derived,
            levers=tuple(sorted(program.levers_behind(expr))),
            source=cite.as_dict() if cite else None,
            note=note,
        )

    def run(self, facts: Mapping[str, Any], params: Params) -> Run:
        env: Env = dict(facts)
        steps: list[Step] = []
        missing: set[str] = set()
        for d, compiled in self._plan:
            if isinstance(d, Let):
                fn, refs, info = compiled
                value = fn(env, params)
                env[d.name] = value
                if d.traced:
                    steps.append(Step(info, value))
                if value is None and d.decisive:
                    missing.update(r for r in refs if env[r] is None)
                continue
            env[d.name] = self._choose(d, compiled, env, params, steps, missing)
        return Run(env, steps, missing)

    @staticmethod
    def _choose(
        d: Choose,
        rows: tuple[tuple[Branch, Fn, tuple[str, ...], StepInfo], ...],
        env: Env,
        params: Params,
        steps: list[Step],
        missing: set[str],
    ) -> str | None:
        # The rows that could still win are the unknown ones before the first row that holds,
        # and that row. The value is known when they all give the same value.
        possible: set[str] = set()
        for branch, when, refs, info in rows:
            v = when(env, params)
            if d.traced:
                steps.append(Step(info, v))
            if v is True:
                possible.add(branch.value)
                return branch.value if len(possible) == 1 else None
            if v is None:
                possible.add(branch.value)
                missing.update(r for r in refs if env[r] is None)
        if not possible:
            if d.exhaustive:
                known = sorted({r for _, _, refs, _ in rows for r in refs})
                shown = ", ".join(f"{r}={env[r]!r}" for r in known)
                raise IncompleteRules(f"no row of '{d.name}' applies to the facts ({shown})")
            return d.default
        if not d.exhaustive:
            possible.add(d.default)  # type: ignore[arg-type]
        return possible.pop() if len(possible) == 1 else None
