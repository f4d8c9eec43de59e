"""The service's own routes: browser sessions, health, and accounts with their tokens."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from distillgov import __version__
from distillgov.api.deps import Svc, Who
from distillgov.errors import Forbidden, Unauthorized
from distillgov.service import accounts
from distillgov.service.accounts import Principal

router = APIRouter()


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=8, max_length=200)


class AccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9._\-]*$")
    role: Literal[
        "distiller", "teacher_owner", "rights_holder", "regulator", "administrator", "data_subject"
    ]
    organisation: str | None = Field(None, max_length=120)


Scope = Literal["read", "write"]


def _read_only() -> list[Scope]:
    return ["read"]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scopes: list[Scope] = Field(default_factory=_read_only, max_length=2)
    days: int = Field(30, ge=1, le=366)


def _me(who: Principal, csrf: str) -> dict[str, Any]:
    return {
        "account": who.account,
        "organisation": who.organisation,
        "role": who.role,
        "csrf": csrf,
    }


@router.post("/api/v1/session", status_code=201)
def sign_in(body: SignIn, request: Request, svc: Svc) -> JSONResponse:
    """Exchange an API token for a browser session: an HttpOnly, SameSite=Strict cookie
    (Secure over HTTPS) and a CSRF token to send as X-CSRF-Token with every write."""
    session, csrf = accounts.open_session(svc.engine, body.token)
    who = accounts.principal_for(svc.engine, f"Bearer {body.token}")
    response = JSONResponse(_me(who, csrf), status_code=201)
    response.set_cookie(
        accounts.SESSION_COOKIE,
        session,
        max_age=accounts.SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/api/v1/session")
def session_info(request: Request, svc: Svc) -> dict[str, Any]:
    """Who the browser is signed in as, and its CSRF token (read by the page's script)."""
    session = request.cookies.get(accounts.SESSION_COOKIE)
    if not session:
        raise Unauthorized("not signed in")
    who, csrf = accounts.session_principal(svc.engine, session, None, unsafe=False)
    return _me(who, csrf)


@router.delete("/api/v1/session", status_code=204)
def sign_out(request: Request, who: Who, svc: Svc) -> Response:
    session = request.cookies.get(accounts.SESSION_COOKIE)
    if session:
        accounts.close_session(svc.engine, session)
    response = Response(status_code=204)
    response.delete_cookie(accounts.SESSION_COOKIE, path="/")
    return response


@router.get("/api/v1/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def _require_admin(who: Principal) -> None:
    who.require_write()
    if who.role != "administrator":
        raise Forbidden("only an administrator manages accounts")


@router.post("/api/v1/accounts", status_code=201)
def add_account(body: AccountRequest, who: Who, svc: Svc) -> dict[str, Any]:
    _require_admin(who)
    accounts.add_account(svc.engine, body.id, body.role, body.organisation)
    return {"id": body.id, "role": body.role, "organisation": body.organisation}


@router.post("/api/v1/accounts/{account}/tokens", status_code=201)
def add_token(account: str, body: TokenRequest, who: Who, svc: Svc) -> dict[str, Any]:
    _require_admin(who)
    scopes = [str(s) for s in body.scopes]
    token = accounts.issue_token(svc.engine, account, scopes, body.days)
    return {"account": account, "token": token, "scopes": body.scopes, "days": body.days}
