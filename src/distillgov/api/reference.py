"""Reference routes: the jurisdiction profiles, the teacher catalogue, the policy lab's scores."""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from distillgov.api.deps import Jurisdiction, Who, body_schema
from distillgov.errors import NotFound
from distillgov.framework.case import Day
from distillgov.jurisdictions import builtin_ids, load_builtin, load_profile
from distillgov.policylab.lab import compare, levers_for, load_assumptions
from distillgov.teachers.catalogue import CATALOGUE_ENV, catalogue
from distillgov.teachers.watch import (
    Every,
    Unit,
    WatchError,
    csv_tables,
    first_terms,
    shares_from_rows,
    watch,
)

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


class ShareRow(BaseModel):
    supplier: str = Field(description="A teacher id, a family id or an owner's name.")
    share_percent: str = Field(description="0 to 100.")
    source: str = Field(description="Where the share comes from.")
    as_of: str = Field(description="YYYY-MM-DD: the day the share is measured.")


class SharesForm(BaseModel):
    shares: list[ShareRow]


def _watch(
    start: dt.date | None,
    end: dt.date | None,
    every: Every,
    unit: Unit,
    profiles: list[Jurisdiction] | None,
    shares: list[Any] | None = None,
) -> dict[str, Any]:
    teachers = list(catalogue().values())
    return watch(
        teachers,
        [load_builtin(str(p)) for p in (profiles or builtin_ids())],
        start or first_terms(teachers),
        end or dt.date.today(),
        every,
        unit,
        shares,
        overlay=os.environ.get(CATALOGUE_ENV) or None,
    )


@router.get(
    "/api/v1/watch-terms",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def watch_terms(
    who: Who,
    start: Annotated[Day | None, Query(alias="from", description="Default: first terms.")] = None,
    end: Annotated[Day | None, Query(alias="to", description="Default: today.")] = None,
    every: Annotated[Every, Query(description="The series' step.")] = "quarter",
    unit: Annotated[Unit, Query(description="Count models or families.")] = "model",
    profiles: Annotated[
        list[Jurisdiction] | None, Query(alias="jurisdiction", description="Default: all.")
    ] = None,
    table: Annotated[
        Literal["series", "events", "binding"] | None,
        Query(description="One table as CSV instead of the whole report as JSON."),
    ] = None,
) -> dict[str, Any] | Response:
    """The regulator's watch on restrictive terms, computed from the dated catalogue: the
    shares of teachers whose terms forbid or grant distillation over time, tightening and
    loosening events, and how far the bans bind under each profile (docs/teachers.md)."""
    report = _watch(start, end, every, unit, profiles)
    if table is None:
        return report
    return Response(
        csv_tables(report)[table],
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="watch-terms-{table}.csv"'},
    )


@router.post("/api/v1/watch-terms/concentration", openapi_extra=body_schema(SharesForm))
def watch_concentration(body: dict[str, Any], who: Who) -> dict[str, Any]:
    """Concentration (HHI) of the teacher supply in the shares sent, and of its distillable
    part, with the watch as of the latest share's date. The shares are not stored."""
    rows = body.get("shares")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise WatchError("field 'shares': must be a list of objects (supplier, share_percent, "
                         "source, as_of)")  # fmt: skip
    teachers = {t.id: t for t in catalogue().values()}
    shares = shares_from_rows(rows, teachers, "body")
    return _watch(None, max(s.as_of for s in shares), "quarter", "model", None, shares)
