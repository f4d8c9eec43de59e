"""Creators' consent over HTTP. The register is public (a reservation is a public signal):
anyone reads reservations and their proofs. Only members of the rights-holder's organisation
(the holder itself, or an agent it gave an account) file or withdraw its reservations; any
signed-in caller checks a manifest, and recording the report against a dataset needs `write`."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from distillgov.api.deps import Svc, Who, body_schema, receipt_for
from distillgov.consent import manifest, register
from distillgov.consent.register import ReservationForm
from distillgov.errors import DistillgovError, Forbidden

router = APIRouter()
MAX_ROWS_RETURNED = 1000


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=register.SLUG)


@router.get("/api/v1/consent/reservations")
def reservations(who: Who, svc: Svc, holder: str | None = None) -> list[dict[str, Any]]:
    return register.reservations(svc.engine, holder)


@router.get("/api/v1/consent/reservations/{reservation}/proof")
def proof(reservation: str, who: Who, svc: Svc) -> dict[str, Any]:
    entry = register.entry_of(svc.engine, reservation)
    bundle: dict[str, Any] = svc.registry.log.prove(entry, record=reservation)
    return bundle


@router.post(
    "/api/v1/consent/reservations", status_code=201, openapi_extra=body_schema(ReservationForm)
)
def reserve(body: dict[str, Any], who: Who, svc: Svc) -> dict[str, Any]:
    """File a reservation of works from AI training; in force from today, logged."""
    who.require_write()
    form = register.parse_reservation(body)
    if not who.acts_for(form.holder):
        raise Forbidden(f"only members of '{form.holder}' (or its agents) file its reservations")
    filed = register.file_reservation(
        svc.engine, svc.registry.log, form, str(who.account), dt.date.today()
    )
    return {**filed, "receipt": receipt_for(svc, int(filed["entry"]))}


@router.post("/api/v1/consent/reservations/{reservation}/withdrawal", status_code=201)
def withdraw(reservation: str, body: Withdrawal, who: Who, svc: Svc) -> dict[str, Any]:
    who.require_write()
    holder = register.holder_of(svc.engine, reservation)
    if not who.acts_for(holder):
        raise Forbidden(f"only members of '{holder}' withdraw its reservations")
    done = register.withdraw(
        svc.engine, svc.registry.log, body.id, reservation, str(who.account), dt.date.today()
    )
    return {**done, "receipt": receipt_for(svc, int(done["entry"]))}


@router.get("/api/v1/consent/where")
def where(who: Who, svc: Svc) -> list[dict[str, Any]]:
    """For a rights-holder: the checked datasets that held its reserved works."""
    who.require_signed_in()
    if who.organisation is None:
        raise Forbidden("sign in as a rights-holder's organisation")
    return register.where_reported(svc.engine, who.organisation)


@router.post("/api/v1/consent/check")
async def check(
    who: Who,
    svc: Svc,
    manifest_file: Annotated[UploadFile, File(alias="manifest")],
    files: Annotated[list[UploadFile] | None, File()] = None,
    dataset: str | None = None,
) -> dict[str, Any]:
    """Check a manifest (JSONL or CSV) and the captured signal files it names (uploaded under
    those names): the totals, and the first 1,000 items' verdicts. With `dataset`, the totals
    are recorded as that dataset's consent-check report."""
    who.require_signed_in()
    if dataset is not None:
        who.require_write()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        target = folder / _safe_name(manifest_file.filename or "manifest.jsonl")
        target.write_bytes(await manifest_file.read())
        for upload in files or []:
            path = folder / _safe_name(upload.filename or "file")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(await upload.read())
        out = io.StringIO()
        summary = manifest.check(target, register.load_index(svc.engine), out, "jsonl")
    rows = out.getvalue().splitlines()[:MAX_ROWS_RETURNED]
    if dataset is not None:
        summary.update(
            id=f"{dataset}@{summary['manifest']['sha256'][:12]}", dataset=dataset,
            checked_on=dt.date.today().isoformat(), manifest_sha256=summary["manifest"]["sha256"],
        )  # fmt: skip
        register.record_report(svc.engine, summary)
    truncated = summary["items"] > len(rows)
    return {"summary": summary, "items": [_json(r) for r in rows], "truncated": truncated}


def _safe_name(name: str) -> str:
    """An uploaded file's name as a relative path inside the upload folder (no `..`)."""
    path = PurePosixPath(name.replace("\\", "/"))
    parts = [p for p in path.parts if p not in ("", ".", "..", "/")]
    if not parts:
        raise DistillgovError(f"field 'filename', value {name!r}: not a file name")
    return str(PurePosixPath(*parts))


def _json(line: str) -> Any:
    return json.loads(line)
