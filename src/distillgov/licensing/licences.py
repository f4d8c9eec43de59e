"""Compulsory licences, opened from a determination whose rule is `compulsory_license`.

A licence records who may use whose teacher, under which profile and tariff, for which window
(the royalty window the determination gives: types/commercial_cloning), and its state: active,
royalty-free once the window has ended, or suspended or revoked by the clearinghouse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import Conflict, DistillgovError, NotFound
from distillgov.framework.readings import phase_on
from distillgov.licensing.ledger import Account, ensure_accounts
from distillgov.licensing.tariffs import Tariff, in_force
from distillgov.storage.db import reading

STATES = ("active", "suspended", "revoked")
_SLUG = re.compile(r"[^a-z0-9]+")


# The rules' phase of the window (types/commercial_cloning), as the licence's state.
_STATE_IN_PHASE = {
    "exclusivity": "not_yet_open",
    "licence_window": "active",
    "royalty_free": "royalty_free",
}


class LicenceError(DistillgovError):
    """A licence cannot be opened or changed; nothing was written."""


class LicenceExists(LicenceError, Conflict):
    """A licence with that id exists."""


class UnknownLicence(LicenceError, NotFound):
    """No licence with that id."""


def slug(text_: str) -> str:
    return _SLUG.sub("-", text_.lower()).strip("-")


@dataclass(frozen=True)
class Licence:
    id: str
    licensee: str
    student: str
    teacher: str
    teacher_owner: str
    profile: str
    profile_hash: str
    determination_hash: str
    window_start: dt.date
    window_end: dt.date
    currency: str
    tariff: Tariff
    status: str
    opened_on: dt.date

    def state(self, on: dt.date) -> str:
        """What the licence is on a day: a suspension or revocation wins; otherwise royalties
        are due inside the window and not after it."""
        if self.status != "active":
            return self.status
        return _STATE_IN_PHASE[phase_on(on, self.window_start, self.window_end)]

    def as_dict(self, on: dt.date | None = None) -> dict[str, Any]:
        out = {
            "id": self.id,
            "licensee": self.licensee,
            "student": self.student,
            "teacher": self.teacher,
            "teacher_owner": self.teacher_owner,
            "profile": self.profile,
            "profile_hash": self.profile_hash,
            "determination_hash": self.determination_hash,
            "window_start": str(self.window_start),
            "window_end": str(self.window_end),
            "currency": self.currency,
            "rate_set_by": self.tariff.set_by,
            "tariff": self.tariff.model_dump(mode="json", by_alias=True),
            "status": self.status,
            "opened_on": str(self.opened_on),
        }
        if on is not None:
            out["state"] = self.state(on)
        return out


def accounts_for(licence: Licence) -> dict[str, Account]:
    """The ledger accounts a licence's royalties move through (see docs/licensing.md)."""
    cur, pool = licence.currency, f"pool:{licence.profile}:{licence.currency}"
    return {
        "licensee": Account(f"licensee:{slug(licence.licensee)}:{cur}", cur, "licensee", False),
        "teacher_developer": Account(
            f"developer:{slug(licence.teacher_owner)}:{cur}", cur, "developer", True
        ),
        "data_creators": Account(f"creators:{slug(licence.teacher)}:{cur}", cur, "creators", True),
        "collective_pool": Account(pool, cur, "pool", True),
    }


