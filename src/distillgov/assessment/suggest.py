"""The nearest compliant variants of a case that is prohibited, non-compliant or undetermined.

Candidate changes are the ones a distiller can actually make: obtain a licence, keep the student
unreleased or non-commercial, stay within the terms, file the disclosure in time, meet the safety
and privacy conditions, or distil from a teacher whose terms grant distillation. Every variant is
re-assessed under the same profile; only those that come out compliant are proposed, fewest
changes first. Moving to another jurisdiction is never a fix (each judges the acts done under it):
how the other built-in profiles see the same case is reported apart (`other_profiles`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from pydantic import ValidationError

from distillgov.assessment.completion import complete_data, set_path
from distillgov.framework import Case, Determination, assess
from distillgov.jurisdictions.profile import Profile, builtin_ids, load_builtin
from distillgov.teachers.catalogue import GRANTS, catalogue

Data = dict[str, Any]


@dataclass(frozen=True)
class Change:
    id: str
    what: str
    apply: Callable[[Data], None]


def _set(path: str, value: Any) -> Callable[[Data], None]:
    return lambda data: set_path(data, path, value)


def _both(*steps: Callable[[Data], None]) -> Callable[[Data], None]:
    def apply(data: Data) -> None:
        for step in steps:
            step(data)

    return apply


def _candidates(case: Case, profile: Profile, day: dt.date) -> list[Change]:
    release = case.commercial_release_date or day
    out = [
        Change(
            "licence", "Obtain the rights-holder's licence to distil", _set("consent.granted", True)
        ),
        Change(
            "no_release",
            "Withdraw the student, or keep it internal (no release)",
            _both(_set("deployment", "none"), _set("commercial_release_date", None)),
        ),
        Change(
            "non_commercial",
            "Release the student only non-commercially",
            _both(
                _set("deployment", "non_commercial_release"), _set("commercial_release_date", None)
            ),
        ),
        Change(
            "evaluate_safety",
            "Evaluate the student for safety before release",
            _set("safety.evaluated", True),
        ),
        Change(
            "share_safety",
            "Share safety improvements with the teacher's developer",
            _set("safety.improvements_shared", True),
        ),
        Change(
            "safe_use",
            "Keep the teacher's safeguards (no unsafe use)",
            _set("safety.unsafe_use", False),
        ),
        Change(
            "privacy_use",
            "Stop the privacy-violating use of the personal data",
            _set("personal_data.privacy_violating_use", False),
        ),
        Change(
            "privacy",
            "Adopt the privacy safeguards (minimisation, purpose limitation, consent, user rights)",
            _both(
                *(
                    _set(f"personal_data.{k}", True)
                    for k in ("minimisation", "purpose_limitation", "consent", "user_rights")
                )
            ),
        ),
    ]
    if release >= day:  # a disclosure can still come in time; a late one cannot be undone
        out.append(
            Change(
                "disclose",
                f"Publish the lineage disclosure by the release date ({release.isoformat()})",
                _both(
                    _set("transparency.disclosure_filed", True),
                    _set("transparency.filed_on", release),
                ),
            )
        )
    if case.access is not None and case.access.value == "terms_breach":
        out.append(
            Change(
                "within_terms",
                "Obtain the outputs within the teacher's terms",
                _set("access", "public_api_within_terms"),
            )
        )
    for teacher in catalogue().values():
        terms = teacher.terms_on(day)
        if teacher.id == case.teacher.id or terms is None or not terms.of(GRANTS, usable_only=True):
            continue
        access = "licensed_weights" if teacher.model.weights_public else "public_api_within_terms"
        out.append(
            Change(
                f"teacher:{teacher.id}",
                f"Distil from {teacher.model.name} instead (its terms grant distillation)",
                _both(
                    _set("teacher", {"id": teacher.id}), _set("consent", {}), _set("access", access)
                ),
            )
        )
    return out


def _variant(case: Case, changes: tuple[Change, ...], day: dt.date) -> Case | None:
    data = case.model_dump()
    for change in changes:
        change.apply(data)
    data, _ = complete_data(data, day)
    try:
        return Case.model_validate(data)
    except ValidationError:
        return None  # the change contradicts other facts: not a real option


def nearest_compliant(
    case: Case, profile: Profile, day: dt.date, current: Determination, limit: int = 5
) -> list[dict[str, Any]]:
    if current.compliant is True:
        return []
    candidates = _candidates(case, profile, day)
    found: list[dict[str, Any]] = []
    for size in (1, 2, 3):
        for combo in combinations(candidates, size):
            variant = _variant(case, combo, day)
            if variant is None:
                continue
            d = assess(variant, profile.as_of(day), day)
            if d.compliant is True:
                found.append(
                    {
                        "changes": [c.id for c in combo],
                        "what": [c.what for c in combo],
                        "category": d.category,
                        "rule": d.rule,
                        "compliant": d.compliant,
                    }
                )
        if found:
            break  # the smallest changes that work; larger ones are not "nearest"
    return found[:limit]


def other_profiles(case: Case, profile: Profile, day: dt.date) -> list[dict[str, Any]]:
    """The same case under every other built-in profile: information, not advice to move."""
    out = []
    for other in builtin_ids():
        if other == profile.id:
            continue
        d = assess(case, load_builtin(other).as_of(day), day)
        out.append(
            {"profile": other, "category": d.category, "rule": d.rule, "compliant": d.compliant}
        )
    return out
