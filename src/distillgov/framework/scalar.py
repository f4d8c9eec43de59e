"""Evaluate a rule program for one case, with a trace of every step.

The program is compiled once into the source of a single Python function — facts and levers in
local variables, three-valued logic written out inline — because a determination must cost tens
of microseconds and calling a closure per rule node costs more than the rule itself.
`compile_expr` uses the same emitter for one expression, so there is one scalar semantics.

Logic is Kleene's: None is unknown. An ordered choice's value is known when every row that
could still win (the unknown rows before the first row that holds, and that row) gives the same
value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from distillgov.framework.citations import Citation
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
    add_months,
)

Env = dict[str, Any]
Params = Mapping[str, Any]
Fn = Callable[[Env, Params], Any]


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
    """One line of the trace: a rule (a definition, or one row of a choice) and its outcome."""

    info: StepInfo
    outcome: Any  # for a row: True (applies) / False / None (unknown); for a Let: its value


@dataclass(slots=True)
class Run:
    env: Env
    steps: list[Step]
    missing: set[str]


_UNSET = object()


def _no_row(name: str, refs: tuple[str, ...], env: Env) -> IncompleteRules:
    shown = ", ".join(f"{r}={env[r]!r}" for r in refs)
    return IncompleteRules(f"no row of '{name}' applies to the facts ({shown})")


class _Emitter:
    """Writes Python source for expressions and definitions, one assignment per node."""

    def __init__(self) -> None:
        self.body: list[str] = []
        self.prelude: list[str] = []
        self.globals: dict[str, Any] = {
            "_add_months": add_months,
            "_Step": Step,
            "_UNSET": _UNSET,
            "_no_row": _no_row,
        }
        self.names: dict[str, str] = {}  # fact or derived name -> local variable
        self.levers: dict[str, str] = {}
        self.count = 0
        self.never_none: set[str] = set()  # atoms that are constants, so never unknown

    def temp(self) -> str:
        self.count += 1
        return f"_t{self.count}"

    def constant(self, value: Any) -> str:
        if isinstance(value, int | str) and not isinstance(value, bool):
            atom = repr(value)
        else:
            atom = f"_k{len(self.globals)}"
            self.globals[atom] = value
        if value is not None:
            self.never_none.add(atom)
        return atom

    def unknown(self, *atoms: str) -> str:
        """A test that any of these atoms is unknown; constants are left out."""
        tests = [f"{a} is None" for a in atoms if a not in self.never_none]
        return " or ".join(tests) if tests else "False"

    def local(self, name: str) -> str:
        """The local variable of a fact (loaded from the env on entry) or a derived value."""
        if name not in self.names:
            var = self.names[name] = f"_v{len(self.names)}"
            self.prelude.append(f"    {var} = f[{name!r}]")
        return self.names[name]

    def lever(self, name: str) -> str:
        if name not in self.levers:
            var = self.levers[name] = f"_p{len(self.levers)}"
            self.prelude.append(f"    {var} = p[{name!r}]")
        return self.levers[name]

    def emit(self, line: str, indent: int) -> None:
        self.body.append(" " * indent + line)

    def expr(self, e: Expr, indent: int) -> str:
        """Emit statements computing e; return a name or literal holding its value."""
        if isinstance(e, Fact):
            return self.local(e.name)
        if isinstance(e, Param):
            return self.lever(e.name)
        if isinstance(e, Const):
            return self.constant(e.value)
        t = self.temp()
        if isinstance(e, Eq | Lt | Le):
            a, b = self.expr(e.left, indent), self.expr(e.right, indent)
            op = {Eq: "==", Lt: "<", Le: "<="}[type(e)]
            self.emit(f"{t} = None if {self.unknown(a, b)} else {a} {op} {b}", indent)
        elif isinstance(e, In):
            a, options = self.expr(e.item, indent), self.expr(e.options, indent)
            self.emit(f"{t} = None if {self.unknown(a)} else {a} in {options}", indent)
        elif isinstance(e, And | Or):
            parts = [self.expr(x, indent) for x in e.parts]
            decisive, other = ("False", "True") if isinstance(e, And) else ("True", "False")
            any_decisive = " or ".join(f"{x} is {decisive}" for x in parts)
            any_unknown = " or ".join(f"{x} is None" for x in parts)
            self.emit(
                f"{t} = {decisive} if {any_decisive} else (None if {any_unknown} else {other})",
                indent,
            )
        elif isinstance(e, Not):
            a = self.expr(e.part, indent)
            self.emit(f"{t} = None if {a} is None else not {a}", indent)
        elif isinstance(e, Known):
            a = self.expr(e.part, indent)
            self.emit(f"{t} = {a} is not None", indent)
        elif isinstance(e, If):
            c = self.expr(e.cond, indent)
            a, b = self.expr(e.then, indent), self.expr(e.otherwise, indent)
            agree = f"{a} is not None and {a} == {b}" if a not in self.never_none else f"{a} == {b}"
            self.emit(
                f"{t} = {a} if {c} is True else ({b} if {c} is False else "
                f"({a} if {agree} else None))",
                indent,
            )
        elif isinstance(e, AddMonths):
            d, m = self.expr(e.date, indent), self.expr(e.months, indent)
            self.emit(f"{t} = None if {self.unknown(d, m)} else _add_months({d}, {m})", indent)
        else:
            raise TypeError(f"no scalar form for {type(e).__name__}")
        return t

    def function(self, name: str, returns: str) -> Callable[..., Any]:
        source = "\n".join(
            [
                f"def {name}(f, p, steps, missing):",
                *self.prelude,
                *self.body,
                f"    return {returns}",
            ]
        )
        namespace = dict(self.globals)
        exec(compile(source, f"<distillgov rules: {name}>", "exec"), namespace)
        fn: Callable[..., Any] = namespace[name]
        fn.__source__ = source  # type: ignore[attr-defined]  # for reading what was generated
        return fn


def compile_expr(e: Expr) -> Fn:
    """One expression as a function of (facts, levers), with the program's semantics."""
    emitter = _Emitter()
    result = emitter.expr(e, 4)
    fn = emitter.function("expression", result)
    return lambda env, params: fn(env, params, None, None)


