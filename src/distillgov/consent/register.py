"""The register of creators' reservations. Each reservation, and each withdrawal of one, is an
entry appended to the transparency log — so the day a work was reserved can be proved later to
anyone holding the log's key — and projected into `cns_` tables in the same transaction. A
withdrawal is a new entry; nothing is edited.

A reservation is in force from the day it was filed (the register's clock, not the holder's
word: an earlier date the holder gives is kept as `claimed_from`, and reported) until the day a
withdrawal is filed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, Engine, text

from distillgov.consent.robots import path_matches, split_url
from distillgov.errors import Conflict, DistillgovError, NotFound, problems_from
from distillgov.registry import projection
from distillgov.registry.log import TransparencyLog
from distillgov.registry.queries import declaring, organisation_exists
from distillgov.storage.db import reading

SLUG = r"^[a-z0-9][a-z0-9.\-_/]{0,119}$"
LABEL = re.compile(r"^[a-z*][a-z0-9_\-.*]{0,63}$")  # an AI-preferences label (vocab -07, 6.1)
KIND_RESERVATION, KIND_WITHDRAWAL = "reservation", "reservation_withdrawal"


class ConsentError(DistillgovError):
    """A reservation or a withdrawal is malformed; nothing was written."""


class UnknownReservation(ConsentError, NotFound):
    """No reservation with that id."""


class ReservationExists(ConsentError, Conflict):
    """A reservation (or withdrawal) with that id exists, or the reservation is withdrawn."""


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["work", "collection", "domain", "url_pattern"]
    value: str = Field(min_length=1, max_length=2000)

    @field_validator("value")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ch < " " for ch in value):
            raise ValueError("no control characters")
        return value

    def host(self) -> str | None:
        if self.kind == "domain":
            return self.value.lower().strip(".")
        if self.kind == "url_pattern":
            return (urlsplit(self.value).hostname or "").lower() or None
        return None


def _no_training() -> dict[str, Literal["y", "n"]]:
    return {"train-ai": "n"}


class ReservationForm(BaseModel):
    """A reservation as a rights-holder (or its agent) files it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=SLUG)
    holder: str = Field(pattern=SLUG, description="The rights-holder: a registered organisation.")
    scope: list[Scope] = Field(min_length=1, max_length=1000)
    preferences: dict[str, Literal["y", "n"]] = Field(
        default_factory=_no_training,
        description="AI-preferences labels and y (allow) or n (disallow); train-ai=n by default.",
    )
    tdm_reservation: Literal[0, 1] | None = Field(
        None, description="TDMRep: 1 reserves text and data mining, 0 does not."
    )
    tdm_policy: str | None = Field(None, max_length=2000, description="A TDM policy's URL.")
    claimed_from: dt.date | None = Field(
        None, description="An earlier date the holder says the reservation was made public."
    )
    evidence: str | None = Field(None, max_length=2000, description="Where it was published.")

    @field_validator("preferences")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for label in value:
            if not LABEL.match(label):
                raise ValueError(
                    f"label {label!r}: lowercase letters, digits, _ - . * (the vocabulary's rule)"
                )
        return value

    @field_validator("scope")
    @classmethod
    def _scopes(cls, value: list[Scope]) -> list[Scope]:
        for s in value:
            if s.kind == "url_pattern":
                parts = urlsplit(s.value)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise ValueError(
                        f"url_pattern {s.value!r}: an http(s) URL, e.g. https://host/path/*"
                    )
        return value


def parse_reservation(data: Any, origin: str = "reservation") -> ReservationForm:
    try:
        return ReservationForm.model_validate(data)
    except ValidationError as exc:
        raise ConsentError(
            f"{origin}: invalid reservation", problems_from(exc, ReservationForm)
        ) from None


def file_reservation(
    engine: Engine, log: TransparencyLog, form: ReservationForm, filed_by: str, today: dt.date
) -> dict[str, Any]:
    """Log and project a reservation; returns it with its log entry."""
    if not organisation_exists(engine, form.holder):
        raise ConsentError(
            f"field 'holder', value {form.holder!r}: no such organisation in the registry"
        )
    if form.claimed_from is not None and form.claimed_from > today:
        raise ConsentError(f"field 'claimed_from', value '{form.claimed_from}': in the future")
    data = {
        **form.model_dump(mode="json", exclude_none=True),
        "filed_on": today.isoformat(),
        "filed_by": filed_by,
    }
    with engine.begin() as c:
        if c.execute(text("SELECT 1 FROM cns_reservations WHERE id = :i"), {"i": form.id}).first():
            raise ReservationExists(
                f"field 'id', value {form.id!r}: a reservation with this id exists"
            )
        (entry,) = log.append_in(c, [(KIND_RESERVATION, data)])
        projection.insert(c, reservation_rows(data, entry))
    return {**data, "entry": entry}