def open_licence(
    engine: Engine,
    determination: Any,
    case: Any,
    profile: Any,
    on: dt.date,
    student: str | None = None,
    licence_id: str | None = None,
) -> Licence:
    """Open the licence a `compulsory_license` determination calls for."""
    if determination.rule != "compulsory_license":
        raise LicenceError(
            f"the determination's rule is {determination.rule!r}, not 'compulsory_license': "
            f"no compulsory licence to open ({determination.summary})"
        )
    royalty = determination.royalty
    licensee = case.distiller.organisation
    teacher, owner = case.teacher.id, case.teacher.owner
    for field, value in (
        ("distiller.organisation", licensee),
        ("teacher.id", teacher),
        ("teacher.owner", owner),
    ):
        if not value:
            raise LicenceError(f"field '{field}' is missing: a licence needs to name it")
    student = student or case.id
    if not student:
        raise LicenceError("the case has no 'id' and no --student was given: name the student")
    tariff = in_force(profile, on)
    licence = Licence(
        id=licence_id or f"lic-{slug(student)}-{profile.id}-{on:%Y%m%d}",
        licensee=licensee,
        student=student,
        teacher=teacher,
        teacher_owner=owner,
        profile=profile.id,
        profile_hash=determination.profile["hash"],
        determination_hash="sha256:" + hashlib.sha256(determination.to_json().encode()).hexdigest(),
        window_start=dt.date.fromisoformat(royalty["window_start"]),
        window_end=dt.date.fromisoformat(royalty["window_end"]),
        currency=tariff.currency,
        tariff=tariff,
        status="active",
        opened_on=on,
    )
    with engine.begin() as c:
        if c.execute(text("SELECT 1 FROM lic_licences WHERE id = :i"), {"i": licence.id}).first():
            raise LicenceExists(f"field 'id', value {licence.id!r}: a licence with this id exists")
        c.execute(
            text(
                "INSERT INTO lic_licences (id, licensee, student, teacher, teacher_owner, profile, "
                "profile_hash, determination_hash, window_start, window_end, currency, tariff, "
                "status, opened_on) VALUES (:id, :licensee, :student, :teacher, :owner, :profile, "
                ":phash, :dhash, :ws, :we, :cur, :tariff, :status, :opened)"
            ),
            {
                "id": licence.id,
                "licensee": licence.licensee,
                "student": licence.student,
                "teacher": licence.teacher,
                "owner": licence.teacher_owner,
                "profile": licence.profile,
                "phash": licence.profile_hash,
                "dhash": licence.determination_hash,
                "ws": licence.window_start,
                "we": licence.window_end,
                "cur": licence.currency,
                "tariff": json.dumps(tariff.model_dump(mode="json", by_alias=True)),
                "status": licence.status,
                "opened": licence.opened_on,
            },
        )
        ensure_accounts(c, list(accounts_for(licence).values()))
    return licence


_COLUMNS = (
    "id, licensee, student, teacher, teacher_owner, profile, profile_hash, determination_hash, "
    "window_start, window_end, currency, tariff, status, opened_on"
)


def _from_row(r: Any) -> Licence:
    def day(v: Any) -> dt.date:
        return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))

    return Licence(
        id=r[0],
        licensee=r[1],
        student=r[2],
        teacher=r[3],
        teacher_owner=r[4],
        profile=r[5],
        profile_hash=r[6],
        determination_hash=r[7],
        window_start=day(r[8]),
        window_end=day(r[9]),
        currency=r[10],
        tariff=Tariff.model_validate(json.loads(r[11])),
        status=r[12],
        opened_on=day(r[13]),
    )


def get(engine: Engine, licence_id: str) -> Licence:
    with reading(engine) as c:
        row = c.execute(
            text(f"SELECT {_COLUMNS} FROM lic_licences WHERE id = :i"), {"i": licence_id}
        ).first()
    if row is None:
        raise UnknownLicence(f"no licence '{licence_id}'")
    return _from_row(row)


def all_licences(engine: Engine, licensee: str | None = None) -> list[Licence]:
    with reading(engine) as c:
        rows = c.execute(
            text(
                f"SELECT {_COLUMNS} FROM lic_licences "
                "WHERE CAST(:l AS VARCHAR) IS NULL OR licensee = :l ORDER BY id"
            ),
            {"l": licensee},
        ).all()
    return [_from_row(r) for r in rows]


def set_status(engine: Engine, licence_id: str, status: str) -> Licence:
    if status not in STATES:
        raise LicenceError(f"field 'status', value {status!r}: must be one of {', '.join(STATES)}")
    get(engine, licence_id)
    with engine.begin() as c:
        c.execute(
            text("UPDATE lic_licences SET status = :s WHERE id = :i"),
            {"s": status, "i": licence_id},
        )
    return get(engine, licence_id)
