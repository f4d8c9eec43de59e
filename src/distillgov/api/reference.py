"""Reference routes: the jurisdiction profiles, the teacher catalogue, the policy lab's scores."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from distillgov.api.deps import Jurisdiction, Who
from distillgov.errors import NotFound
from distillgov.framework.case import Day
from distillgov.jurisdictions import builtin_ids, load_builtin, load_profile
from distillgov.policylab.lab import compare, levers_for, load_assumptions
from distillgov.teachers.catalogue import catalogue

router = APIRouter()


class UnknownProfile(NotFound):
    """No built-in profile with that id (a path names a resource: 404)."""


@router.get("/api/v1/jurisdictions")
def jurisdictions(who: Who) -> list[dict[str, Any]]:
    return [load_builtin(i).public_dict() for i in builtin_ids()]


@router.get("/api/v1/jurisdictions/{profile_id}")
def jurisdiction(profile_id: str, who: Who) -> dict[str, Any]:
    if profile_id not in builtin_ids():
        raise UnknownProfile(f"no built-in profile '{profile_id}': {', '.join(builtin_ids())}")
    return load_profile(profile_id, None).public_dict()


@router.get("/api/v1/lab/compare")
def lab_compare(
    who: Who,
    on: Annotated[Day | None, Query(description="Date (default: today).")] = None,
    profiles: Annotated[
        list[Jurisdiction] | None, Query(description="Profile ids (default: all).")
    ] = None,
) -> list[dict[str, Any]]:
    """The policy lab: each profile's levers scored under the four normative lenses, with
    the default assumptions (docs/policylab.md)."""
    day = on or dt.date.today()
    a = load_assumptions(None)
    chosen = [load_profile(i, None) for i in (profiles or builtin_ids())]
    scores = compare(a.economy_point(), {p.id: levers_for(p, day, a) for p in chosen})
    return [{"profile": k, **v} for k, v in scores.items()]


@router.get("/api/v1/teachers")
def teachers(who: Who) -> list[dict[str, Any]]:
    return [
        {
            **t.model.model_dump(mode="json"),
            "family": t.family.family,
            "owner": t.family.owner,
            "terms": [v.model_dump(mode="json") for v in t.versions()],
        }
        for t in catalogue().values()
    ]