def reservation_rows(
    data: dict[str, Any], entry: int, logged_at: str | None = None
) -> projection.Rows:
    """The rows a reservation's log entry projects (`registry/projection.py`)."""
    scopes = [Scope.model_validate(s) for s in data["scope"]]
    return {
        "cns_reservations": [
            (
                data["id"],
                data["holder"],
                json.dumps(data["preferences"], sort_keys=True),
                data.get("tdm_reservation"),
                data.get("tdm_policy"),
                data["filed_on"],
                data.get("claimed_from"),
                data["filed_by"],
                entry,
            )
        ],
        "cns_scopes": [(data["id"], s.kind, s.value, s.host()) for s in scopes],
    }


def withdrawal_rows(
    data: dict[str, Any], entry: int, logged_at: str | None = None
) -> projection.Rows:
    return {
        "cns_withdrawals": [
            (data["id"], data["reservation"], data["filed_on"], data["filed_by"], entry)
        ]
    }


def withdraw(
    engine: Engine, log: TransparencyLog, withdrawal_id: str, reservation: str, filed_by: str,
    today: dt.date,
) -> dict[str, Any]:  # fmt: skip
    if not re.match(SLUG, withdrawal_id):
        raise ConsentError(
            f"field 'id', value {withdrawal_id!r}: lowercase letters, digits, . - _ /"
        )
    data = {
        "id": withdrawal_id,
        "reservation": reservation,
        "filed_on": today.isoformat(),
        "filed_by": filed_by,
    }
    with engine.begin() as c:
        holder = c.execute(
            text("SELECT holder FROM cns_reservations WHERE id = :i"), {"i": reservation}
        ).scalar()
        if holder is None:
            raise UnknownReservation(f"no reservation '{reservation}'")
        if c.execute(
            text("SELECT 1 FROM cns_withdrawals WHERE reservation = :r OR id = :i"),
            {"r": reservation, "i": withdrawal_id},
        ).first():
            raise ReservationExists(
                f"reservation '{reservation}' is withdrawn already (or the id is taken)"
            )
        (entry,) = log.append_in(c, [(KIND_WITHDRAWAL, data)])
        projection.insert(c, withdrawal_rows(data, entry))
    return {**data, "entry": entry, "holder": holder}


def holder_of(engine: Engine, reservation: str) -> str:
    with reading(engine) as c:
        found = c.execute(
            text("SELECT holder FROM cns_reservations WHERE id = :i"), {"i": reservation}
        ).scalar()
    if found is None:
        raise UnknownReservation(f"no reservation '{reservation}'")
    return str(found)


def entry_of(engine: Engine, record_id: str) -> int:
    """The log entry of a reservation or a withdrawal (for `consent prove`)."""
    with reading(engine) as c:
        found = c.execute(
            text(
                "SELECT entry FROM cns_reservations WHERE id = :i UNION ALL "
                "SELECT entry FROM cns_withdrawals WHERE id = :i"
            ),
            {"i": record_id},
        ).scalar()
    if found is None:
        raise UnknownReservation(f"no reservation or withdrawal '{record_id}'")
    return int(found)


def reservations(engine: Engine, holder: str | None = None) -> list[dict[str, Any]]:
    with reading(engine) as c:
        return _load(c, holder)


def _load(c: Connection, holder: str | None) -> list[dict[str, Any]]:
    where = "WHERE r.holder = :h" if holder else ""
    rows = c.execute(
        text(
            "SELECT r.id, r.holder, r.preferences, r.tdm_reservation, r.tdm_policy, r.filed_on, "
            "r.claimed_from, r.entry, w.id, w.filed_on FROM cns_reservations r LEFT JOIN "
            f"cns_withdrawals w ON w.reservation = r.id {where} ORDER BY r.filed_on, r.id"
        ),
        {"h": holder},
    ).all()
    scopes: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r, kind, value in c.execute(text("SELECT reservation, kind, value FROM cns_scopes")):
        scopes[str(r)].append({"kind": str(kind), "value": str(value)})
    return [
        {
            "id": r[0],
            "holder": r[1],
            "preferences": json.loads(r[2]),
            "tdm_reservation": r[3],
            "tdm_policy": r[4],
            "filed_on": str(r[5])[:10],
            "claimed_from": None if r[6] is None else str(r[6])[:10],
            "entry": int(r[7]),
            "withdrawn": None if r[8] is None else {"id": r[8], "filed_on": str(r[9])[:10]},
            "scope": scopes[str(r[0])],
        }
        for r in rows
    ]


