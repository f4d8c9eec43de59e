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
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import Conflict, DistillgovError, NotFound
from distillgov.framework.readings import phase_on
from distillgov.licensing.ledger import Account, ensure_accounts
from distillgov.licensing.tariffs import Tariff, TariffFile, in_force, later_periods
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


@dataclass(frozen=True)
class StatusEvent:
    """A dated change of a licence's status: a suspension, a revocation, or a reinstatement."""

    seq: int
    status: str
    effective_on: dt.date
    reason: str
    actor: str
    recorded_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "effective_on": str(self.effective_on),
            "reason": self.reason,
            "by": self.actor,
            "recorded_at": self.recorded_at.isoformat(timespec="seconds"),
        }


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
    events: tuple[StatusEvent, ...] = ()
    rates: tuple[Tariff, ...] = ()  # rate periods after the opening tariff, by date

    def tariff_for(self, period_start: dt.date) -> Tariff:
        """The tariff a usage period settles under: the latest rate period begun on or before
        its first day, else the one the licence opened with."""
        chosen = self.tariff
        for rate in self.rates:
            if rate.from_ <= period_start:
                chosen = rate
        return chosen

    def status_on(self, on: dt.date) -> str:
        """The clearinghouse's word in force on a day: the latest status change effective on or
        before it (the latest recorded, between two effective the same day); active if none."""
        status = "active"
        for e in self.events:  # in order of effective date, then of recording
            if e.effective_on <= on:
                status = e.status
        return status

    def state(self, on: dt.date) -> str:
        """What the licence is on a day: a suspension or revocation in force wins; otherwise
        royalties are due inside the window and not after it."""
        status = self.status_on(on)
        if status != "active":
            return status
        return _STATE_IN_PHASE[phase_on(on, self.window_start, self.window_end)]

    def unlicensed_days(self, start: dt.date, end: dt.date) -> int:
        """Days in [start, end) inside the window on which the licence was suspended or revoked:
        usage then is not licensed use, so it owes no royalty and is flagged instead. (After the
        window no licence is needed: royalty-free, types/commercial_cloning.)"""
        lo, hi = max(start, self.window_start), min(end, self.window_end)
        if lo >= hi or not self.events:
            return 0
        changes = sorted({lo, *(e.effective_on for e in self.events if lo < e.effective_on < hi)})
        days = 0
        for at, upto in zip(changes, [*changes[1:], hi], strict=True):
            if self.status_on(at) != "active":
                days += (upto - at).days
        return days

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
            "rate_periods": [
                {"from": str(r.from_), "tariff": r.model_dump(mode="json", by_alias=True)}
                for r in self.rates
            ],
            "status": self.status,
            "opened_on": str(self.opened_on),
            "history": [e.as_dict() for e in self.events],
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
    schedules: TariffFile | None = None,
    actor: str = "distillgov",
) -> Licence:
    """Open the licence a `compulsory_license` determination calls for, under the tariff in
    force that day (from `schedules`, a user's tariff file, else the profile's built-in one);
    the rate periods the schedule already dates later are kept with it."""
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
    tariff = in_force(profile, on, schedules)
    later = later_periods(profile, on, schedules)
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
        rates=tuple(later),
    )
    with engine.begin() as c:
        if c.execute(text("SELECT 1 FROM lic_licences WHERE id = :i"), {"i": licence.id}).first():
            raise LicenceExists(f"field 'id', value {licence.id!r}: a licence with this id exists")
        c.execute(
            text(
                "INSERT INTO lic_licences (id, licensee, student, teacher, teacher_owner, profile, "
                "profile_hash, determination_hash, window_start, window_end, currency, tariff, "
                "status, opened_on, opened_by) VALUES (:id, :licensee, :student, :teacher, "
                ":owner, :profile, :phash, :dhash, :ws, :we, :cur, :tariff, :status, :opened, :by)"
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
                "by": actor,
            },
        )
        ensure_accounts(c, list(accounts_for(licence).values()))
        _store_rates(c, licence.id, later, "the schedule it opened under", actor)
    return licence


