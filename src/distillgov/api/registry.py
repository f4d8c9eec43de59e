"""Registry routes: records and their proofs, lineage, the latest checkpoint, the screen, and
filing disclosures and statements (each only in the name of the caller's organisation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from distillgov.api.deps import Svc, Who, body_schema, receipt_for
from distillgov.errors import Forbidden
from distillgov.registry.log import UnknownEntry
from distillgov.registry.queries import latest_checkpoint, owner_of
from distillgov.registry.records import Disclosure, Statement, parse_record

router = APIRouter()


@router.get("/api/v1/registry/records/{record_id:path}/proof")
async def proof(
    record_id: str, who: Who, svc: Svc, size: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    """An inclusion proof against the latest checkpoint, or the one signed at `size`."""
    bundle: dict[str, Any] = svc.registry.prove(record_id, size)
    return bundle


@router.get("/api/v1/registry/consistency")
def consistency(
    who: Who,
    svc: Svc,
    old: Annotated[int, Query(ge=0)],
    new: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """A proof that the tree of size `old` is a prefix of the latest (or of size `new`)."""
    found: dict[str, Any] = svc.registry.log.consistency(old, new)
    return found


@router.get("/api/v1/registry/checkpoints")
def checkpoints(who: Who, svc: Svc) -> list[dict[str, Any]]:
    """Every signed checkpoint, oldest first."""
    found: list[dict[str, Any]] = svc.registry.log.checkpoints()
    return found


@router.get("/api/v1/registry/records/{record_id:path}")
def record(record_id: str, who: Who, svc: Svc) -> dict[str, Any]:
    found: dict[str, Any] = svc.registry.show(record_id)
    return found


@router.get("/api/v1/registry/models/{model:path}/lineage")
def lineage(
    model: str,
    who: Who,
    svc: Svc,
    direction: Annotated[str, Query(pattern="^(ancestors|descendants)$")] = "ancestors",
    depth: Annotated[int | None, Query(ge=1, le=64)] = None,
    bases: Annotated[bool, Query(description="Follow base-model links too.")] = True,
) -> dict[str, Any]:
    """A model's lineage: each row's `link` says whether it was reached by a disclosed
    distillation ("distilled") or a base-model link ("base")."""
    return {
        "model": model,
        "direction": direction,
        "bases": bases,
        "lineage": svc.registry.lineage(model, direction, depth, bases),
    }


@router.get("/api/v1/registry/checkpoint")
def checkpoint(who: Who, svc: Svc) -> dict[str, Any]:
    found = latest_checkpoint(svc.registry.log)
    if found is None:
        raise UnknownEntry("no checkpoint has been signed yet")
    size, note = found
    return {"size": size, "checkpoint": note, "verifier_key": svc.registry.log.verifier}


@router.get("/api/v1/registry/screen")
def screen(who: Who, svc: Svc) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = svc.registry.screen()
    return found


@router.post("/api/v1/registry/disclosures", status_code=201, openapi_extra=body_schema(Disclosure))
def disclose(body: dict[str, Any], who: Who, svc: Svc) -> dict[str, Any]:
    """File (or, with `supersedes`, amend) a disclosure: only a member of the organisation
    that owns the student model may."""
    who.require_write()
    record: Disclosure = parse_record("disclosure", body)
    owner = owner_of(svc.engine, record.student)
    if not who.acts_for(owner):
        raise Forbidden(f"only members of '{owner}' may disclose for '{record.student}'")
    entry = svc.registry.add(record)
    return {"id": record.id, "entry": entry, "receipt": receipt_for(svc, entry)}


@router.post("/api/v1/registry/statements", status_code=201, openapi_extra=body_schema(Statement))
def statement(body: dict[str, Any], who: Who, svc: Svc) -> dict[str, Any]:
    """A statement is made in the name of the caller's organisation."""
    who.require_write()
    record: Statement = parse_record("statement", body)
    if not who.acts_for(record.by):
        raise Forbidden(f"you may make statements only as '{who.organisation}'")
    entry = svc.registry.add(record)
    return {"id": record.id, "entry": entry, "receipt": receipt_for(svc, entry)}
