"""What every router needs: the app's services, the caller, and bodies parsed in one pass."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from distillgov.api.problems import inlined_schema
from distillgov.jurisdictions import builtin_ids
from distillgov.registry.registry import Registry
from distillgov.service import accounts
from distillgov.service.accounts import Principal
from distillgov.service.decisions import Answers, DecisionLog
from distillgov.service.limits import AnonymousQuota, RateLimiter
from distillgov.service.signer import Signer

if TYPE_CHECKING:  # the doors hold no database code; the engine only passes through
    from sqlalchemy import Engine

# The built-in profiles, a closed vocabulary in the OpenAPI document.
Jurisdiction = StrEnum("Jurisdiction", {i: i for i in builtin_ids()})  # type: ignore[misc]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Services:
    """What one app serves from: its database, registry, decision log and limits."""

    engine: Engine
    registry: Registry
    decisions: DecisionLog
    answers: Answers
    limiter: RateLimiter
    data_dir: Path | None
    anonymous: AnonymousQuota
    signer: Signer | None = None


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def principal(request: Request) -> Principal:
    """The caller, from its bearer token, else its browser session (writes need the session's
    CSRF token), else the public; after its rate limit. (Headers are read here rather than
    declared as parameters: FastAPI's parameter machinery cost 0.1 ms a request.)"""
    svc: Services = request.app.state.services
    authorization = request.headers.get("authorization")
    session = request.cookies.get(accounts.SESSION_COOKIE)
    if authorization or not session:
        who = accounts.principal_for(svc.engine, authorization)
    else:
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
        csrf = request.headers.get("x-csrf-token")
        who, _ = accounts.session_principal(svc.engine, session, csrf, unsafe)
    client = who.account or (request.client.host if request.client else "unknown")
    svc.limiter.check(client)
    return who


Who = Annotated[Principal, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


def receipt_for(svc: Services, entry: int) -> str | None:
    """A signed receipt for an accepted write's entry, where this server holds the log's key
    (`serve --log-key`); else None."""
    signer = svc.signer
    if signer is None or signer.state() != "loaded":
        return None
    return svc.registry.log.receipt(entry, signer.key)


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The request body's schema for OpenAPI, for an endpoint that parses its body itself
    (nested models inlined: the document has no `$defs` for their references to name)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inlined_schema(model)}},
        }
    }


def parsed(model: type[M], body: bytes) -> M:
    """The body parsed and validated in one pass by pydantic (FastAPI's own path decodes it
    with the standard library first, then validates: 0.2 ms more for an assessment); errors
    are reported exactly as FastAPI reports them."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
