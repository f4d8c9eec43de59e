"""Filling a case's teacher facts from the catalogue: the terms in force on the assessment date.

Facts the case gives always win. A clause or date marked unverified is never used: the fact stays
unknown, and the determination's missing-fact analysis shows what it would change. Every filled
fact records where it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from distillgov.teachers.catalogue import (
    ANTI_DISTILLATION,
    GRANTS,
    ClauseType,
    Confidence,
    Teacher,
    TermsVersion,
    catalogue,
)

NON_COMMERCIAL = frozenset({"none", "non_commercial_release"})


@dataclass(frozen=True, slots=True)
class Filled:
    fact: str
    value: Any
    source: str
    confidence: str

    def as_dict(self) -> dict[str, Any]:
        value = self.value.isoformat() if isinstance(self.value, dt.date) else self.value
        return {
            "fact": self.fact,
            "value": value,
            "source": self.source,
            "confidence": self.confidence,
        }


def _usable(confidence: Confidence | None) -> bool:
    return confidence is not None and confidence is not Confidence.UNVERIFIED


def catalogue_facts(teacher: Teacher, day: dt.date, deployment: str | None) -> list[Filled]:
    """What the catalogue establishes about a teacher on a date, for a deployment."""
    m, origin = teacher.model, f"catalogue {teacher.family.family}/{teacher.id}"
    out: list[Filled] = []
    if m.release_date is not None and _usable(m.release_confidence):
        out.append(
            Filled(
                "teacher.release_date",
                m.release_date,
                str(m.release_source),
                str(m.release_confidence),
            )
        )
    if m.weights_public is not None:
        out.append(Filled("teacher.weights_public", m.weights_public, origin, "secondary"))
    if m.outputs_public is not None:
        out.append(Filled("teacher.outputs_public", m.outputs_public, origin, "secondary"))
    terms = teacher.terms_on(day)
    if terms is None or not _usable(terms.confidence):
        return out
    out.extend(_terms_facts(terms, deployment))
    return out


def _terms_facts(terms: TermsVersion, deployment: str | None) -> list[Filled]:
    out: list[Filled] = []

    def clause_source(kind: frozenset[ClauseType]) -> tuple[str, str]:
        c = terms.of(kind, usable_only=True)[0]
        return f"{terms.id} {c.section or ''}".strip(), c.confidence.value

    anti = terms.of(ANTI_DISTILLATION, usable_only=True)
    if anti:
        src, conf = clause_source(ANTI_DISTILLATION)
        out.append(Filled("teacher.terms.forbids_distillation", True, src, conf))
        # The public terms withhold consent; a private licence would be stated in the case.
        out.append(Filled("consent.granted", False, src, conf))
    elif not terms.of(ANTI_DISTILLATION):
        out.append(
            Filled("teacher.terms.forbids_distillation", False, terms.id, terms.confidence.value)
        )
    research = frozenset({ClauseType.NO_RESEARCH_USE})
    if terms.of(research, usable_only=True):
        src, conf = clause_source(research)
        out.append(Filled("teacher.terms.forbids_research", True, src, conf))
    elif not terms.of(research):
        out.append(
            Filled("teacher.terms.forbids_research", False, terms.id, terms.confidence.value)
        )
    if not anti and terms.of(GRANTS, usable_only=True):
        src, conf = clause_source(GRANTS)
        non_commercial = terms.of(frozenset({ClauseType.NON_COMMERCIAL_ONLY}), usable_only=True)
        if not non_commercial:
            out.append(Filled("consent.granted", True, src, conf))
        elif deployment in NON_COMMERCIAL:
            out.append(Filled("consent.granted", True, src + " (non-commercial use only)", conf))
    elif terms.of(frozenset({ClauseType.NON_COMMERCIAL_ONLY}), usable_only=True):
        src, conf = clause_source(frozenset({ClauseType.NON_COMMERCIAL_ONLY}))
        if deployment in NON_COMMERCIAL:
            out.append(Filled("consent.granted", True, src + " (non-commercial use only)", conf))
        elif deployment == "commercial":
            out.append(Filled("consent.granted", False, src + " (non-commercial use only)", conf))
    return out


def get_path(data: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted path of case data, None where any part is missing."""
    node: Any = data
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set the value at a dotted path of case data, making the sections on the way."""
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


@dataclass(frozen=True)
class TeacherRecord:
    """What the catalogue contributed to a case."""

    teacher_id: str
    in_catalogue: bool
    family: str | None
    terms: TermsVersion | None
    filled: tuple[Filled, ...]
    note: str

    def as_dict(self) -> dict[str, Any]:
        t = self.terms
        return {
            "teacher": self.teacher_id,
            "in_catalogue": self.in_catalogue,
            "family": self.family,
            "terms_version": None
            if t is None
            else {
                "id": t.id,
                "name": t.name,
                "effective": t.effective.isoformat(),
                "source": t.source,
                "confidence": t.confidence.value,
            },
            "filled_facts": [f.as_dict() for f in self.filled],
            "note": self.note,
        }


def complete_data(
    data: dict[str, Any], day: dt.date
) -> tuple[dict[str, Any], TeacherRecord | None]:
    """Case data (as loaded from a file) with unknown teacher facts filled from the catalogue."""
    teacher_id = get_path(data, "teacher.id")
    if not teacher_id:
        return data, None
    teacher = catalogue().get(str(teacher_id))
    if teacher is None:
        note = f"'{teacher_id}' is not in the catalogue: its terms come from the case alone."
        return data, TeacherRecord(str(teacher_id), False, None, None, (), note)
    out = _deep_copy(data)
    filled = []
    for f in catalogue_facts(teacher, day, get_path(data, "deployment")):
        if get_path(out, f.fact) is None:
            set_path(out, f.fact, f.value)
            filled.append(f)
    if get_path(out, "teacher.owner") is None:
        set_path(out, "teacher.owner", teacher.family.owner)
    terms = teacher.terms_on(day)
    if terms is None:
        note = f"No terms version of '{teacher.id}' in the catalogue was in force on {day}."
    elif not _usable(terms.confidence):
        note = f"The terms in force ({terms.id}) are unverified: none of their clauses is used."
    else:
        note = f"Terms in force on {day}: {terms.name}."
    return out, TeacherRecord(teacher.id, True, teacher.family.family, terms, tuple(filled), note)


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in data.items()}
