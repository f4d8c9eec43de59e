"""The vectorised twin of the procedure: the same rule program run over columns of many encoded
cases at once, with missing facts confirmed by the same probes as for one case. Encoding a file
into columns, and the table of results, belong to `distillgov.assessment.batch`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from itertools import product
from math import prod
from typing import Any

import numpy as np

from distillgov.framework.case import CONTRADICTIONS, FACTS
from distillgov.framework.levers import LEVERS, ResolvedLevers
from distillgov.framework.missing import MAY_BE_ABSENT, answer_count, probes_vector
from distillgov.framework.procedure import MAX_COMBINATIONS, SETTLEABLE
from distillgov.framework.rules import OBLIGATIONS, PROGRAM
from distillgov.framework.vector import CODES, F, T, U, VectorCompiler, VectorProgram, tri

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
    if value is None and kind == "date":  # the answer "none" (MAY_BE_ABSENT)
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
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


SETTLEABLE_ENUMS = frozenset(key for key in SETTLEABLE if PROGRAM.kinds[key] == "enum")


def settle_columns(
    program: VectorProgram,
    columns: Mapping[str, np.ndarray[Any, Any]],
    env: dict[str, np.ndarray[Any, Any]],
    candidates: Mapping[str, np.ndarray[Any, Any]],
    params: Mapping[str, Any],
    n: int,
) -> dict[str, np.ndarray[Any, Any]]:
    """The twin of `procedure.settle`: per row, every combination of answers to its unknown
    facts, tried together; where all agree on a result the row had unknown, it is settled."""
    if not candidates:
        return env
    names = sorted(candidates)
    pattern = np.stack([np.asarray(candidates[name], dtype=bool) for name in names], axis=1)
    rows_with = np.flatnonzero(pattern.any(axis=1))
    if rows_with.size == 0:
        return env
    env = {k: np.array(v, copy=True) for k, v in env.items()}
    known = {**env, **columns}
    groups: dict[bytes, list[int]] = {}
    for row in rows_with:
        groups.setdefault(pattern[row].tobytes(), []).append(int(row))
    for key_bytes, members in groups.items():
        mask = np.frombuffer(key_bytes, dtype=bool)
        unknown = [name for name, on in zip(names, mask, strict=True) if on]
        if prod(answer_count(name, params) for name in unknown) > MAX_COMBINATIONS:
            continue
        rows = np.asarray(members)
        m = rows.size
        sub = take(columns, rows)
        around = take(known, rows)
        options = [
            [
                *probes_vector(name, around, params, m, program.compile),
                *([(None, np.ones(m, dtype=bool))] if name in MAY_BE_ABSENT else []),
            ]
            for name in unknown
        ]
        first: dict[str, np.ndarray[Any, Any]] = {}
        agree = {key: np.ones(m, dtype=bool) for key in SETTLEABLE}
        seen = np.zeros(m, dtype=bool)
        for answers in product(*options):
            trial = dict(sub)
            valid = np.ones(m, dtype=bool)
            for name, (values, ok) in zip(unknown, answers, strict=True):
                trial[name] = encoded_probe(name, values, m)
                valid &= np.broadcast_to(ok, (m,))
            for check in CONTRADICTION_CHECKS:
                valid &= check(trial, {}) != T
            out = program.run(trial, params, m).env
            for key in SETTLEABLE:
                value = np.broadcast_to(np.asarray(out[key]), (m,))
                if key not in first:
                    first[key] = np.array(value, copy=True)
                fresh = valid & ~seen
                first[key][fresh] = value[fresh]
                agree[key] &= ~(valid & seen) | (value == first[key])
            seen |= valid
        for key in SETTLEABLE:
            current = env[key][rows]
            enum = key in SETTLEABLE_ENUMS
            is_unknown = current < 0 if enum else current == U
            value = first[key]
            value_known = value >= 0 if enum else value != U
            take_it = is_unknown & agree[key] & seen & value_known
            if key.endswith(".status"):  # as for one case: not for an obligation that is out
                applies = env[key.removesuffix("status") + "applies"][rows]
                take_it &= applies != F
            env[key][rows[take_it]] = value[take_it]
    return env


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
        settled = settle_columns(program, columns, run.env, run.missing, levers.values, n)
        return settled, confirm_missing(program, columns, run.env, run.missing, levers.values)
    # Rows whose dates fall under different lever values are evaluated group by group.
    env: dict[str, np.ndarray[Any, Any]] = {}
    missing: dict[str, np.ndarray[Any, Any]] = {}
    for version in sorted(versions):
        group_days = [d for d, lv in resolved.items() if lv.version == version]
        levers = resolved[group_days[0]]
        rows = np.flatnonzero(np.isin(days, group_days))
        sub = take(columns, rows)
        run = program.run(sub, levers.values, rows.size)
        settled = settle_columns(program, sub, run.env, run.missing, levers.values, rows.size)
        for name, values in settled.items():
            if name not in env:
                env[name] = np.empty(n, dtype=np.asarray(values).dtype)
            env[name][rows] = values
        for name, mask in confirm_missing(
            program, sub, run.env, run.missing, levers.values
        ).items():
            missing.setdefault(name, np.zeros(n, dtype=bool))[rows[mask]] = True
    return env, missing
