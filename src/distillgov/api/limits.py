"""The request-size limit, as plain ASGI middleware."""

from __future__ import annotations

from typing import Any

from distillgov.api.problems import Problem, problem_response


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
