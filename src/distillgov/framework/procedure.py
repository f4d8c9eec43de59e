"""The decision procedure for one case: facts and a profile in, a cited determination out.

Pure: no files, no clock. The assessment date is an argument.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, partial
from itertools import product
from math import prod
from typing import Any

from distillgov.framework.case import FACTS, Case, contradictions
from distillgov.framework.citations import Citation
from distillgov.framework.determination import Determination, MissingFact, ObligationResult
from distillgov.framework.lenses import lens_notes
from distillgov.framework.levers import ResolvedLevers
from distillgov.framework.missing import MAY_BE_ABSENT, answer_count, probes
from distillgov.framework.rules import (
    DECISION,
    FRAMEWORK_VERSION,
    IMMUNITIES,
    OBLIGATIONS,
    OUTCOMES,
    PROGRAM,
)
from distillgov.framework.scalar import Run, ScalarProgram, Step

SCALAR = ScalarProgram(PROGRAM)
_BRANCH_NOTES = {b.id: b.explain for b in DECISION.branches}

Signature = tuple[Any, ...]


def _signature(env: dict[str, Any]) -> Signature:
    parts: list[Any] = [env["decision"], env["compliant"]]
    for o in OBLIGATIONS:
        parts.append(env[f"{o.id}.applies"])
        parts.append(env[f"{o.id}.status"])
    return tuple(parts)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _missing_facts(run: Run, facts: dict[str, Any], levers: ResolvedLevers) -> list[MissingFact]:
    found: list[MissingFact] = []
    for name in sorted(run.missing):
        outcomes: list[dict[str, Any]] = []
        signatures: set[Signature] = set()
        for value in probes(name, run.env, levers.values):
            trial = dict(facts)
            trial[name] = value
            if contradictions(trial):
                continue  # an answer the other facts already rule out
            env = SCALAR.run(trial, levers.values).env
            signatures.add(_signature(env))
            decision = env["decision"]
            outcome = OUTCOMES[decision] if decision else None
            outcomes.append(
                {
                    "value": _iso(value),
                    "category": outcome.category.value if outcome else None,
                    "rule": outcome.rule.value if outcome else None,
                    "compliant": env["compliant"],
                    "violations": [
                        o.id
                        for o in OBLIGATIONS
                        if env[f"{o.id}.applies"] is True and env[f"{o.id}.status"] == "breached"
                    ],
                }
            )
        if len(signatures) > 1:
            found.append(MissingFact(name, FACTS[name].question, tuple(outcomes)))
    return found


# What the joint analysis may settle: the outcome, each obligation, and the immunities.
SETTLEABLE = (
    "decision",
    "category",
    "rule",
    "compliant",
    "immunities.hold",
    *(f"{o.id}.{part}" for o in OBLIGATIONS for part in ("applies", "status")),
)
MAX_COMBINATIONS = 256  # answers tried together; beyond this, nothing is settled


def settle(
    run: Run, facts: dict[str, Any], levers: ResolvedLevers
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Try every combination of answers to the unknown facts together; a result on which they
    all agree is settled, whatever the answers (docs/interpretations.md 81). Returns the env
    with settled values filled in, and the names of what was settled."""
    names = sorted(run.missing)
    if not names or prod(answer_count(n, levers.values) for n in names) > MAX_COMBINATIONS:
        return run.env, ()
    options = [
        [*probes(name, run.env, levers.values), *([None] if name in MAY_BE_ABSENT else [])]
        for name in names
    ]
    envs = []
    for answers in product(*options):
        trial = dict(facts)
        trial.update(zip(names, answers, strict=True))
        if not contradictions(trial):
            envs.append(SCALAR.run(trial, levers.values).env)
    env = dict(run.env)
    settled = []
    for key in SETTLEABLE:
        if key.endswith(".status") and env[key.removesuffix("status") + "applies"] is False:
            continue  # the status of an obligation that does not apply is not reported
        if env[key] is None and envs:
            values = {e[key] for e in envs}
            if len(values) == 1 and None not in values:
                env[key] = values.pop()
                settled.append(key)
    return env, tuple(settled)


