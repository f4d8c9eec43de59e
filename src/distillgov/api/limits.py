"""The request-size limit, as plain ASGI middleware."""

from __future__ import annotations

from typing import Any

from distillgov.api.problems import Problem, problem_response
from distillgov.errors import RateLimited
from distillgov.service.limits import RateLimiter


class BodyLimit:
    """Refuse a body over the limit with a problem document: at once when its declared length
    is over, else as soon as the bytes received pass it (a chunked body declares none).
    Plain ASGI: Starlette's decorator middleware costs a millisecond a request, and FastAPI's
    own limit answers in plain text."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await self._refuse(scope, receive, send)
                return
        received = 0

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise Problem(413, "Request too large", self._detail())
            return message

        await self.app(scope, counted, send)

    def _detail(self) -> str:
        return f"the body may be at most {self.limit} bytes"

    async def _refuse(self, scope: Any, receive: Any, send: Any) -> None:
        await problem_response(413, "Request too large", self._detail())(scope, receive, send)


# The web app and the API make no request to another origin; nothing may frame them.
STRICT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI and ReDoc (served from this server, not a CDN) start from an inline script and
# style their page inline; ReDoc renders in a worker.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    """Every response says: no sniffing, no framing, no referrer, and where content may load
    from. Plain ASGI, like BodyLimit: it only adds headers to the response's start."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._strict = _encoded(STRICT_POLICY)
        self._docs = _encoded(DOCS_POLICY)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(DOCS_PATHS)
        extra = self._docs if docs else self._strict

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _encoded(policy: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]


class AddressLimit:
    """The rate limit for what no caller is resolved for (pages, static files, /health, the
    documentation): per client address. The API's other routes are limited per caller when the
    caller is resolved (`deps.principal`)."""

    def __init__(self, app: Any, limiter: RateLimiter) -> None:
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and (not path.startswith("/api/v1/") or path == HEALTH):
            client = scope.get("client")
            try:
                self.limiter.check(f"address:{client[0] if client else 'unknown'}")
            except RateLimited as exc:
                response = problem_response(
                    429, "Too many requests", exc.message, None, exc.headers()
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


HEALTH = "/api/v1/health"