def _store_rates(c: Any, licence: str, rates: list[Tariff], source: str, actor: str) -> None:
    if rates:
        c.execute(
            text(
                "INSERT INTO lic_rate_periods (licence, from_date, tariff, source, actor, "
                "added_at) VALUES (:l, :f, :t, :s, :a, :at)"
            ),
            [
                {
                    "l": licence,
                    "f": r.from_,
                    "t": json.dumps(r.model_dump(mode="json", by_alias=True)),
                    "s": source,
                    "a": actor,
                    "at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
                }
                for r in rates
            ],
        )


def add_rate_periods(
    engine: Engine, schedules: TariffFile, source: str, actor: str = "distillgov"
) -> list[tuple[str, dt.date]]:
    """Give every licence under the file's profile the rate periods it dates after the ones the
    licence holds: a new rate period reaches licences already open. A period a licence holds
    already must be the same in the file: a rate in force is never rewritten (a change is a new
    period, from a new date). Returns the (licence, from) pairs added."""
    added: list[tuple[str, dt.date]] = []
    licences = [lic for lic in all_licences(engine) if lic.profile == schedules.profile]
    with engine.begin() as c:
        for lic in licences:
            held = {lic.tariff.from_: lic.tariff, **{r.from_: r for r in lic.rates}}
            new = []
            for version in sorted(schedules.versions, key=lambda v: v.from_):
                if version.from_ <= lic.tariff.from_:
                    continue  # before the licence's own tariff: not its concern
                if version.from_ <= lic.opened_on and version.from_ not in held:
                    raise LicenceError(
                        f"{source}: a rate period from {version.from_}, on or before licence "
                        f"{lic.id} opened ({lic.opened_on}): it opened under the rate then in "
                        "force, which a later file does not rewrite"
                    )
                kept = held.get(version.from_)
                if kept is not None:
                    if _same_rate(kept, version):
                        continue
                    raise LicenceError(
                        f"{source}: the rate period from {version.from_} differs from the one "
                        f"licence {lic.id} holds: a rate in force is not rewritten; date the "
                        "change as a new period"
                    )
                if version.currency != lic.currency:
                    raise LicenceError(
                        f"{source}: the rate period from {version.from_} is in "
                        f"{version.currency}, licence {lic.id} in {lic.currency}"
                    )
                new.append(version)
            _store_rates(c, lic.id, new, source, actor)
            added += [(lic.id, v.from_) for v in new]
    return added


def _same_rate(a: Tariff, b: Tariff) -> bool:
    """The same rate, apart from a note (a profile's lever may have rewritten the schedule)."""
    keep = {"note"}
    if a.note and "royalty.revenue_percent" in a.note:
        keep |= {"schedule"}
    return a.model_dump(exclude=keep) == b.model_dump(exclude=keep)


_COLUMNS = (
    "id, licensee, student, teacher, teacher_owner, profile, profile_hash, determination_hash, "
    "window_start, window_end, currency, tariff, status, opened_on"
)


def _from_row(r: Any) -> Licence:
    return Licence(
        id=r[0],
        licensee=r[1],
        student=r[2],
        teacher=r[3],
        teacher_owner=r[4],
        profile=r[5],
        profile_hash=r[6],
        determination_hash=r[7],
        window_start=_day(r[8]),
        window_end=_day(r[9]),
        currency=r[10],
        tariff=Tariff.model_validate(json.loads(r[11])),
        status=r[12],
        opened_on=_day(r[13]),
    )


def _day(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])


def _moment(v: Any) -> dt.datetime:
    return v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))


def _events(c: Any, licence: str | None = None) -> dict[str, tuple[StatusEvent, ...]]:
    rows = c.execute(
        text(
            "SELECT licence, seq, status, effective_on, reason, actor, recorded_at "
            "FROM lic_status_events WHERE CAST(:l AS VARCHAR) IS NULL OR licence = :l "
            "ORDER BY licence, effective_on, seq"
        ),
        {"l": licence},
    ).all()
    found: dict[str, list[StatusEvent]] = {}
    for r in rows:
        found.setdefault(r[0], []).append(
            StatusEvent(int(r[1]), r[2], _day(r[3]), r[4], r[5], _moment(r[6]))
        )
    return {k: tuple(v) for k, v in found.items()}


