"""Data subjects' requests over HTTP. Who sees what: a data subject (or their agent) only the
requests they filed; an organisation only those addressed to it, and the duties on its models;
a regulator (or administrator) everything, with the overdue screen. Only the addressed
organisation takes a request's steps, except withdrawal, which only its requester may."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from distillgov.api.deps import Svc, Who, body_schema
from distillgov.errors import Forbidden
from distillgov.jurisdictions import load_builtin
from distillgov.requests import access, store
from distillgov.requests.store import RequestForm
from distillgov.requests.workflow import Action
from distillgov.service.accounts import Principal

router = APIRouter()


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action
    on: dt.date | None = None
    key: str | None = Field(None, min_length=1, max_length=160)
    reason: str | None = Field(None, max_length=40)
    basis: str | None = Field(None, max_length=store.MAX_BASIS)
    evidence_sha256: str | None = Field(None, max_length=64)


class DutyClosing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duty: str = Field(min_length=1, max_length=300)
    outcome: str = Field(max_length=20)
    on: dt.date | None = None
    key: str | None = Field(None, min_length=1, max_length=160)
    basis: str | None = Field(None, max_length=store.MAX_BASIS)
    evidence_sha256: str | None = Field(None, max_length=64)


def _today() -> dt.date:
    return dt.date.today()


def _may_see(who: Principal, svc: Svc, request_id: str) -> bool:
    if who.reads_everything() or who.acts_for(store.organisation_of(svc.engine, request_id)):
        return True
    return who.account is not None and store.requester_of(svc.engine, request_id) == who.account


@router.post("/api/v1/requests", status_code=201, openapi_extra=body_schema(RequestForm))
def file_request(body: dict[str, Any], who: Who, svc: Svc) -> dict[str, Any]:
    """File a request: a data subject (or agent) for themselves, or an organisation recording
    one it received (addressed to itself)."""
    who.require_write()
    form = store.parse_form(body)
    if who.role != "data_subject" and not who.acts_for(form.organisation):
        raise Forbidden("a request is filed by its data subject, or by the organisation it names")
    account = who.account if who.role == "data_subject" else None
    return store.file_request(svc.engine, form, load_builtin(form.jurisdiction), account, _today())


@router.get("/api/v1/requests")
def list_requests(
    who: Who, svc: Svc, status: str | None = None, limit: int = 1000, offset: int = 0
) -> list[dict[str, Any]]:
    """Newest first, `limit` at a time (at most 10,000) from `offset`."""
    who.require_signed_in()
    everyone = who.reads_everything()
    account = who.account if who.role == "data_subject" and not everyone else None
    organisation = None if everyone or account else who.organisation
    if not everyone and account is None and organisation is None:
        raise Forbidden("sign in as a data subject, an organisation or a regulator")
    return store.listing(svc.engine, _today(), organisation, account, status, limit, offset)


@router.get("/api/v1/requests/overdue")
def overdue(who: Who, svc: Svc) -> dict[str, list[dict[str, Any]]]:
    """The regulator's screen of overdue requests and downstream duties."""
    who.require_signed_in()
    if not who.reads_everything():
        raise Forbidden("the overdue screen is for regulators")
    return store.overdue_screen(svc.engine, _today())


@router.get("/api/v1/requests/{request_id}")
def show(request_id: str, who: Who, svc: Svc) -> dict[str, Any]:
    who.require_signed_in()
    if not _may_see(who, svc, request_id):
        raise Forbidden("not a party to this request")
    return store.get(svc.engine, request_id, _today())


@router.post("/api/v1/requests/{request_id}/steps", status_code=201)
def step(request_id: str, s: Step, who: Who, svc: Svc) -> dict[str, Any]:
    """Take one step on a request (idempotent with `key`)."""
    who.require_write()
    if s.action is Action.WITHDRAW:
        if store.requester_of(svc.engine, request_id) != who.account or who.account is None:
            raise Forbidden("only the requester may withdraw a request")
    elif not who.acts_for(store.organisation_of(svc.engine, request_id)):
        raise Forbidden("only the organisation the request is addressed to takes its steps")
    actor = "requester" if s.action is Action.WITHDRAW else str(who.account)
    return store.act(
        svc.engine, request_id, s.action, actor, _today(), s.on, s.key, s.reason, s.basis,
        s.evidence_sha256,
    )  # fmt: skip


@router.get("/api/v1/requests/{request_id}/export")
def export(request_id: str, who: Who, svc: Svc) -> dict[str, Any]:
    """The answer to a verified access request, for its requester or the organisation."""
    who.require_signed_in()
    if not _may_see(who, svc, request_id) or who.reads_everything():
        raise Forbidden("only the requester or the organisation may read an access export")
    return access.access_export(svc.engine, request_id, _today())


@router.get("/api/v1/duties")
def duties(who: Who, svc: Svc) -> list[dict[str, Any]]:
    """The downstream duties on the caller's organisation's models."""
    who.require_signed_in()
    if who.organisation is None:
        raise Forbidden("duties belong to an organisation's models")
    return store.duties_of(svc.engine, who.organisation)


@router.post("/api/v1/duties/close", status_code=201)
def close_duty(d: DutyClosing, who: Who, svc: Svc) -> dict[str, Any]:
    """Close a downstream duty: only the model's owner may."""
    who.require_write()
    if not who.acts_for(store.duty_owner(svc.engine, d.duty)):
        raise Forbidden("only the model's owner closes its duty")
    return store.close_duty(
        svc.engine, d.duty, d.outcome, str(who.account), _today(), d.on, d.basis,
        d.evidence_sha256, d.key,
    )  # fmt: skip
