"""The vectorised twin of the procedure: the same rule program run over columns of many encoded
cases at once, with missing facts confirmed by the same probes as for one case. Encoding a file
into columns, and the table of results, belong to `distillgov.assessment.batch`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from distillgov.framework.case import CONTRADICTIONS, FACTS
from distillgov.framework.levers import LEVERS, ResolvedLevers
from distillgov.framework.missing import probes_vector
from distillgov.framework.rules import OBLIGATIONS, PROGRAM
from distillgov.framework.vector import CODES, T, VectorCompiler, VectorProgram, tri

FACT_KINDS = {name: spec.kind for name, spec in FACTS.items()}
FACT_KINDS["assessed_on"] = "date"
PARAM_KINDS = {name: lever.kind for name, lever in LEVERS.items()}
VECTOR = VectorProgram(PROGRAM, FACT_KINDS, PARAM_KINDS)
CONTRADICTION_CHECKS = tuple(
    VectorCompiler(FACT_KINDS, PARAM_KINDS).compile(c.when) for c in CONTRADICTIONS
)


def signature(env: Mapping[str, Any]) -> np.ndarray[Any, Any]:
    parts = [env["decision"], env["compliant"]]
    for o in OBLIGATIONS:
        parts.append(env[f"{o.id}.applies"])
        parts.append(env[f"{o.id}.status"])
    return np.stack([np.asarray(p, dtype=np.int32) for p in parts], axis=1)


def take(columns: Mapping[str, np.ndarray[Any, Any]], rows: np.ndarray[Any, Any]) -> dict[str, Any]:
    return {k: v[rows] for k, v in columns.items()}


def encoded_probe(name: str, value: Any, n: int) -> np.ndarray[Any, Any]:
    kind = FACT_KINDS[name]
    if kind == "bool":
        return np.full(n, tri(bool(value)), dtype=np.int8)
    if kind == "enum":
        return np.full(n, CODES.code(value), dtype=np.int32)
    return np.asarray(value)


def confirm_missing(
    program: VectorProgram,
    columns: Mapping[str, np.ndarray[Any, Any]],
    derived: Mapping[str, np.ndarray[Any, Any]],
    candidates: Mapping[str, np.ndarray[Any, Any]],
    params: Mapping[str, Any],
) -> dict[str, np.ndarray[Any, Any]]:
    """Keep a candidate fact only on rows where two of its values lead to different outcomes.
    `derived` is the run's values, from which the probes of dates and counts are placed."""
    known = {**derived, **columns}
    confirmed: dict[str, np.ndarray[Any, Any]] = {}
    for name, mask in candidates.items():
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            continue
        sub = take(columns, rows)
        around = take(known, rows)
        m = rows.size
        reference: np.ndarray[Any, Any] | None = None
        have_ref = np.zeros(m, dtype=bool)
        differs = np.zeros(m, dtype=bool)
        for values, valid in probes_vector(name, around, params, m, program.compile):
            trial = dict(sub)
            trial[name] = encoded_probe(name, values, m)
            sig = signature(program.run(trial, params, m).env)
            valid = np.broadcast_to(valid, (m,)).copy()
            for check in CONTRADICTION_CHECKS:
                valid &= check(trial, {}) != T  # an answer the other facts already rule out
            if reference is None:
                reference = sig.copy()
            fresh = valid & ~have_ref
            reference[fresh] = sig[fresh]
            differs |= valid & have_ref & (sig != reference).any(axis=1)
            have_ref |= valid
        hit = np.zeros(mask.shape[0], dtype=bool)
        hit[rows[differs]] = True
        if hit.any():
            confirmed[name] = hit
    return confirmed


def evaluate(
    columns: Mapping[str, np.ndarray[Any, Any]],
    levers_on: Callable[[dt.date], ResolvedLevers],
    n: int,
    program: VectorProgram = VECTOR,
) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, np.ndarray[Any, Any]]]:
    """Run the rules over encoded columns: (derived values by name, missing-fact masks)."""
    days = columns["assessed_on"]
    unique_days = np.unique(days)
    resolved = {d: levers_on(d.astype("datetime64[D]").item()) for d in unique_days}
    versions = {levers.version for levers in resolved.values()}
    if len(versions) == 1:
        levers = next(iter(resolved.values()))
        run = program.run(columns, levers.values, n)
        return run.env, confirm_missing(program, columns, run.env, run.missing, levers.values)
    # Rows whose dates fall under different lever values are evaluated group by group.
    env: dict[str, np.ndarray[Any, Any]] = {}
    missing: dict[str, np.ndarray[Any, Any]] = {}
    for version in sorted(versions):
        group_days = [d for d, lv in resolved.items() if lv.version == version]
        levers = resolved[group_days[0]]
        rows = np.flatnonzero(np.isin(days, group_days))
        sub = take(columns, rows)
        run = program.run(sub, levers.values, rows.size)
        for name, values in run.env.items():
            if name not in env:
                env[name] = np.empty(n, dtype=np.asarray(values).dtype)
            env[name][rows] = values
        for name, mask in confirm_missing(
            program, sub, run.env, run.missing, levers.values
        ).items():
            missing.setdefault(name, np.zeros(n, dtype=bool))[rows[mask]] = True
    return env, missing