@dataclass(frozen=True)
class InForce:
    """A reservation as the checker uses it."""

    id: str
    holder: str
    preferences: dict[str, str]
    tdm_reservation: int | None
    filed_on: dt.date
    withdrawn_on: dt.date | None

    def in_force_on(self, day: dt.date) -> bool:
        return self.filed_on <= day and (self.withdrawn_on is None or day < self.withdrawn_on)


class Index:
    """Every reservation, indexed by what an item can be looked up by: its work id, its
    collection, its host (for domains and URL patterns)."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.by_work: dict[str, list[InForce]] = defaultdict(list)
        self.by_collection: dict[str, list[InForce]] = defaultdict(list)
        self.by_host: dict[str, list[tuple[str, str, InForce]]] = defaultdict(list)
        self.size = len(records)
        for r in records:
            w = r["withdrawn"]
            item = InForce(
                r["id"], r["holder"], r["preferences"], r["tdm_reservation"],
                dt.date.fromisoformat(r["filed_on"]),
                None if w is None else dt.date.fromisoformat(w["filed_on"]),
            )  # fmt: skip
            for s in r["scope"]:
                if s["kind"] == "work":
                    self.by_work[s["value"]].append(item)
                elif s["kind"] == "collection":
                    self.by_collection[s["value"]].append(item)
                else:
                    host = Scope.model_validate(s).host() or ""
                    pattern = "" if s["kind"] == "domain" else (urlsplit(s["value"]).path or "/")
                    self.by_host[host].append((s["kind"], pattern, item))

    def matching(
        self, url: str | None, work: str | None, collection: str | None, day: dt.date | None
    ) -> list[InForce]:
        """The reservations whose scope covers the item and that are in force on `day` (every
        one that covers it, if `day` is None)."""
        found: dict[str, InForce] = {}
        for r in self.by_work.get(work or "", ()):
            found[r.id] = r
        for r in self.by_collection.get(collection or "", ()):
            found[r.id] = r
        if url:
            host, path = split_url(url)
            labels = host.split(".")
            for i in range(len(labels)):  # the host and every parent domain
                for kind, pattern, r in self.by_host.get(".".join(labels[i:]), ()):
                    if kind == "domain" or (i == 0 and path_matches(pattern, path)):
                        found[r.id] = r
        hits = (r for r in found.values() if day is None or r.in_force_on(day))
        return sorted(hits, key=lambda r: r.id)


def load_index(engine: Engine) -> Index:
    return Index(reservations(engine))


def record_report(engine: Engine, report: dict[str, Any]) -> None:
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO cns_reports (id, dataset, checked_on, manifest_sha256, items, "
                "reserved, not_reserved, unknown, reservations) "
                "VALUES (:id, :ds, :on, :sha, :n, :r, :nr, :u, :res)"
            ),
            {
                "id": report["id"],
                "ds": report["dataset"],
                "on": dt.date.fromisoformat(report["checked_on"]),
                "sha": report["manifest_sha256"],
                "n": report["items"],
                "r": report["totals"]["reserved"],
                "nr": report["totals"]["not_reserved"],
                "u": report["totals"]["unknown"],
                "res": json.dumps(report["register"]["reservations"], sort_keys=True),
            },
        )


def latest_reports(
    engine: Engine, datasets: list[str], on: dt.date | None = None
) -> list[dict[str, Any]]:
    """The newest consent-check report of each dataset named (made on or before `on`)."""
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT id, dataset, checked_on, items, reserved, not_reserved, unknown, "
                "reservations FROM cns_reports ORDER BY checked_on, id"
            )
        ).all()
    newest: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r[1] in datasets and (on is None or str(r[2])[:10] <= on.isoformat()):
            newest[str(r[1])] = {
                "id": r[0], "dataset": r[1], "checked_on": str(r[2])[:10], "items": int(r[3]),
                "reserved": int(r[4]), "not_reserved": int(r[5]), "unknown": int(r[6]),
                "reservations": json.loads(r[7]),
            }  # fmt: skip
    return [newest[d] for d in datasets if d in newest]


def where_reported(engine: Engine, holder: str) -> list[dict[str, Any]]:
    """For a rights-holder: each dataset whose consent check met one of its reservations, with
    the registered models that declare the dataset (disclosed or on their own record)."""
    mine = {r["id"] for r in reservations(engine, holder)}
    with reading(engine) as c:
        rows = c.execute(
            text(
                "SELECT id, dataset, checked_on, reservations FROM cns_reports "
                "ORDER BY checked_on, id"
            )
        ).all()
        out = []
        for report_id, dataset, checked_on, met in rows:
            hits = {k: v for k, v in json.loads(met).items() if k in mine}
            if not hits:
                continue
            out.append(
                {
                    "report": report_id,
                    "dataset": dataset,
                    "checked_on": str(checked_on)[:10],
                    "reservations": hits,
                    "declared_by": declaring(engine, str(dataset)),
                }
            )
    return out
