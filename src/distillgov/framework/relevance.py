"""Which unknown facts can still change a determination, given the facts known so far — read
off the rule program itself, so the wizard can skip a question its earlier answers settle
(issue #17 item 2) without a second, hand-written tree of questions.

A fact is relevant when some output the determination reports (the decision, compliance, each
obligation's applying and status) is still unknown and its expression reads the fact on a path
the known facts leave open: an expression whose value is already settled needs nothing more;
`If` follows the branch a known condition picks; an ordered choice needs the rows that could
still win. Derived values are seen through to the facts behind them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distillgov.framework.logic import Choose, Expr, Fact, If, Known, Let
from distillgov.framework.procedure import SCALAR
from distillgov.framework.rules import OBLIGATIONS, PROGRAM
from distillgov.framework.scalar import compile_expr

_LETS = {d.name: d for d in PROGRAM.definitions if isinstance(d, Let)}
_CHOICES = {d.name: d for d in PROGRAM.definitions if isinstance(d, Choose)}
# What a determination reports (the missing-fact analysis compares the same).
_OUTPUTS = (
    "decision",
    "compliant",
    *(f"{o.id}.{part}" for o in OBLIGATIONS for part in ("applies", "status")),
)
_COMPILED: dict[int, Any] = {}


def _value(e: Expr, env: dict[str, Any], params: Mapping[str, Any]) -> Any:
    fn = _COMPILED.get(id(e))
    if fn is None:
        fn = _COMPILED[id(e)] = compile_expr(e)
    return fn(env, params)


def relevant_facts(facts: Mapping[str, Any], params: Mapping[str, Any]) -> frozenset[str]:
    """The base facts not yet known whose answer could still change a reported output."""
    env = SCALAR.run(dict(facts), params).env
    seen: dict[str, frozenset[str]] = {}

    def name(n: str) -> frozenset[str]:
        if n in seen:
            return seen[n]
        seen[n] = frozenset()  # a cycle cannot add anything
        if env.get(n) is not None and not shaky_name(n):
            out: frozenset[str] = frozenset()
        elif n in PROGRAM.base_facts:
            out = frozenset((n,))
        elif n in _LETS:
            out = expr(_LETS[n].expr)
        elif n in _CHOICES:
            out = choice(_CHOICES[n])
        else:
            out = frozenset()
        seen[n] = out
        return out

    unstable: dict[str, bool] = {}

    def shaky_name(n: str) -> bool:
        """Whether a derived value, though known, rests on something being unknown."""
        if n in unstable:
            return unstable[n]
        unstable[n] = False  # a cycle cannot make it shakier
        if n in _LETS:
            found = shaky(_LETS[n].expr)
        elif n in _CHOICES:
            found = False
            for row in _CHOICES[n].branches:  # the rows up to the one that holds decide it
                if shaky(row.when):
                    found = True
                    break
                if _value(row.when, env, params) is True:
                    break
        else:
            found = False
        unstable[n] = found
        return found

    def shaky(e: Expr) -> bool:
        """Whether the value rests on something being unknown (`Known` of an unknown part):
        answering that part would change it, so it is not settled."""
        if isinstance(e, Known) and _value(e.part, env, params) is None:
            return True
        if isinstance(e, Fact):
            return shaky_name(e.name)
        return any(shaky(c) for c in e.children())

    def settled(e: Expr) -> Any:
        value = _value(e, env, params)
        return None if value is None or shaky(e) else value

    def expr(e: Expr) -> frozenset[str]:
        if settled(e) is not None:
            return frozenset()  # settled: its unknown parts cannot change it
        if isinstance(e, Fact):
            return name(e.name)
        if isinstance(e, If):
            cond = settled(e.cond)
            if cond is True:
                return expr(e.then)
            if cond is False:
                return expr(e.otherwise)
        out: frozenset[str] = frozenset()
        for child in e.children():
            out |= expr(child)
        return out

    def choice(d: Choose) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for row in d.branches:
            holds = settled(row.when)
            if holds is False:
                continue
            out |= expr(row.when)
            if holds is True:
                break  # no later row can win
        return out

    found: frozenset[str] = frozenset()
    for output in _OUTPUTS:
        found |= name(output)
    return frozenset(f for f in found if f in PROGRAM.base_facts)