def _trace(
    steps: list[Step], env: dict[str, Any], levers: ResolvedLevers
) -> tuple[dict[str, Any], ...]:
    shown = {k: v.isoformat() if type(v) is dt.date else v for k, v in env.items()}
    lever_values = _lever_values(levers)
    lines: list[dict[str, Any]] = []
    for number, (info, outcome) in enumerate(steps, 1):
        line: dict[str, Any] = {
            "step": number,
            "rule": info.rule,
            "outcome": _ROW_OUTCOME[outcome] if info.is_row else _iso(outcome),
            "facts": {n: shown[n] for n in info.facts},
        }
        if info.derived:
            line["derived"] = {n: shown[n] for n in info.derived}
        if info.levers:
            line["levers"] = {n: lever_values[n] for n in info.levers}
        line["source"] = info.source
        line["note"] = info.note
        lines.append(line)
    for o, facts_read in _OBLIGATION_FACTS:
        applies = env[f"{o.id}.applies"]
        if applies is False:
            continue
        status = env[f"{o.id}.status"] or "unknown"
        lines.append(
            {
                "step": len(lines) + 1,
                "rule": f"obligation:{o.id}",
                "outcome": f"{'applies' if applies else 'may apply'}; status {status}",
                "facts": {n: shown[n] for n in facts_read},
                "source": o.cite.as_dict(),
                "note": o.what,
            }
        )
    holds = env["immunities.hold"]
    conditions = [
        (o, facts)
        for o, facts in _OBLIGATION_FACTS
        if o.conditions_immunity and env[f"{o.id}.applies"] is not False
    ]
    for i, claim_facts in _IMMUNITY_FACTS:
        if env[f"immunity.{i.id}.claimed"] is not True:
            continue
        read = sorted(set(claim_facts).union(*(facts for _, facts in conditions)))
        lines.append(
            {
                "step": len(lines) + 1,
                "rule": f"immunity:{i.id}",
                "outcome": _IMMUNITY_OUTCOME[holds],
                "facts": {n: shown[n] for n in read},
                "derived": {"category": shown["category"], "immunities.hold": holds},
                "conditions": [o.id for o, _ in conditions],
                "source": i.cite.as_dict(),
                "note": i.explain,
            }
        )
    return tuple(lines)


_IMMUNITY_OUTCOME = {True: "holds", False: "suspended", None: "unknown"}
# The facts behind an immunity's claim (its conditions' facts are those of their obligations).
_IMMUNITY_FACTS = tuple((i, tuple(sorted(PROGRAM.base_refs(i.claimed)))) for i in IMMUNITIES)


@cache
def _lever_values(levers: ResolvedLevers) -> dict[str, Any]:
    return {name: _lever_json(value) for name, value in levers.values.items()}


_ROW_OUTCOME = {True: "applies", False: "does not apply", None: "unknown"}
# The facts behind an obligation line: those deciding whether it applies and what its status is.
_OBLIGATION_FACTS = tuple(
    (
        o,
        tuple(
            sorted(
                PROGRAM.base_refs(o.applies).union(
                    *(PROGRAM.base_refs(cond) for _, cond in o.status)
                )
            )
        ),
    )
    for o in OBLIGATIONS
)


