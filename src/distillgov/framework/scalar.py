"""Evaluate a rule program for one case, with a trace of every step.

Expressions are compiled once into Python closures (no tree walking per case), because a single
determination must cost tens of microseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from distillgov.errors import IncompleteRules
from distillgov.framework.citations import Citation
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


class Step(NamedTuple):
    """One line of the trace: a definition (and, for a choice, one of its rows) and its outcome.

    A named tuple: one is made per rule per case, and tuples are the cheapest to make."""

    info: StepInfo
    outcome: Any  # for a row: True (applies) / False / None (unknown); for a Let: its value


@dataclass(slots=True)
class Run:
    env: Env
    steps: list[Step]
    missing: set[str]


StepFn = Callable[[Env, Params, list[Step], set[str]], None]


class ScalarProgram:
    """A program compiled for one-case-at-a-time evaluation: one closure per definition."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._steps: list[StepFn] = [
            self._let_step(d) if isinstance(d, Let) else self._choose_step(d)
            for d in program.definitions
        ]

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

    def _let_step(self, d: Let) -> StepFn:
        fn, name = compile_expr(d.expr), d.name
        refs = tuple(sorted(self.program.base_refs(d.expr)))
        info = self._info(d.name, False, d.expr, d.cite, d.explain)
        traced, decisive = d.traced, d.decisive

        def let(env: Env, params: Params, steps: list[Step], missing: set[str]) -> None:
            value = env[name] = fn(env, params)
            if traced:
                steps.append(Step(info, value))
            if value is None and decisive:
                missing.update(r for r in refs if env[r] is None)

        return let

    def _choose_step(self, d: Choose) -> StepFn:
        rows = tuple(
            (
                b.value,
                compile_expr(b.when),
                tuple(sorted(self.program.base_refs(b.when))),
                self._info(b.id, True, b.when, b.cite, b.explain),
            )
            for b in d.branches
        )
        name, gate, default, traced = d.name, d.gate, d.default, d.traced
        source, mapping = (d.projects[0], dict(d.projects[1])) if d.projects else ("", {})

        def choose(env: Env, params: Params, steps: list[Step], missing: set[str]) -> None:
            if gate is not None and env[gate] is False:
                env[name] = default  # every row requires the gate: none can hold
                return
            if source and env[source] is not None:
                env[name] = mapping[env[source]]  # the rows of a choice already made
                return
            # The rows that could still win are the unknown ones before the first row that
            # holds, and that row. The value is known when they all give the same value.
            possible: set[str] = set()
            for value, when, refs, info in rows:
                v = when(env, params)
                if traced:
                    steps.append(Step(info, v))
                if v is True:
                    possible.add(value)
                    env[name] = value if len(possible) == 1 else None
                    return
                if v is None:
                    possible.add(value)
                    missing.update(r for r in refs if env[r] is None)
            if not possible:
                if d.exhaustive:
                    known = sorted({r for _, _, refs, _ in rows for r in refs})
                    shown = ", ".join(f"{r}={env[r]!r}" for r in known)
                    raise IncompleteRules(f"no row of '{name}' applies to the facts ({shown})")
                env[name] = default
                return
            if not d.exhaustive:
                possible.add(default)  # type: ignore[arg-type]
            env[name] = possible.pop() if len(possible) == 1 else None

        return choose

    def run(self, facts: Mapping[str, Any], params: Params) -> Run:
        env: Env = dict(facts)
        steps: list[Step] = []
        missing: set[str] = set()
        for step in self._steps:
            step(env, params, steps, missing)
        return Run(env, steps, missing)
