"""A determination with the catalogue's help: what the front doors call.

1. Fill the teacher's unknown facts from the catalogue (terms in force on the assessment date).
2. Assess under the framework.
3. Assess every other teacher of the student as its own lineage link; list the duties inherited
   along the lineage and the conflicts between them.
4. Optionally, the nearest compliant variants (`suggest.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from distillgov.assessment.casefiles import case_from_data
from distillgov.assessment.completion import TeacherRecord, complete_data
from distillgov.assessment.lineage import conflicts, inherited_obligations, lineage_names
from distillgov.assessment.suggest import nearest_compliant, other_profiles
from distillgov.errors import InvalidCase, problems_from
from distillgov.framework import Case, Determination, assess
from distillgov.jurisdictions.profile import Profile, load_profile


def determine(case: Case, profile: Profile, on: dt.date | None = None) -> Determination:
    """The framework's determination under a profile as of a date (the case's own date if none
    is given), without the catalogue's help."""
    day = on or case.assessed_on
    if day is None:
        raise InvalidCase(
            "no assessment date: set 'assessed_on' in the case or pass the date explicitly"
        )
    return assess(case, profile.as_of(day), day)


def complete(case: Case, day: dt.date) -> tuple[Case, TeacherRecord | None]:
    """The case with its teacher's unknown facts filled from the catalogue."""
    data, record = complete_data(case.model_dump(), day)
    if record is None or not record.filled:
        return case, record
    try:
        return Case.model_validate(data), record
    except ValidationError as exc:
        sources = "; ".join(f"{f.fact} from {f.source}" for f in record.filled)
        raise InvalidCase(
            f"the case contradicts the catalogue's facts for '{record.teacher_id}' ({sources})",
            problems_from(exc, Case),
        ) from None


def _link(case: Case, profile: Profile, day: dt.date, index: int) -> dict[str, Any]:
    other = case.additional_teachers[index]
    data = case.model_dump()
    data["teacher"] = {"id": other.id}
    data["consent"] = {"granted": other.consent_granted}
    if other.access is not None:
        data["access"] = other.access.value
    data["additional_teachers"] = []
    linked, _ = complete(Case.model_validate(data), day)
    return _summary(other.id, determine(linked, profile, day))


def _summary(teacher: str | None, d: Determination) -> dict[str, Any]:
    return {
        "teacher": teacher,
        "category": d.category,
        "rule": d.rule,
        "compliant": d.compliant,
        "violations": list(d.violations),
        "missing_facts": [m.fact for m in d.missing_facts],
    }


def _all(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def assess_case(case: Case, profile: Profile, day: dt.date, suggest: bool = False) -> Determination:
    completed, record = complete(case, day)
    determination = determine(completed, profile, day)
    extra: dict[str, Any] = {}
    if record is not None:
        extra["teacher_terms"] = record.as_dict()
    learnt = determination.category != "not_distillation"  # no student learnt from the teacher
    if learnt and (
        case.additional_teachers
        or case.base_models
        or completed.teacher.distilled_from
        or record is not None
    ):
        levers = profile.as_of(day).values
        duties = inherited_obligations(completed, day, levers, profile.id)
        links = [_summary(completed.teacher.id, determination)]
        links += [_link(completed, profile, day, i) for i in range(len(case.additional_teachers))]
        models = lineage_names(completed)
        disclosing = any(o.id == "transparency_disclosure" for o in determination.obligations)
        bases = [m for m in models if m in completed.base_models]
        extra["lineage"] = {
            "models": models,
            # Bases give the student its starting weights; the rest taught it (docs/rules.md).
            "teachers": [m for m in models if m not in bases],
            "bases": bases,
            # The framework's transparency duty covers the whole lineage, not only the teacher.
            "disclosure_must_name": models if disclosing else [],
            "links": links,
            "all_links_compliant": _all([link["compliant"] for link in links]),
            "inherited_obligations": [d.as_dict() for d in duties],
            "conflicts": conflicts(completed, duties),
        }
    if suggest:
        extra["suggestions"] = nearest_compliant(completed, profile, day, determination)
        extra["other_profiles"] = other_profiles(completed, profile, day)
    determination.extra.update(extra)
    return determination


def resolve(
    case_data: dict[str, Any], jurisdiction: str | None, on: dt.date | None, origin: str = "case"
) -> tuple[Case, Profile, dt.date]:
    """A case sent as data, the profile it is assessed under (the one named, else the case's
    own) and the day (the one given, else the case's, else today)."""
    case = case_from_data(case_data, origin)
    day = on or case.assessed_on or dt.date.today()
    return case, load_profile(jurisdiction or case.jurisdiction, None), day


def assess_data(
    case_data: dict[str, Any],
    jurisdiction: str | None,
    on: dt.date | None,
    origin: str = "case",
    suggest: bool = False,
) -> tuple[Determination, Profile, dt.date]:
    case, profile, day = resolve(case_data, jurisdiction, on, origin)
    return assess_case(case, profile, day, suggest), profile, day
