"""Narrow questions answered by the one rule program, for parts that need an answer without a
whole case: where a day falls in a licence window (the clearinghouse's licence state), and how
far a teacher's clauses reach under a profile's levers (the terms review). Each answer is the
value of a definition in `rules.PROGRAM`, evaluated on just the values it reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from distillgov.framework.logic import Let
from distillgov.framework.rules import PROGRAM
from distillgov.framework.scalar import compile_expr

_LETS = {d.name: d for d in PROGRAM.definitions if isinstance(d, Let)}
_PHASE = compile_expr(_LETS["phase"].expr)
_REACH = tuple(
    (name, compile_expr(_LETS[name].expr))
    for name in (
        "contract.anti_distillation_reach",
        "contract.anti_distillation_effect",
        "contract.research_clause_reach",
    )
)


def phase_on(day: dt.date, window_start: dt.date, window_end: dt.date) -> str:
    """exclusivity, licence_window or royalty_free: the rules' `phase` for this window."""
    env = {"assessed_on": day, "window_start": window_start, "window_end": window_end}
    phase = _PHASE(env, {})
    assert phase in ("exclusivity", "licence_window", "royalty_free"), phase
    return str(phase)


def clause_reach(levers: Mapping[str, Any]) -> dict[str, str]:
    """The contract-reach definitions under these lever values, by name without `contract.`:
    anti_distillation_reach, anti_distillation_effect, research_clause_reach."""
    env: dict[str, Any] = {}
    for name, fn in _REACH:
        env[name] = fn(env, levers)
    return {name.removeprefix("contract."): str(value) for name, value in env.items()}