def _lever_json(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value


# Per obligation, worked out once: its env keys, its source as JSON, what its due date is.
_OBLIGATION_KEYS = tuple(
    (o, f"{o.id}.applies", f"{o.id}.status", o.cite.as_dict(), o.due or "continuing")
    for o in OBLIGATIONS
)


def _obligations(env: dict[str, Any]) -> tuple[ObligationResult, ...]:
    out = []
    for o, applies_key, status_key, source, basis in _OBLIGATION_KEYS:
        applies = env[applies_key]
        if applies is False:
            continue
        due = env[o.due] if o.due else None
        out.append(
            ObligationResult(
                o.id,
                o.what,
                applies,
                env[status_key],
                _iso(due),
                basis,
                source,
                o.conditions_immunity,
            )
        )
    return tuple(out)


def _immunities(
    env: dict[str, Any], obligations: tuple[ObligationResult, ...]
) -> tuple[dict[str, Any], ...]:
    """The immunities the case claims, as the rule program decided them."""
    claimed = [i.id for i in IMMUNITIES if env[f"immunity.{i.id}.claimed"] is True]
    if not claimed:
        return ()
    conditions = [o for o in obligations if o.conditions_immunity]
    breached = [o.id for o in conditions if o.applies and o.status == "breached"]
    holds = env["immunities.hold"]
    assert (holds is False) == bool(breached), "a suspended immunity names what suspended it"
    return tuple(
        {
            "id": name,
            "holds": holds,
            "conditions": [o.id for o in conditions],
            "suspended_by": breached,
        }
        for name in claimed
    )


def _royalty(env: dict[str, Any], category: str | None, levers: ResolvedLevers) -> dict[str, Any]:
    rule = env["rule"]
    cloning = category == "commercial_cloning"
    # Who sets the rate matters only where a compulsory licence is open or will open: in the
    # window, or during exclusivity where it will be available; not once use is royalty-free.
    licensable = (
        cloning
        and env["phase"] in ("exclusivity", "licence_window")
        and env["licence_available"] is not False
    )
    return {
        "due": None if rule is None else rule == "compulsory_license",
        "phase": env["phase"] if cloning else None,
        "window_start": _iso(env["window_start"]) if cloning else None,
        "window_end": _iso(env["window_end"]) if cloning else None,
        "rate_setter": levers.values["royalty.rate_setter"] if licensable else None,
        "basis": "usage-based royalty under the compulsory licence"
        if rule == "compulsory_license"
        else None,
        "shared_with_creators": levers.values["royalty.shared_with_creators"]
        if licensable
        else None,
    }


def _summary(decision: str | None, missing: list[MissingFact]) -> str:
    if decision is None:
        names = ", ".join(m.fact for m in missing) or "facts"
        return f"Not determined: the outcome depends on {names}."
    return _BRANCH_NOTES[decision]


@cache
def _levers_json(levers: ResolvedLevers) -> dict[str, Any]:
    return {
        name: {
            "value": _lever_json(v.value),
            "from": v.effective_from.isoformat(),
            "source": v.cite.as_dict(),
        }
        for name, v in levers.sources.items()
    }


def assess(case: Case, levers: ResolvedLevers, on: dt.date) -> Determination:
    """Determine a case under the lever values in force on a date (`levers` must be the values
    resolved for `on`: the framework reads no profile, no file and no clock)."""
    facts = case.facts()
    facts["assessed_on"] = on
    run = SCALAR.run(facts, levers.values)
    env, settled = settle(run, facts, levers) if run.missing else (run.env, ())
    missing = _missing_facts(run, facts, levers) if run.missing else []
    decision = env["decision"]
    category = env["category"]
    obligations = _obligations(env)
    return Determination(
        case={"id": case.id, "title": case.title},
        assessed_on=on.isoformat(),
        profile=levers.regime.as_dict(),
        category=category,
        rule=env["rule"],
        compliant=env["compliant"],
        decision=decision,
        summary=_summary(decision, missing),
        obligations=obligations,
        violations=tuple(o.id for o in obligations if o.applies and o.status == "breached"),
        immunities=_immunities(env, obligations),
        royalty=_royalty(env, category, levers),
        trace_builder=partial(_trace, run.steps, env, levers),
        lenses=lens_notes(decision, env["phase"]),
        missing_facts=tuple(missing),
        levers=_levers_json(levers),  # memoised per resolved lever set
        framework_version=FRAMEWORK_VERSION,
        consequences=CONSEQUENCES.get(category or "", ()),
        settled=_settled_json(settled, env, sorted(run.missing)),
        scope=_scope(levers.regime.name, levers.regime.id),
    )


# The illicit row prescribes a complete ban and full legal punishment, with no fair-use excuse:
# named as classes of consequence, not as a penalty the framework does not set.
CONSEQUENCES: dict[str, tuple[dict[str, Any], ...]] = {
    "illicit": tuple(
        {"what": what, "source": Citation("types", "illicit").as_dict()}
        for what in (
            "Banned outright: no compulsory licence, exemption or safe harbour is available.",
            "No fair-use or similar defence can excuse it.",
            "Full legal liability for the improper means used, under the remedies the "
            "jurisdiction provides for them (contract, trade secrets, computer misuse, privacy).",
        )
    )
}


def _settled_json(
    settled: tuple[str, ...], env: dict[str, Any], without: list[str]
) -> dict[str, Any]:
    if not settled:
        return {}
    return {
        "values": {key: _iso(env[key]) for key in settled},
        "whatever_the_answers_to": without,
    }


@cache
def _scope(name: str, profile_id: str) -> str:
    return (
        f"Applies the {name} profile ({profile_id}) only. It says nothing of how another "
        "jurisdiction would judge the same acts, and a result here is no defence there."
    )