class ScalarProgram:
    """A program compiled for one-case-at-a-time evaluation."""

    def __init__(self, program: Program) -> None:
        self.program = program
        emitter = _Emitter()
        for d in program.definitions:
            if isinstance(d, Let):
                self._let(emitter, d)
            else:
                self._choose(emitter, d)
        self._fn = emitter.function("run_rules", "None")

    @property
    def source(self) -> str:
        """The generated Python, for reviewing what the rules compile to."""
        return str(self._fn.__source__)  # type: ignore[attr-defined]

    def _info(
        self, rule: str, is_row: bool, expr: Expr, cite: Citation | None, note: str
    ) -> StepInfo:
        program = self.program
        return StepInfo(
            rule=rule,
            is_row=is_row,
            facts=tuple(sorted(program.base_refs(expr))),
            derived=tuple(sorted(n for n in expr.names() if n not in program.base_facts)),
            levers=tuple(sorted(program.levers_behind(expr))),
            source=cite.as_dict() if cite else None,
            note=note,
        )

    def _note_missing(self, em: _Emitter, refs: frozenset[str], indent: int) -> None:
        for r in sorted(refs):
            em.emit(f"if {em.local(r)} is None: missing.add({r!r})", indent)

    def _let(self, em: _Emitter, d: Let) -> None:
        value = em.expr(d.expr, 4)
        var = em.names[d.name] = f"_v{len(em.names)}"
        em.emit(f"{var} = {value}", 4)
        em.emit(f"f[{d.name!r}] = {var}", 4)
        if d.traced:
            info = em.constant(self._info(d.name, False, d.expr, d.cite, d.explain))
            em.emit(f"steps.append(_Step({info}, {var}))", 4)
        if d.decisive:
            em.emit(f"if {var} is None:", 4)
            self._note_missing(em, self.program.base_refs(d.expr), 8)
            em.emit("pass", 8)

    def _choose(self, em: _Emitter, d: Choose) -> None:
        var = f"_v{len(em.names)}"
        cand, conflict = em.temp(), em.temp()
        indent = 4
        if d.gate is not None:
            em.emit(f"if {em.local(d.gate)} is False:", indent)
            em.emit(f"{cand}, {conflict} = {d.default!r}, False  # no row can hold", indent + 4)
            em.emit("else:", indent)
            indent += 4
        if d.projects is not None:
            source, mapping = d.projects
            em.emit(f"if {em.local(source)} is not None:  # rows of a choice already made", indent)
            em.emit(
                f"{cand}, {conflict} = {em.constant(dict(mapping))}[{em.local(source)}], False",
                indent + 4,
            )
            em.emit("else:", indent)
            indent += 4
        em.emit(f"{cand}, {conflict} = _UNSET, False", indent)
        em.emit("while True:", indent)
        inner = indent + 4

        def merge(value: str, at: int) -> None:
            em.emit(f"if {cand} is _UNSET: {cand} = {value!r}", at)
            em.emit(f"elif {cand} != {value!r}: {conflict} = True", at)

        for b in d.branches:
            c = em.expr(b.when, inner)
            if d.traced:
                info = em.constant(self._info(b.id, True, b.when, b.cite, b.explain))
                em.emit(f"steps.append(_Step({info}, {c}))", inner)
            em.emit(f"if {c} is True:", inner)
            merge(b.value, inner + 4)
            em.emit("break", inner + 4)
            em.emit(f"if {c} is None:", inner)
            merge(b.value, inner + 4)
            self._note_missing(em, self.program.base_refs(b.when), inner + 4)
        # No row holds for certain.
        em.emit(f"if {cand} is _UNSET:", inner)
        if d.exhaustive:
            refs = tuple(sorted({r for b in d.branches for r in self.program.base_refs(b.when)}))
            em.emit(f"raise _no_row({d.name!r}, {refs!r}, f)", inner + 4)
        else:
            em.emit(f"{cand} = {d.default!r}", inner + 4)
            em.emit("else:", inner)
            merge(d.default, inner + 4)  # type: ignore[arg-type]
        em.emit("break", inner)
        em.names[d.name] = var
        em.emit(f"{var} = None if {conflict} else {cand}", 4)
        em.emit(f"f[{d.name!r}] = {var}", 4)

    def run(self, facts: Mapping[str, Any], params: Params) -> Run:
        env: Env = dict(facts)
        steps: list[Step] = []
        missing: set[str] = set()
        self._fn(env, params, steps, missing)
        return Run(env, steps, missing)


__all__ = ["Run", "ScalarProgram", "Step", "StepInfo", "compile_expr", "dt"]
