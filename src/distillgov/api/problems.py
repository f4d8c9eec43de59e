"""Errors as RFC 9457 problem documents (`application/problem+json`): a type, a title, the
status, a detail a person can read, and the fields at fault. Never a stack trace."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from distillgov.api.observe import request_id
from distillgov.errors import DistillgovError, status_of

MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    field: str = Field(description="The field at fault, as a dotted path.")
    value: Any = Field(None, description="The value given, shown short.")
    reason: str
    location: str = ""


class ProblemDocument(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)
    request_id: str | None = Field(
        None, description="The request's id, as in the X-Request-ID header and the server's logs."
    )


def allowed_methods(request: Request) -> list[str]:
    """The methods some route of the app answers at this request's path."""
    scope = dict(request.scope)
    methods: set[str] = set()

    def visit(routes: Any) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)  # a router included whole
            if inner is not None:
                visit(inner.routes)
                continue
            for method in getattr(route, "methods", None) or ():
                scope["method"] = method
                if route.matches(scope)[0] is Match.FULL:
                    methods.add(method)

    visit(request.app.router.routes)
    return sorted(methods)


def inlined_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON Schema with its nested models inlined, for the OpenAPI document (which
    has no `$defs` for their references to name)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


def _documented(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": inlined_schema(ProblemDocument)}},
    }


# Every route may answer with these; the OpenAPI document says so for each.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("The body could not be parsed (e.g. a broken multipart upload)."),
    401: _documented("Not signed in, or the credentials are no longer good."),
    403: _documented("Signed in, but not allowed to do this."),
    404: _documented("Nothing with that id."),
    405: _documented("Not a method of this path (see Allow)."),
    409: _documented("Clashes with what is already recorded."),
    413: _documented("The body is over the size limit."),
    422: _documented("Invalid input: every field at fault is named."),
    429: _documented("Too many requests (see Retry-After)."),
}
log = logging.getLogger("distillgov.api")


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.headers = errors or [], headers or {}


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://distillgov.example/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    rid = request_id()
    if rid is not None:  # the same id as the X-Request-ID header and the log lines
        body["request_id"] = rid
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(DistillgovError)
    async def _domain(request: Request, exc: DistillgovError) -> JSONResponse:
        errors = [
            {"field": p.field, "value": shown(p.value), "reason": p.reason, "location": p.location}
            for p in exc.problems
        ]
        status = status_of(exc)
        if status.http >= 500:
            log.error(
                "%s serving %s %s: %s", type(exc).__name__, request.method, request.url.path, exc
            )
        return problem_response(status.http, status.title, exc.message, errors, exc.headers())

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(part) for part in e.get("loc", ()) if part != "body"),
                "value": shown(e.get("input")),
                "reason": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        return problem_response(422, "Invalid input", f"{len(errors)} field(s) at fault", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {400: "Unreadable body", 404: "Not found", 405: "Method not allowed"}
        title = titles.get(exc.status_code, "Error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(exc.status_code, title, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error serving %s %s", request.method, request.url.path)
        return problem_response(
            500, "Internal error", "the server failed to answer; the error has been logged"
        )


def shown(value: Any) -> Any:
    """A value at fault as a problem document shows it: short, valid JSON, never the request
    body echoed back (a number too large for JSON's doubles, NaN and infinities as text)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else _short(str(value), "digits")
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    if isinstance(value, bytes | bytearray):
        return f"(a body of {len(value)} bytes)"
    if isinstance(value, list | tuple):
        return f"(a list of {len(value)} items)"
    if isinstance(value, dict):
        return f"(an object with {len(value)} fields)"
    return _short(type(value).__name__, "value")


def _short(text: str, unit: str) -> str:
    return text if len(text) <= 20 else f"{text[:12]}... ({len(text)} {unit})"
