"""Every request gets a request id (the client's X-Request-ID if it is a sensible one, else a new
one), returned in the X-Request-ID header and in any problem document; it is counted and timed
per route for /metrics, and written as one JSON line to the access log.

Logs are JSON, one object a line, on standard error (`configure_logging`, which `serve` calls):
the access log (`distillgov.access`, at INFO; DISTILLGOV_ACCESS_LOG=0 turns it off) and every
warning and error of the service, uvicorn's included.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import re
import sys
import time
import uuid
from typing import Any

import orjson

from distillgov.service.metrics import LATENCY, REQUESTS

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "distillgov_request_id", default=None
)
_GOOD_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,64}$")
access = logging.getLogger("distillgov.access")


def request_id() -> str | None:
    """The id of the request being answered (None outside a request)."""
    return REQUEST_ID.get()


class Observe:
    """Plain ASGI, the outermost layer: it sees every answer, refusals by the other layers
    included."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = given.decode() if given is not None and _GOOD_ID.match(given) else uuid.uuid4().hex
        REQUEST_ID.set(rid)
        header = (b"x-request-id", rid.encode())
        status = 500

        async def answered(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, answered)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "(no route)"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(route).observe(seconds)
            if access.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access.info(
                    "request",
                    extra={
                        "request_id": rid,
                        "method": scope["method"],
                        "path": scope.get("path", ""),
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "client": client[0] if client else None,
                    },
                )


# What a LogRecord carries anyway; the rest of its attributes came in `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the request id where there
    is one, the record's extra fields, and the exception's text if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = REQUEST_ID.get()
        if rid is not None:
            entry["request_id"] = rid
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging() -> None:
    """JSON lines on standard error for the service and uvicorn; the access log unless
    DISTILLGOV_ACCESS_LOG=0."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # ours replaces it
    on = os.environ.get("DISTILLGOV_ACCESS_LOG", "1").strip().lower() not in ("0", "false", "no")
    access.setLevel(logging.INFO if on else logging.WARNING)
