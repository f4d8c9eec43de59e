"""The versioned JSON API, `/api/v1/...`, and the web app: `create_app` wires the routers of each
part, the middleware and the error table, and holds nothing else. OpenAPI at `/docs` (and
`/openapi.json`). Every error is a problem document; every assessment served is kept in the
decision log under a decision id."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from distillgov import __version__
from distillgov.api import (
    assessments,
    consent,
    licensing,
    operations,
    reference,
    registry,
    requests,
    service,
    tiles,
)
from distillgov.api.deps import Services
from distillgov.api.limits import AddressLimit, BodyLimit, SecurityHeaders
from distillgov.api.observe import Observe, configure_logging
from distillgov.api.problems import PROBLEM_RESPONSES, install
from distillgov.registry.registry import Registry
from distillgov.service.decisions import Answers, DecisionLog
from distillgov.service.limits import AnonymousQuota, RateLimiter, Shared, Sharing
from distillgov.service.signer import Signer, after_from_env, every_from_env
from distillgov.storage.db import checkpoint_in_background, open_database
from distillgov.web import routes as web

if TYPE_CHECKING:  # the engine only passes through
    from sqlalchemy import Engine

ROUTERS = (
    operations.router,
    service.router,
    assessments.router,
    reference.router,
    registry.router,
    licensing.router,
    requests.router,
    consent.router,
)


def create_app(
    database_url: str | None = None,
    data_dir: Path | None = None,
    rate: float | None = None,
    burst: int = 200,
    max_body: int | None = None,
    anonymous_per_day: int | None = None,
    log_key: Path | None = None,
    checkpoint_every: float | None = None,
) -> FastAPI:
    """The app on one database. With `log_key` (else DISTILLGOV_LOG_KEY) it signs checkpoints
    every `checkpoint_every` seconds (else DISTILLGOV_CHECKPOINT_EVERY, else 10)."""
    engine = open_database(database_url)
    checkpoint_in_background(engine)
    reg = Registry(engine)
    reg.log.checkpoint_fresh_for = 1.0
    limit = float(os.environ.get("DISTILLGOV_RATE_LIMIT", "100")) if rate is None else rate
    signer = _signer(reg, log_key, checkpoint_every)
    limiter = RateLimiter(limit, burst)
    anonymous = AnonymousQuota(
        int(os.environ.get("DISTILLGOV_ANONYMOUS_DAILY_QUOTA", "50000"))
        if anonymous_per_day is None
        else anonymous_per_day
    )
    decisions = DecisionLog(engine)
    # Swagger UI and ReDoc from files in a package, not a CDN: /docs works offline.
    app = FastAPIOffline(
        title="distillgov",
        version=__version__,
        description="The Balanced Framework for AI Model Distillation, as a service.",
        # No OpenTelemetry: FastAPI otherwise looks for a configured tracer on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        lifespan=_lifespan(engine, decisions, [limiter, anonymous], signer),
    )
    app.state.services = Services(
        engine=engine,
        registry=reg,
        decisions=decisions,
        answers=Answers(2048),
        limiter=limiter,
        data_dir=data_dir,
        anonymous=anonymous,
        signer=signer,
    )
    app.state.engine, app.state.registry = engine, reg  # the web pages read these
    install(app)
    web.install(app)
    for router in ROUTERS:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    app.mount(tiles.PREFIX, tiles.TileServer(reg.log))  # C2SP tlog-tiles: the static read API
    default_limit = str(5 * 1024 * 1024)
    body_limit = max_body or int(os.environ.get("DISTILLGOV_MAX_BODY_BYTES", default_limit))
    app.add_middleware(BodyLimit, limit=body_limit)
    app.add_middleware(AddressLimit, limiter=app.state.services.limiter)
    app.add_middleware(SecurityHeaders)  # every answer carries the headers
    app.add_middleware(Observe)  # outermost: counts, times and logs every answer
    return app


def _signer(reg: Registry, log_key: Path | None, every: float | None) -> Signer | None:
    key_file = log_key or (Path(k) if (k := os.environ.get("DISTILLGOV_LOG_KEY")) else None)
    if key_file is None:
        return None
    return Signer(reg.log, key_file, every or every_from_env(), after_from_env())


def _lifespan(
    engine: Engine, decisions: DecisionLog, limits: list[Shared], signer: Signer | None
) -> Any:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Started with the server, not with the app object: an app only built (a test's, the
        # OpenAPI export) starts no threads.
        sharing = Sharing(engine, limits).start()
        if signer is not None:
            signer.start()
        try:
            yield
        finally:
            # uvicorn has finished the requests in hand; what they handed on is written now.
            await decisions.close()
            sharing.stop()
            if signer is not None:
                signer.stop()

    return lifespan


def app_from_env() -> FastAPI:
    """The app as `distillgov serve` (and any ASGI server) builds it: configured by
    DISTILLGOV_DATABASE_URL, DISTILLGOV_DATA_DIR and DISTILLGOV_RATE_LIMIT."""
    data = os.environ.get("DISTILLGOV_DATA_DIR")
    configure_logging()
    app = create_app(None, Path(data) if data else None)
    # Everything loaded so far (modules, profiles, rules) lives as long as the process: moved
    # out of the collector's sight, the full collections that otherwise stall a request now
    # and then have a tenth of the objects to walk (the 99th percentile of /health under load
    # fell from 112 to 40 ms).
    gc.collect()
    gc.freeze()
    # The decision log's writer thread needs the interpreter lock back after each call into
    # the database driver; by default it waits up to 5 ms for a busy event loop to let go.
    sys.setswitchinterval(0.001)
    return app
