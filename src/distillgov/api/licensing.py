"""Clearinghouse routes: licences, usage uploads, settlements, ledger accounts and statements,
each shown only to the parties (and to regulators)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, UploadFile

from distillgov.api.deps import Svc, Who
from distillgov.errors import Forbidden
from distillgov.licensing import ledger
from distillgov.licensing.licences import Licence, all_licences, get, slug
from distillgov.licensing.settlement import settlements
from distillgov.licensing.statements import holder_statement as make_holder_statement
from distillgov.licensing.usage import ingest
from distillgov.service.accounts import Principal

router = APIRouter()


def _may_see_licence(who: Principal, lic: Licence) -> bool:
    return (
        who.reads_everything()
        or who.acts_for(slug(lic.licensee))
        or who.acts_for(slug(lic.teacher_owner))
    )


@router.get("/api/v1/licences")
def licences(who: Who, svc: Svc) -> list[dict[str, Any]]:
    who.require_signed_in()
    today = dt.date.today()
    return [lic.as_dict(today) for lic in all_licences(svc.engine) if _may_see_licence(who, lic)]


@router.get("/api/v1/licences/{licence_id}")
def licence(licence_id: str, who: Who, svc: Svc) -> dict[str, Any]:
    who.require_signed_in()
    lic = get(svc.engine, licence_id)
    if not _may_see_licence(who, lic):
        raise Forbidden("not a party to this licence")
    return lic.as_dict(dt.date.today())


@router.post("/api/v1/licences/{licence_id}/usage", status_code=201)
async def usage(
    licence_id: str,
    report: UploadFile,
    who: Who,
    svc: Svc,
    report_id: str | None = None,
    corrects: str | None = None,
) -> dict[str, Any]:
    """Upload a usage report (CSV, JSONL or Parquet) for one licence: only its licensee may.
    A bad file is refused whole with every bad row listed; the same rows as a report already
    in are refused (409) unless sent with `corrects=REPORT`, which replaces that report."""
    who.require_write()
    lic = get(svc.engine, licence_id)
    if not who.acts_for(slug(lic.licensee)):
        raise Forbidden("only the licensee reports usage on a licence")
    name = Path(report.filename or "report.csv").name
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(await report.read())
        done = ingest(
            svc.engine,
            path,
            report_id or Path(name).stem,
            svc.data_dir,
            licence_id,
            origin=name,
            corrects=corrects,
            actor=f"account:{who.account}",
        )
    return {"report": done.report, "rows": done.rows, "new": done.new, "replaces": done.replaced}


@router.get("/api/v1/settlements")
def settlements_(who: Who, svc: Svc) -> list[dict[str, Any]]:
    who.require_signed_in()
    visible = {lic.id for lic in all_licences(svc.engine) if _may_see_licence(who, lic)}
    return [s for s in settlements(svc.engine) if s["licence"] in visible]


@router.get("/api/v1/ledger/accounts/{account:path}")
def ledger_account(account: str, who: Who, svc: Svc) -> dict[str, Any]:
    who.require_signed_in()
    owner = account.split(":")[1] if account.count(":") >= 2 else None
    if not (who.reads_everything() or (owner is not None and who.acts_for(owner))):
        raise Forbidden("only the account's owner or a regulator may read it")
    return {
        **ledger.balance(svc.engine, account),
        "history": ledger.history(svc.engine, account),
    }


@router.get("/api/v1/statements/holder/{holder}")
def holder_statement(holder: str, who: Who, svc: Svc) -> dict[str, Any]:
    who.require_signed_in()
    if not (who.reads_everything() or who.acts_for(holder)):
        raise Forbidden("a rights-holder sees only its own statement")
    return make_holder_statement(svc.engine, holder, dt.date.today())
