"""The answer to an access request: everything the registry, the clearinghouse, the service and
the requests part hold about the person, as one machine-readable document (JSON).

It is built when asked for and never stored: storing a copy would itself be more personal data.
The person is found by the identifiers on their request: the account they filed it from, their
reference at the organisation (which is also how the collective pool names a rights-holder), and
their name (a person registered as an organisation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, text

from distillgov.licensing import pool
from distillgov.registry import queries as registry
from distillgov.requests.store import UnknownRequest, get, listing
from distillgov.requests.workflow import Kind, RequestError
from distillgov.service import accounts
from distillgov.storage.db import reading

FORMAT = "distillgov.access-export/1"


def _identifiers(engine: Engine, request_id: str) -> dict[str, str | None]:
    with reading(engine) as c:
        row = c.execute(
            text("SELECT account, name, email, reference FROM dsr_subjects WHERE request = :r"),
            {"r": request_id},
        ).first()
    if row is None:
        raise UnknownRequest(f"no request '{request_id}'")
    return {"account": row[0], "name": row[1], "email": row[2], "reference": row[3]}


def access_export(engine: Engine, request_id: str, today: dt.date) -> dict[str, Any]:
    """The export for a verified access request (or one already fulfilled)."""
    request = get(engine, request_id, today)
    if request["kind"] != Kind.ACCESS.value:
        raise RequestError(f"request '{request_id}' is a {request['kind']} request, not access")
    if request["identity"] != "verified":
        raise RequestError(
            f"request '{request_id}': the requester's identity is {request['identity']}; an "
            "access export is given only to a verified requester"
        )
    who = _identifiers(engine, request_id)
    if not any(who.values()):
        raise RequestError(f"request '{request_id}': its identifiers were erased")
    holders = sorted({v for k, v in who.items() if k in ("account", "reference") and v})
    names = sorted({v for v in (who["reference"], who["name"]) if v})
    account = accounts.account_record(engine, who["account"]) if who["account"] else None
    return {
        "format": FORMAT,
        "request": request_id,
        "produced_on": today.isoformat(),
        "searched_for": {k: v for k, v in who.items() if v},
        "service": {"account": account},
        "registry": {"organisations": registry.organisations_named(engine, names)},
        "clearinghouse": {
            "pool_claims": [
                dict(c, holder=h) for h in holders for c in pool.holder_claims(engine, h)
            ],
            "pool_payouts": [dict(p, holder=h) for h in holders for p in pool.payouts(engine, h)],
        },
        "requests": listing(engine, today, account=who["account"]) if who["account"] else [],
        "not_held": [
            "The decision log keeps the case files assessed through the API; it is not searched "
            "here, as it is keyed by decision id, not by person.",
        ],
    }