def _rates(c: Any, licence: str | None = None) -> dict[str, tuple[Tariff, ...]]:
    rows = c.execute(
        text(
            "SELECT licence, tariff FROM lic_rate_periods "
            "WHERE CAST(:l AS VARCHAR) IS NULL OR licence = :l ORDER BY licence, from_date"
        ),
        {"l": licence},
    ).all()
    found: dict[str, list[Tariff]] = {}
    for lic, tariff in rows:
        found.setdefault(lic, []).append(Tariff.model_validate(json.loads(tariff)))
    return {k: tuple(v) for k, v in found.items()}


def get(engine: Engine, licence_id: str) -> Licence:
    with reading(engine) as c:
        row = c.execute(
            text(f"SELECT {_COLUMNS} FROM lic_licences WHERE id = :i"), {"i": licence_id}
        ).first()
        events = _events(c, licence_id)
        rates = _rates(c, licence_id)
    if row is None:
        raise UnknownLicence(f"no licence '{licence_id}'")
    return replace(
        _from_row(row), events=events.get(licence_id, ()), rates=rates.get(licence_id, ())
    )


def all_licences(engine: Engine, licensee: str | None = None) -> list[Licence]:
    with reading(engine) as c:
        rows = c.execute(
            text(
                f"SELECT {_COLUMNS} FROM lic_licences "
                "WHERE CAST(:l AS VARCHAR) IS NULL OR licensee = :l ORDER BY id"
            ),
            {"l": licensee},
        ).all()
        events = _events(c)
        rates = _rates(c)
    return [
        replace(lic, events=events.get(lic.id, ()), rates=rates.get(lic.id, ()))
        for lic in map(_from_row, rows)
    ]


def set_status(
    engine: Engine,
    licence_id: str,
    status: str,
    effective_on: dt.date | None = None,
    reason: str = "",
    actor: str = "distillgov",
) -> Licence:
    """Record a dated status change (a suspension, a revocation, or a reinstatement with
    `active`). Nothing is overwritten: the history keeps every change, and the licence's state
    on any day is read from it. Settlement applies it to the months it reaches at its next run
    (usage on days suspended or revoked inside the window is flagged as unlicensed use)."""
    if status not in STATES:
        raise LicenceError(f"field 'status', value {status!r}: must be one of {', '.join(STATES)}")
    lic = get(engine, licence_id)
    on = effective_on or dt.date.today()
    # A licence covers usage from its window's start, even when it was opened later.
    earliest = min(lic.window_start, lic.opened_on)
    if on < earliest:
        raise LicenceError(
            f"field 'effective_on', value '{on}': before the licence's window starts ({earliest})"
        )
    reason = reason.strip() or "no reason given"
    if lic.status_on(on) == status:
        raise LicenceError(
            f"field 'status', value {status!r}: the licence is already {status} on {on}"
        )
    with engine.begin() as c:
        seq = int(
            c.execute(text("SELECT COALESCE(MAX(seq), 0) FROM lic_status_events")).scalar_one()
        )
        c.execute(
            text(
                "INSERT INTO lic_status_events (seq, licence, status, effective_on, reason, actor, "
                "recorded_at) VALUES (:s, :l, :st, :on, :r, :a, :t)"
            ),
            {
                "s": seq + 1,
                "l": licence_id,
                "st": status,
                "on": on,
                "r": reason,
                "a": actor,
                "t": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
            },
        )
        latest = c.execute(
            text(
                "SELECT status FROM lic_status_events WHERE licence = :l "
                "ORDER BY effective_on DESC, seq DESC LIMIT 1"
            ),
            {"l": licence_id},
        ).scalar_one()
        # The column keeps the latest change's status, for readers of the table alone.
        c.execute(
            text("UPDATE lic_licences SET status = :s WHERE id = :i"),
            {"s": latest, "i": licence_id},
        )
    return get(engine, licence_id)
