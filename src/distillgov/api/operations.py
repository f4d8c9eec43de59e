"""What an operator's tools ask: is the process alive (`/health`), may it take traffic
(`/ready`: the database answers, its schema is this release's, the signing key is loaded where
one is configured), and its metrics (`/metrics`, Prometheus text format). See
docs/operations.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from distillgov import __version__
from distillgov.api.deps import Svc
from distillgov.licensing.settlement import run_counts
from distillgov.registry.queries import log_status
from distillgov.service.metrics import DatabaseFigures, exposition
from distillgov.storage.db import schema_state

router = APIRouter(include_in_schema=False)


@router.get("/health")
def alive() -> dict[str, str]:
    """Alive: answers whenever the process does, without touching the database."""
    return {"status": "ok", "version": __version__}


@router.get("/ready")
def ready(svc: Svc) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        checks["migrations"] = schema_state(svc.engine)
        checks["database"] = "ok"
    except Exception as exc:  # unreachable, refused, timed out: all mean "not ready"
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        checks["database"] = f"unreachable: {reason}"
        checks["migrations"] = "unknown"
    signer = svc.signer
    checks["signer"] = "not configured" if signer is None else signer.state()
    good = (
        checks["database"] == "ok"
        and checks["migrations"].startswith(("current", "newer"))
        and (
            checks["signer"] in ("not configured", "loaded")
            or checks["signer"].startswith("waiting")
        )
    )
    body: dict[str, Any] = {"status": "ready" if good else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if good else 503)


@router.get("/metrics")
def metrics(svc: Svc) -> Response:
    def figures() -> dict[str, Any]:
        return {"log": log_status(svc.engine), "settlement": run_counts(svc.engine)}

    page, media_type = exposition([DatabaseFigures(figures)])
    return Response(page, media_type=media_type)
