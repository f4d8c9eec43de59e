"""Assessment routes: one case (logged under a decision id before it is answered), a batch, a
logged decision, its letter, its re-check, and the wizard's questions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from distillgov.api.deps import Jurisdiction, Svc, Who, body_schema, parsed
from distillgov.api.problems import inlined_schema
from distillgov.assessment.assess import assess_case, assess_data, resolve
from distillgov.assessment.render import letter as letter_html
from distillgov.consent.assessment import with_consent_check
from distillgov.errors import DistillgovError
from distillgov.framework import plain
from distillgov.framework.case import Case, Day
from distillgov.framework.determination import Determination
from distillgov.framework.rules import FRAMEWORK_VERSION
from distillgov.jurisdictions import builtin_ids, load_builtin
from distillgov.jurisdictions.profile import Profile
from distillgov.requests.assessment import with_rights_requests
from distillgov.service import decisions
from distillgov.web.wizard import InvalidAnswers, check_answers, questions, relevant

MAX_BATCH = 1_000
# The case object is read by `assess` itself (its errors named as for a case file); the
# OpenAPI document still describes it fully.
CASE_SCHEMA = {k: v for k, v in inlined_schema(Case).items() if k != "title"}
router = APIRouter()


class AssessmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: dict[str, Any] = Field(
        description="The facts, as in a case file.", json_schema_extra=CASE_SCHEMA
    )
    jurisdiction: Jurisdiction | None = Field(
        None, description="A built-in profile (else the case's)."
    )
    on: Day | None = Field(None, description="Assessment date (else the case's, else today).")
    suggest: bool = Field(False, description="Propose the nearest compliant variants.")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH, json_schema_extra={"items": CASE_SCHEMA}
    )
    jurisdiction: Jurisdiction
    on: Day | None = None


@router.post(
    "/api/v1/assessments",
    status_code=201,
    responses={201: {"description": "`{decision_id, headline, determination}`"}},
    openapi_extra=body_schema(AssessmentRequest),
)
async def assess(request: Request, who: Who, svc: Svc) -> Response:
    """Assess one case; the determination is logged under a decision id before it is sent.
    (On the event loop: the rules take a fraction of a millisecond, and a request seen
    before today is answered from memory; the answer is the determination's canonical
    JSON, not re-encoded.)"""
    body = parsed(AssessmentRequest, await request.body())
    try:
        request_json = orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a number past 64 bits: the case's own validation names the field
        resolve(body.case, body.jurisdiction, body.on)
        raise DistillgovError("the body holds a number too large to record") from None
    input_hash = decisions.digest(request_json)
    key = (input_hash, dt.date.today())
    answer = svc.answers.get(key)
    if answer is None:
        case, profile, day = resolve(body.case, body.jurisdiction, body.on)
        if case.data_sources:  # read from the registers, so never kept in memory
            case, _ = with_rights_requests(svc.engine, case, day)
            case, _ = with_consent_check(svc.engine, case, day)
        answer = decisions.Answer.of(assess_case(case, profile, day, body.suggest), profile, day)
        if not case.data_sources:
            svc.answers.put(key, answer)
    if who.anonymous:  # counted only for what would be logged
        svc.anonymous.take(request.client.host if request.client else "unknown")
    decision = decisions.new_decision(answer, input_hash)
    documents = {input_hash: request_json, answer.output_hash: answer.canonical.encode()}
    await svc.decisions.record(decision, documents)
    headline = orjson.dumps(answer.headline).decode()
    content = (
        f'{{"decision_id": "{decision.id}", "headline": {headline}, '
        f'"determination": {answer.canonical}}}'
    )
    return Response(content, status_code=201, media_type="application/json")


@router.post("/api/v1/assessments/batch")
def assess_batch(body: BatchRequest, who: Who) -> dict[str, Any]:
    rows = [
        assess_data(case, body.jurisdiction, body.on, f"cases[{i}]")[0].row()
        for i, case in enumerate(body.cases)
    ]
    return {"count": len(rows), "results": rows}


def _reassess(stored: dict[str, Any]) -> tuple[Determination, Profile]:
    """A logged decision's input assessed again, with the rules and profiles of today."""
    request = stored["input"]
    on = request.get("on")
    again, profile, _ = assess_data(
        request["case"],
        request.get("jurisdiction"),
        dt.date.fromisoformat(on) if on else None,
        suggest=request.get("suggest", False),
    )
    return again, profile


@router.get("/api/v1/decisions/{decision_id}")
def decision(decision_id: str, who: Who, svc: Svc) -> dict[str, Any]:
    return decisions.read(svc.engine, decision_id)


@router.get("/api/v1/decisions/{decision_id}/letter", response_class=HTMLResponse)
def letter(decision_id: str, who: Who, svc: Svc) -> HTMLResponse:
    """The determination letter (HTML) of a logged decision, made again from its input."""
    again, _ = _reassess(decisions.read(svc.engine, decision_id))
    return HTMLResponse(
        letter_html(again, "html", decision_id),
        headers={"Content-Disposition": f'attachment; filename="determination-{decision_id}.html"'},
    )


@router.get("/api/v1/vocabulary")
def vocabulary(who: Who) -> dict[str, Any]:
    """Plain words for every category, rule, obligation, fact, value, lever and citation the
    determinations name (framework/plain.yaml): what the web app shows instead of identifiers."""
    return plain.words()


@router.post("/api/v1/wizard/check")
def wizard_check(body: dict[str, Any], who: Who) -> dict[str, Any]:
    """The contradictions the wizard's answers so far hold, with the facts each reads, so the
    step where one occurs can say so. Nothing is logged or kept."""
    return {"contradictions": check_answers(body.get("answers"))}


@router.post("/api/v1/wizard/relevant")
def wizard_relevant(body: dict[str, Any], who: Who) -> dict[str, Any]:
    """The wizard's questions still worth asking after the answers so far (`answers`), under
    the chosen profile (`jurisdiction`) or, before one is chosen, under any built-in one; on
    `on` or today. The others are settled by the answers given."""
    jurisdiction = body.get("jurisdiction") or None
    if jurisdiction is not None and jurisdiction not in builtin_ids():
        raise InvalidAnswers(
            f"field 'jurisdiction', value {jurisdiction!r}: one of {', '.join(builtin_ids())}"
        )
    try:
        on = dt.date.fromisoformat(str(body["on"])) if body.get("on") else dt.date.today()
    except ValueError:
        raise InvalidAnswers(f"field 'on', value {body['on']!r}: YYYY-MM-DD") from None
    profiles = [load_builtin(p) for p in ([jurisdiction] if jurisdiction else builtin_ids())]
    return {"relevant": relevant(body.get("answers"), profiles, on)}


@router.get("/api/v1/wizard")
def wizard(who: Who) -> dict[str, Any]:
    """The assessment wizard's steps and questions, each step saying why it is asked."""
    return questions()


@router.get("/api/v1/decisions/{decision_id}/recheck")
def recheck(decision_id: str, who: Who, svc: Svc) -> dict[str, Any]:
    """Assess the stored input again with today's rules and profile; say whether the
    outcome, the rules or the profile changed."""
    stored = decisions.read(svc.engine, decision_id)
    again, profile = _reassess(stored)
    return {
        "decision_id": decision_id,
        "same_output": json.loads(again.to_json()) == stored["output"],
        "framework_version": {"then": stored["framework_version"], "now": FRAMEWORK_VERSION},
        "profile_hash": {"then": stored["profile_hash"], "now": profile.content_hash},
    }
