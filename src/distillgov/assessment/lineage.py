"""Obligations a student inherits along its lineage, and the conflicts between them.

A student inherits the attribution, naming, licence-scope and pass-down clauses of every teacher
it was distilled from, of every base model whose weights it starts from (`base_models`), and of
every model those were themselves distilled from (catalogue `distilled_from`, or
`teacher.distilled_from` in the case). Each inherited obligation carries the
path it came by. Two duties that cannot both be met (two names each required first; a
non-commercial licence on a commercially deployed student) are reported as conflicts, not resolved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from distillgov.framework.case import Case
from distillgov.teachers.catalogue import INHERITED, ClauseType, Confidence, catalogue
from distillgov.teachers.review import column_of, review_clause


@dataclass(frozen=True, slots=True)
class Inherited:
    duty: str
    what: str
    value: Any
    from_model: str
    path: tuple[str, ...]
    terms: str
    source: str
    confidence: str
    effect: str
    cite: dict[str, str]
    status: str | None = None  # where the case lets it be judged: met, not_met, unknown

    def as_dict(self) -> dict[str, Any]:
        return {
            "duty": self.duty,
            "what": self.what,
            "value": self.value,
            "from": self.from_model,
            "path": list(self.path),
            "terms": self.terms,
            "source": self.source,
            "confidence": self.confidence,
            "effect": self.effect,
            "cite": self.cite,
            "status": self.status,
        }


def lineage_paths(case: Case) -> list[tuple[str, ...]]:
    """Every path from the student to a model it learnt from, directly or through its teachers.

    Cycle-safe: a model already on a path is not entered again."""
    student = case.id or "student"
    roots = [case.teacher.id] if case.teacher.id else []
    roots += [t.id for t in case.additional_teachers]
    roots += case.base_models
    known = catalogue()
    paths: list[tuple[str, ...]] = []

    def parents(model: str, depth: int) -> list[str]:
        listed = list(known[model].model.distilled_from) if model in known else []
        if depth == 1 and model == case.teacher.id:
            listed += [m for m in case.teacher.distilled_from if m not in listed]
        return listed

    def walk(path: tuple[str, ...]) -> None:
        paths.append(path)
        for parent in parents(path[-1], len(path) - 1):
            if parent not in path:
                walk((*path, parent))

    for root in dict.fromkeys(roots):
        walk((student, root))
    return paths


def inherited_obligations(
    case: Case, day: dt.date, levers: Mapping[str, Any], profile_id: str
) -> list[Inherited]:
    known = catalogue()
    own_family = _own_family(case)
    out: list[Inherited] = []
    for path in lineage_paths(case):
        model = path[-1]
        if model not in known:
            continue
        terms = known[model].terms_on(day)
        if terms is None:
            continue
        for clause in terms.of(INHERITED):
            finding = review_clause(clause, levers, column_of(profile_id))
            effect = finding.effect
            if known[model].family.family == own_family:
                effect = "own_licence"  # an owner is not bound by the licence it grants others
            out.append(
                Inherited(
                    duty=clause.type.value,
                    what=clause.summary
                    + (
                        f" (users counted on {clause.measured_on.isoformat()})"
                        if clause.measured_on
                        else ""
                    ),
                    value=clause.value,
                    from_model=model,
                    path=path,
                    terms=terms.id,
                    source=clause.source,
                    confidence=clause.confidence.value,
                    effect=effect,
                    cite=finding.cite.as_dict(),
                    status=_status(clause.type, clause.value, case, effect),
                )
            )
    return out


def _status(kind: ClauseType, value: Any, case: Case, effect: str) -> str | None:
    """Whether a naming duty is met, judged from the student's name; unknown without one. Other
    inherited duties are listed, not judged: the case holds no fact that would decide them."""
    if kind is not ClauseType.NAME_PREFIX or effect == "own_licence":
        return None
    if not case.student_name:
        return "unknown"
    prefix = str(value).casefold()
    return "met" if case.student_name.casefold().startswith(prefix) else "not_met"


def _own_family(case: Case) -> str | None:
    """The catalogue family the distiller owns, when it distils its own teacher."""
    teacher = catalogue().get(case.teacher.id or "")
    if teacher is None or case.distiller.same_owner_as_teacher is not True:
        return None
    return teacher.family.family


def conflicts(case: Case, duties: list[Inherited]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    usable = [
        d
        for d in duties
        if d.confidence != Confidence.UNVERIFIED.value and d.effect != "own_licence"
    ]
    prefixes = [d for d in usable if d.duty == ClauseType.NAME_PREFIX.value]
    for i, a in enumerate(prefixes):
        for b in prefixes[i + 1 :]:
            va, vb = str(a.value), str(b.value)
            # "Llama 3 …" also begins with "Llama": only prefixes that cannot share a name clash.
            if not (va.startswith(vb) or vb.startswith(va)):
                found.append(
                    {
                        "kind": "naming",
                        "between": [a.from_model, b.from_model],
                        "why": f"{a.from_model} requires the name to begin with '{va}' and "
                        f"{b.from_model} with '{vb}': both cannot come first.",
                    }
                )
    if case.deployment is not None and case.deployment.value == "commercial":
        for d in usable:
            if d.duty == ClauseType.NON_COMMERCIAL_ONLY.value:
                found.append(
                    {
                        "kind": "licence_scope",
                        "between": [d.from_model, "deployment"],
                        "why": f"{d.from_model}'s licence allows non-commercial use only, but the "
                        "student is deployed commercially.",
                    }
                )
    return found


def lineage_names(case: Case) -> list[str]:
    return list(dict.fromkeys(p[-1] for p in lineage_paths(case)))
