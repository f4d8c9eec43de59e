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
    Clause,
    ClauseType,
    Confidence,
    Teacher,
    TermsVersion,
    catalogue,
    in_region,
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


def catalogue_facts(
    teacher: Teacher,
    day: dt.date,
    deployment: str | None,
    region: str | None = None,
    bases: tuple[str, ...] = (),
) -> list[Filled]:
    """What the catalogue establishes about a teacher on a date, for a deployment, a distiller
    established in `region` (a country code, or None when not known) and a student built on
    `bases` (the case's base models)."""
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
    out.extend(_terms_facts(terms, deployment, teacher.id, region, bases))
    return out


def regional_exclusion(
    terms: TermsVersion, model: str, region: str | None
) -> tuple[Clause | None, bool | None]:
    """The usable regional exclusion of these terms that covers the model, and whether it
    excludes a distiller established in `region` (None: the region is not known)."""
    for c in terms.of(frozenset({ClauseType.REGIONAL_EXCLUSION}), usable_only=True):
        if c.covers(model):
            if region is None:
                return c, None
            if any(in_region(region, r) for r in c.regions or []):
                return c, True
    return None, False


def carve_out(terms: TermsVersion, bases: tuple[str, ...]) -> Clause | None:
    """The usable permitted use of these terms that takes a student built on one of `bases`
    out of their ban."""
    for c in terms.of(frozenset({ClauseType.PERMITTED_USE}), usable_only=True):
        if c.bases and set(c.bases) & set(bases):
            return c
    return None


def _terms_facts(
    terms: TermsVersion,
    deployment: str | None,
    model: str = "",
    region: str | None = None,
    bases: tuple[str, ...] = (),
) -> list[Filled]:
    out: list[Filled] = []
    excluded, applies = regional_exclusion(terms, model, region)
    if excluded is not None and applies:
        where = ", ".join(excluded.regions or [])
        src = f"{terms.id} {excluded.section or ''}".strip()
        out.append(
            Filled(
                "consent.granted", False, f"{src} (no licence in {where})",
                excluded.confidence.value,
            )
        )  # fmt: skip
    licensed_here = excluded is None or applies is False
    carved = carve_out(terms, bases)
    if carved is not None and terms.of(ANTI_DISTILLATION, usable_only=True):
        # The ban does not reach this student, and (where the licence is granted) its grant does.
        src = f"{terms.id} {carved.section or ''} (built on {', '.join(carved.bases or [])})"
        conf = carved.confidence.value
        out.append(Filled("teacher.terms.forbids_distillation", False, src.strip(), conf))
        if licensed_here:
            out.append(Filled("consent.granted", True, src.strip(), conf))

    def clause_source(kind: frozenset[ClauseType]) -> tuple[str, str]:
        c = terms.of(kind, usable_only=True)[0]
        return f"{terms.id} {c.section or ''}".strip(), c.confidence.value

    anti = terms.of(ANTI_DISTILLATION, usable_only=True)
    if anti and carved is None:
        src, conf = clause_source(ANTI_DISTILLATION)
        out.append(Filled("teacher.terms.forbids_distillation", True, src, conf))
        # The public terms withhold consent; a private licence would be stated in the case.
        out.append(Filled("consent.granted", False, src, conf))
    elif not anti and not terms.of(ANTI_DISTILLATION):
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
    if not licensed_here:
        # No licence where the distiller is established, or not known whether it is: the
        # grant cannot be read as consent (a known exclusion said so above).
        return out
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
    region = get_path(data, "distiller.region")
    bases = tuple(str(b) for b in get_path(data, "base_models") or ())
    for f in catalogue_facts(teacher, day, get_path(data, "deployment"), region, bases):
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
        excluded, applies = regional_exclusion(terms, teacher.id, region)
        if excluded is not None and applies is None:
            note += (
                f" They grant no licence to distillers established in "
                f"{', '.join(excluded.regions or [])}: give distiller.region to settle consent."
            )
    return out, TeacherRecord(teacher.id, True, teacher.family.family, terms, tuple(filled), note)


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in data.items()}
