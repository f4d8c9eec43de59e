"""Where requests live: an append-only, hash-chained trail of events (`dsr_events`), and the
current state of each request and downstream duty projected from it (`dsr_requests`,
`dsr_duties`). The data subject's identifiers sit in `dsr_subjects`, outside the chain, so that
erasing them never breaks it; the events carry no personal data (the requester acts as
"requester", evidence of identity is kept only as a SHA-256).

Every write is one transaction: the event, its projection and any erasure land together or not
at all. An idempotency key chosen by the caller makes a retried step a no-op, so a batch killed
half-way can simply be run again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import asdict
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import Connection, Engine, bindparam, text

from distillgov.errors import Conflict, NotFound, problems_from

__all__ = ["Conflict"]  # re-exported for callers that catch it
from distillgov.jurisdictions.profile import Profile
from distillgov.registry import queries as registry
from distillgov.requests.clock import Calendar, add_months, add_period
from distillgov.requests.workflow import (
    Action,
    Clocks,
    Identity,
    Kind,
    RefusalReason,
    RequestError,
    State,
    Status,
    apply,
    deadlines,
    overdue,
)
from distillgov.storage.db import reading

GENESIS = "0" * 64
SLUG = r"^[a-z0-9][a-z0-9.\-_/]{0,119}$"
REQUESTER = "requester"  # how the data subject or their agent appears in the trail
CHANNELS = ("web", "api", "email", "post", "phone", "in_person")
OUTCOMES = ("carried_out", "not_affected")  # how a downstream duty closes
MAX_BASIS = 500
_LOCK_KEY = 0x64737230  # "dsr0": the PostgreSQL advisory lock that orders appends


class UnknownRequest(NotFound):
    """No request (or duty) with that id."""


class Subject(BaseModel):
    """Who the request is about, as much as the organisation needs to find their data."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254)
    reference: str | None = Field(
        None, min_length=1, max_length=200, description="Their id at the organisation."
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("not an email address (name@domain)")
        return value

    @model_validator(mode="after")
    def _identifies(self) -> Subject:
        if self.email is None and self.reference is None:
            raise ValueError("give the subject's email or their reference at the organisation")
        return self


class RequestForm(BaseModel):
    """A request as a subject (or their agent) files it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str | None = Field(
        None, pattern=SLUG, description="The organisation's own reference; one is made if none."
    )
    kind: Kind
    organisation: str = Field(pattern=SLUG, description="The organisation it is addressed to.")
    dataset: str | None = Field(None, max_length=200, description="A dataset it concerns.")
    model: str | None = Field(None, pattern=SLUG, description="A registered model it concerns.")
    jurisdiction: str = Field("us", description="The profile whose clocks apply.")
    received_on: dt.date | None = Field(None, description="Day of receipt; today if not given.")
    channel: str = Field("api", description=f"One of {', '.join(CHANNELS)}.")
    on_behalf: bool = Field(False, description="Filed by an authorised agent.")
    subject: Subject

    @model_validator(mode="after")
    def _channel(self) -> RequestForm:
        if self.channel not in CHANNELS:
            raise ValueError(f"channel {self.channel!r} is not one of {', '.join(CHANNELS)}")
        return self


def parse_form(data: Any, origin: str = "request") -> RequestForm:
    try:
        return RequestForm.model_validate(data)
    except ValidationError as exc:
        raise RequestError(f"{origin}: invalid request", problems_from(exc, RequestForm)) from None


# --- the chain ---------------------------------------------------------------------------------


def event_hash(row: dict[str, Any]) -> str:
    """SHA-256 of an event's canonical JSON: sequence, key, request, times, actor, action,
    detail and the previous event's hash."""
    body = [
        row["seq"],
        row["key"],
        row["request"],
        row["recorded_at"].isoformat(),
        row["effective_on"].isoformat(),
        row["actor"],
        row["action"],
        json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"],
        row["prev_hash"],
    ]
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock(c: Connection) -> None:
    # SQLite: every write transaction began with BEGIN IMMEDIATE, so one writer at a time.
    if c.dialect.name == "postgresql":
        c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def _append(
    c: Connection,
    request: str,
    on: dt.date,
    actor: str,
    action: str,
    detail: dict[str, Any],
    key: str | None,
) -> int:
    head = c.execute(text("SELECT seq, hash FROM dsr_events ORDER BY seq DESC LIMIT 1")).first()
    seq = 1 if head is None else int(head[0]) + 1
    row = {
        "seq": seq,
        "key": key,
        "request": request,
        "recorded_at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        "effective_on": on,
        "actor": actor,
        "action": action,
        "detail": json.dumps(detail, sort_keys=True, separators=(",", ":")),
        "prev_hash": GENESIS if head is None else str(head[1]),
    }
    row["hash"] = event_hash(row)
    c.execute(
        text(
            "INSERT INTO dsr_events (seq, key, request, recorded_at, effective_on, actor, action, "
            "detail, prev_hash, hash) VALUES (:seq, :key, :request, :recorded_at, :effective_on, "
            ":actor, :action, :detail, :prev_hash, :hash)"
        ),
        row,
    )
    return seq


def _replayed(c: Connection, key: str | None, request: str, action: str) -> bool:
    """True if an event with this idempotency key is recorded for the same step (a retry);
    a Conflict if the key was used for another step."""
    if key is None:
        return False
    found = c.execute(
        text("SELECT request, action FROM dsr_events WHERE key = :k"), {"k": key}
    ).first()
    if found is None:
        return False
    if (found[0], found[1]) != (request, action):
        raise Conflict(
            f"field 'key', value {key!r}: already used for '{found[1]}' on request '{found[0]}'"
        )
    return True


# --- clocks ------------------------------------------------------------------------------------


def clocks_of(profile: Profile, day: dt.date) -> Clocks:
    return Clocks.from_levers(profile.as_of(day).values)


def _clocks_json(clocks: Clocks) -> dict[str, Any]:
    out = asdict(clocks)
    out["calendar"] = clocks.calendar.name
    return out


def _clocks_from(data: dict[str, Any]) -> Clocks:
    return Clocks(**{**data, "calendar": Calendar(data["calendar"])})


# --- filing and acting -------------------------------------------------------------------------


def file_request(
    engine: Engine,
    form: RequestForm,
    profile: Profile,
    account: str | None,
    today: dt.date,
    key: str | None = None,
) -> dict[str, Any]:
    """Record a new request (status received) and return it. The organisation must be known
    to the registry; a model named must be registered."""
    received = form.received_on or today
    if received > today:
        raise RequestError(f"field 'received_on', value '{received}': a day in the future")
    if not registry.organisation_exists(engine, form.organisation):
        raise RequestError(
            f"field 'organisation', value {form.organisation!r}: no such organisation in the "
            "registry"
        )
    if form.model is not None and not registry.model_exists(engine, form.model):
        raise RequestError(f"field 'model', value {form.model!r}: no such model in the registry")
    clocks = clocks_of(profile, received)
    request_id = form.id or "dsr-" + secrets.token_hex(8)
    detail = {
        "kind": form.kind.value,
        "organisation": form.organisation,
        "dataset": form.dataset,
        "model": form.model,
        "profile": profile.id,
        "profile_hash": profile.content_hash,
        "clocks": _clocks_json(clocks),
        "channel": form.channel,
        "on_behalf": form.on_behalf,
    }
    with engine.begin() as c:
        _lock(c)
        if key is not None:
            earlier = c.execute(
                text("SELECT request, action FROM dsr_events WHERE key = :k"), {"k": key}
            ).first()
            if earlier is not None:
                if earlier[1] != "received":
                    raise Conflict(f"field 'key', value {key!r}: already used for '{earlier[1]}'")
                request_id = str(earlier[0])
                return _view(c, request_id, today)
        taken = c.execute(text("SELECT 1 FROM dsr_requests WHERE id = :i"), {"i": request_id})
        if taken.first() is not None:
            raise Conflict(f"field 'id', value {request_id!r}: a request with this id exists")
        state = State(form.kind, received)
        c.execute(
            text(
                "INSERT INTO dsr_requests (id, kind, organisation, dataset, model, profile, "
                "profile_hash, clocks, channel, on_behalf, received_on, status, identity, "
                "last_event) VALUES (:id, :kind, :org, :ds, :m, :p, :ph, :clk, :ch, :ob, :r, "
                ":st, :idn, 0)"
            ),
            {
                "id": request_id,
                "kind": form.kind.value,
                "org": form.organisation,
                "ds": form.dataset,
                "m": form.model,
                "p": profile.id,
                "ph": profile.content_hash,
                "clk": json.dumps(detail["clocks"], sort_keys=True),
                "ch": form.channel,
                "ob": form.on_behalf,
                "r": received,
                "st": state.status.value,
                "idn": state.identity.value,
            },
        )
        c.execute(
            text(
                "INSERT INTO dsr_subjects (request, account, name, email, reference) "
                "VALUES (:r, :a, :n, :e, :ref)"
            ),
            {
                "r": request_id,
                "a": account,
                "n": form.subject.name,
                "e": form.subject.email,
                "ref": form.subject.reference,
            },
        )
        seq = _append(c, request_id, received, REQUESTER, "received", detail, key)
        _project(c, request_id, state, clocks, seq)
        return _view(c, request_id, today)


def act(
    engine: Engine,
    request_id: str,
    action: Action,
    actor: str,
    today: dt.date,
    on: dt.date | None = None,
    key: str | None = None,
    reason: str | None = None,
    basis: str | None = None,
    evidence_sha256: str | None = None,
) -> dict[str, Any]:
    """Take one step on a request and return it as it now stands. A step the present state does
    not allow is refused (TransitionRefused) and nothing is written."""
    day = _step_day(on, today, basis, evidence_sha256)
    with engine.begin() as c:
        _lock(c)
        if _replayed(c, key, request_id, action.value):
            return _view(c, request_id, today)
        state, clocks = _state(c, request_id)
        after = apply(state, action, day, clocks, reason=reason)
        detail: dict[str, Any] = {}
        if reason is not None:
            detail["reason"] = RefusalReason(reason).value
        if basis:
            detail["basis"] = basis
        if evidence_sha256:
            detail["evidence_sha256"] = evidence_sha256
        seq = _append(c, request_id, day, actor, action.value, detail, key)
        if after.status is Status.FULFILLED and after.kind in (Kind.DELETION, Kind.OPT_OUT):
            seq = _open_duties(c, engine, request_id, day, clocks, actor)[1] or seq
        _project(c, request_id, after, clocks, seq)
        if after.status is Status.FULFILLED and after.kind is Kind.DELETION:
            _erase_subject(c, request_id, day)
        return _view(c, request_id, today)


def _step_day(
    on: dt.date | None, today: dt.date, basis: str | None, evidence_sha256: str | None
) -> dt.date:
    """The day a step (on a request or a duty) takes effect, after checking what it carries."""
    day = on or today
    if day > today:
        raise RequestError(f"field 'on', value '{day}': a day in the future")
    if basis is not None and len(basis) > MAX_BASIS:
        raise RequestError(f"field 'basis': at most {MAX_BASIS} characters, not {len(basis)}")
    if evidence_sha256 is not None and not _is_sha256(evidence_sha256):
        raise RequestError(
            f"field 'evidence_sha256', value {evidence_sha256!r}: 64 lowercase hex digits"
        )
    return day


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(ch in "0123456789abcdef" for ch in value)


def evidence_digest(data: bytes) -> str:
    """What is kept of a piece of identity evidence: its SHA-256, never its content."""
    return hashlib.sha256(data).hexdigest()


def _state(c: Connection, request_id: str) -> tuple[State, Clocks]:
    row = c.execute(
        text(
            "SELECT kind, received_on, status, identity, verified_on, extended_on, closed_on, "
            "refusal, clocks FROM dsr_requests WHERE id = :i"
        ),
        {"i": request_id},
    ).first()
    if row is None:
        raise UnknownRequest(f"no request '{request_id}'")
    state = State(
        Kind(row[0]),
        _date(row[1]),
        Status(row[2]),
        Identity(row[3]),
        _date(row[4]),
        _date(row[5]),
        _date(row[6]),
        None if row[7] is None else RefusalReason(row[7]),
    )
    return state, _clocks_from(json.loads(row[8]))


def _date(value: Any) -> Any:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _project(c: Connection, request_id: str, state: State, clocks: Clocks, seq: int) -> None:
    due = deadlines(state, clocks)
    c.execute(
        text(
            "UPDATE dsr_requests SET status = :st, identity = :idn, verified_on = :v, "
            "extended_on = :x, closed_on = :cl, refusal = :rf, acknowledge_due = :ad, "
            "response_due = :rd, last_event = :seq WHERE id = :id"
        ),
        {
            "st": state.status.value,
            "idn": state.identity.value,
            "v": state.verified_on,
            "x": state.extended_on,
            "cl": state.closed_on,
            "rf": None if state.refusal is None else state.refusal.value,
            "ad": due.get("acknowledge"),
            "rd": due.get("response"),
            "seq": seq,
            "id": request_id,
        },
    )


def _erase_subject(c: Connection, request_id: str, on: dt.date) -> None:
    """Forget who the request was for: what the trail keeps (dates, kind, channel, response,
    the basis of a refusal) is what the request record must keep, and names no one."""
    c.execute(
        text(
            "UPDATE dsr_subjects SET account = NULL, name = NULL, email = NULL, reference = NULL, "
            "erased_on = :d WHERE request = :r AND erased_on IS NULL"
        ),
        {"d": on, "r": request_id},
    )


# --- downstream duties -------------------------------------------------------------------------


def _roots(engine: Engine, dataset: str | None, model: str | None) -> list[str]:
    roots = set(registry.trained_on(engine, dataset)) if dataset else set()
    if model:
        roots.add(model)
    return sorted(roots)


def _open_duties(
    c: Connection, engine: Engine, request_id: str, on: dt.date, clocks: Clocks, actor: str
) -> tuple[int, int | None]:
    """Mark every registered model downstream of the request's dataset or model with the duty
    its profile sets, due after the profile's downstream period; returns how many were new and
    the last event written."""
    dataset, model = c.execute(
        text("SELECT dataset, model FROM dsr_requests WHERE id = :i"), {"i": request_id}
    ).one()
    known = {
        str(r[0])
        for r in c.execute(
            text("SELECT model FROM dsr_duties WHERE request = :i"), {"i": request_id}
        )
    }
    due = add_period(on, clocks.downstream_period, clocks.calendar)
    opened, last = 0, None
    for hit in registry.downstream(engine, _roots(engine, dataset, model)):
        if hit["model"] in known:
            continue
        duty_id = f"{request_id}/{hit['model']}"
        detail = {
            "duty_id": duty_id,
            "model": hit["model"],
            "owner": hit["owner"],
            "depth": hit["depth"],
            "via": hit["via"],
            "duty": clocks.downstream_duty,
            "due_on": due.isoformat(),
        }
        last = _append(c, request_id, on, actor, "duty_opened", detail, None)
        c.execute(
            text(
                "INSERT INTO dsr_duties (id, request, model, owner, depth, via, duty, due_on, "
                "status) VALUES (:id, :r, :m, :o, :d, :v, :duty, :due, 'open')"
            ),
            {
                "id": duty_id,
                "r": request_id,
                "m": hit["model"],
                "o": hit["owner"],
                "d": hit["depth"],
                "v": hit["via"],
                "duty": clocks.downstream_duty,
                "due": due,
            },
        )
        opened += 1
    return opened, last


def propagate(engine: Engine, request_id: str, actor: str, today: dt.date) -> int:
    """Open duties for models registered downstream since the request was fulfilled (a
    deletion or opt-out only); returns how many were opened."""
    with engine.begin() as c:
        _lock(c)
        state, clocks = _state(c, request_id)
        if state.kind not in (Kind.DELETION, Kind.OPT_OUT) or state.status is not Status.FULFILLED:
            raise RequestError(
                f"request '{request_id}' is a {state.kind} that is {state.status}: only a "
                "fulfilled deletion or opt-out reaches downstream models"
            )
        opened, last = _open_duties(c, engine, request_id, today, clocks, actor)
        if last is not None:
            c.execute(
                text("UPDATE dsr_requests SET last_event = :s WHERE id = :i"),
                {"s": last, "i": request_id},
            )
        return opened


def close_duty(
    engine: Engine,
    duty_id: str,
    outcome: str,
    actor: str,
    today: dt.date,
    on: dt.date | None = None,
    basis: str | None = None,
    evidence_sha256: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    if outcome not in OUTCOMES:
        raise RequestError(f"field 'outcome', value {outcome!r}: one of {', '.join(OUTCOMES)}")
    day = _step_day(on, today, basis, evidence_sha256)
    with engine.begin() as c:
        _lock(c)
        row = c.execute(
            text("SELECT request, status FROM dsr_duties WHERE id = :i"), {"i": duty_id}
        ).first()
        if row is None:
            raise UnknownRequest(f"no downstream duty '{duty_id}'")
        request_id = str(row[0])
        if _replayed(c, key, request_id, "duty_closed"):
            return duty(c, duty_id)
        if row[1] != "open":
            raise Conflict(f"duty '{duty_id}' is closed already")
        detail = {"duty_id": duty_id, "outcome": outcome}
        if basis:
            detail["basis"] = basis
        if evidence_sha256:
            detail["evidence_sha256"] = evidence_sha256
        seq = _append(c, request_id, day, actor, "duty_closed", detail, key)
        c.execute(
            text(
                "UPDATE dsr_duties SET status = 'closed', closed_on = :d, outcome = :o "
                "WHERE id = :i"
            ),
            {"d": day, "o": outcome, "i": duty_id},
        )
        c.execute(
            text("UPDATE dsr_requests SET last_event = :s WHERE id = :i"),
            {"s": seq, "i": request_id},
        )
        return duty(c, duty_id)


_SELECT_DUTIES = (
    "SELECT id, request, model, owner, depth, via, duty, due_on, status, closed_on, outcome "
    "FROM dsr_duties"
)


def duty(c: Connection, duty_id: str) -> dict[str, Any]:
    row = c.execute(
        text(_SELECT_DUTIES + " WHERE id = :i"),
        {"i": duty_id},
    ).one()
    return _duty_dict(row)


def _duty_dict(row: Any) -> dict[str, Any]:
    keys = ("id", "request", "model", "owner", "depth", "via", "duty", "due_on", "status")
    out = dict(zip(keys, row[:9], strict=True))
    out["due_on"] = str(_date(out["due_on"]))
    out["closed_on"] = None if row[9] is None else str(_date(row[9]))
    out["outcome"] = row[10]
    return out


# --- reading -----------------------------------------------------------------------------------


def get(engine: Engine, request_id: str, today: dt.date) -> dict[str, Any]:
    with reading(engine) as c:
        return _view(c, request_id, today)


def _view(c: Connection, request_id: str, today: dt.date) -> dict[str, Any]:
    row = c.execute(
        text(
            "SELECT id, kind, organisation, dataset, model, profile, channel, on_behalf, "
            "received_on, status, identity, verified_on, extended_on, closed_on, refusal, "
            "acknowledge_due, response_due FROM dsr_requests WHERE id = :i"
        ),
        {"i": request_id},
    ).first()
    if row is None:
        raise UnknownRequest(f"no request '{request_id}'")
    state, clocks = _state(c, request_id)
    events = c.execute(
        text(
            "SELECT seq, effective_on, recorded_at, actor, action, detail FROM dsr_events "
            "WHERE request = :i ORDER BY seq"
        ),
        {"i": request_id},
    ).all()
    duties = c.execute(
        text(_SELECT_DUTIES + " WHERE request = :i ORDER BY depth, model"),
        {"i": request_id},
    ).all()
    names = (
        "id", "kind", "organisation", "dataset", "model", "profile", "channel", "on_behalf",
        "received_on", "status", "identity", "verified_on", "extended_on", "closed_on",
        "refusal", "acknowledge_due", "response_due",
    )  # fmt: skip
    out = dict(zip(names, row, strict=True))
    for k in ("received_on", "verified_on", "extended_on", "closed_on"):
        out[k] = None if out[k] is None else str(_date(out[k]))
    for k in ("acknowledge_due", "response_due"):
        out[k] = None if out[k] is None else str(_date(out[k]))
    out["on_behalf"] = bool(out["on_behalf"])
    out["overdue"] = overdue(state, clocks, today)
    out["events"] = [
        {
            "seq": int(e[0]),
            "on": str(_date(e[1])),
            "recorded_at": str(e[2])[:19],
            "actor": e[3],
            "action": e[4],
            **{k: v for k, v in json.loads(e[5]).items() if k in ("reason", "basis", "duty_id")},
        }
        for e in events
    ]
    out["duties"] = [_duty_dict(d) for d in duties]
    return out


def requester_of(engine: Engine, request_id: str) -> str | None:
    """The account that filed the request (None once erased, or if filed without one)."""
    with reading(engine) as c:
        found = c.execute(
            text("SELECT account FROM dsr_subjects WHERE request = :r"), {"r": request_id}
        ).first()
        if found is None:
            exists = c.execute(
                text("SELECT 1 FROM dsr_requests WHERE id = :i"), {"i": request_id}
            ).first()
            if exists is None:
                raise UnknownRequest(f"no request '{request_id}'")
    return None if found is None else found[0]


def organisation_of(engine: Engine, request_id: str) -> str:
    with reading(engine) as c:
        found = c.execute(
            text("SELECT organisation FROM dsr_requests WHERE id = :i"), {"i": request_id}
        ).scalar()
    if found is None:
        raise UnknownRequest(f"no request '{request_id}'")
    return str(found)


def duty_owner(engine: Engine, duty_id: str) -> str:
    with reading(engine) as c:
        found = c.execute(
            text("SELECT owner FROM dsr_duties WHERE id = :i"), {"i": duty_id}
        ).scalar()
    if found is None:
        raise UnknownRequest(f"no downstream duty '{duty_id}'")
    return str(found)


MAX_LISTED = 10_000


def listing(
    engine: Engine,
    today: dt.date,
    organisation: str | None = None,
    account: str | None = None,
    status: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Requests, newest first, with their deadlines, what is overdue and their duties' counts:
    those addressed to `organisation`, or filed by `account`, or all (a regulator's view) when
    neither is given; `limit` at a time (at most MAX_LISTED) from `offset`. One query."""
    if not 1 <= limit <= MAX_LISTED:
        raise RequestError(f"field 'limit', value {limit}: from 1 to {MAX_LISTED:,}")
    if offset < 0:
        raise RequestError(f"field 'offset', value {offset}: 0 or more")
    where = ["1 = 1"]
    params: dict[str, Any] = {"n": limit, "k": offset}
    if organisation is not None:
        where.append("r.organisation = :o")
        params["o"] = organisation
    if account is not None:
        where.append("s.account = :a")
        params["a"] = account
    if status is not None:
        if status not in set(Status) | {"open"}:
            raise RequestError(
                f"field 'status', value {status!r}: one of open, {', '.join(Status)}"
            )
        if status == "open":
            where.append("r.closed_on IS NULL")
        else:
            where.append("r.status = :st")
            params["st"] = status
    with reading(engine) as c:
        rows = c.execute(
            text(
                f"SELECT {', '.join('r.' + n for n in _LISTED)}, r.clocks, "
                "(SELECT COUNT(*) FROM dsr_duties d WHERE d.request = r.id), "
                "(SELECT COUNT(*) FROM dsr_duties d WHERE d.request = r.id AND "
                "d.status = 'open') FROM dsr_requests r LEFT JOIN dsr_subjects s ON "
                f"s.request = r.id WHERE {' AND '.join(where)} "
                "ORDER BY r.received_on DESC, r.id LIMIT :n OFFSET :k"
            ),
            params,
        ).all()
    return [_listed(row, today) for row in rows]


_LISTED = (
    "id", "kind", "organisation", "dataset", "model", "profile", "channel", "on_behalf",
    "received_on", "status", "identity", "verified_on", "extended_on", "closed_on", "refusal",
    "acknowledge_due", "response_due",
)  # fmt: skip
_DATES = frozenset(
    {"received_on", "verified_on", "extended_on", "closed_on", "acknowledge_due", "response_due"}
)


def _listed(row: Any, today: dt.date) -> dict[str, Any]:
    out = dict(zip(_LISTED, row[: len(_LISTED)], strict=True))
    for k in _DATES:
        out[k] = None if out[k] is None else str(_date(out[k]))
    out["on_behalf"] = bool(out["on_behalf"])
    state = State(
        Kind(out["kind"]),
        _date(out["received_on"]),
        Status(out["status"]),
        Identity(out["identity"]),
        _date(out["verified_on"]),
        _date(out["extended_on"]),
        _date(out["closed_on"]),
        None if out["refusal"] is None else RefusalReason(out["refusal"]),
    )
    clocks = _clocks_from(json.loads(row[len(_LISTED)]))
    out["overdue"] = overdue(state, clocks, today)
    out["duties"], out["open_duties"] = int(row[-2]), int(row[-1])
    return out


def overdue_screen(engine: Engine, today: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The regulator's screen: open requests past a deadline, and open downstream duties past
    their due date."""
    late, offset = [], 0
    while True:  # every open request, a page at a time
        page = listing(engine, today, status="open", limit=MAX_LISTED, offset=offset)
        late += [r for r in page if r["overdue"]]
        if len(page) < MAX_LISTED:
            break
        offset += MAX_LISTED
    with reading(engine) as c:
        duties = c.execute(
            text(_SELECT_DUTIES + " WHERE status = 'open' AND due_on < :t ORDER BY due_on, id"),
            {"t": today},
        ).all()
    return {"requests": late, "duties": [_duty_dict(d) for d in duties]}


def duties_of(engine: Engine, owner: str) -> list[dict[str, Any]]:
    with reading(engine) as c:
        rows = c.execute(
            text(_SELECT_DUTIES + " WHERE owner = :o ORDER BY status DESC, due_on, id"),
            {"o": owner},
        ).all()
    return [_duty_dict(r) for r in rows]


def standing(engine: Engine, sources: list[str], day: dt.date) -> dict[str, Any]:
    """What the data subjects' requests against a project's data sources (dataset ids or
    registered models) say on `day`: 'overdue' if any open request or downstream duty naming
    one of them is past its deadline, 'open' if any is open, else 'none'; with the earliest
    deadline and the ids."""
    if not sources:
        return {"standing": "none", "due": None, "requests": [], "duties": []}
    with reading(engine) as c:
        ids = [
            str(r[0])
            for r in c.execute(
                text(
                    "SELECT id FROM dsr_requests WHERE closed_on IS NULL AND "
                    "(dataset IN :s OR model IN :s) ORDER BY id"
                ).bindparams(_expanding("s")),
                {"s": sources},
            )
        ]
        views = [_view(c, i, day) for i in ids]
        duties = c.execute(
            text(_SELECT_DUTIES + " WHERE status = 'open' AND model IN :s ORDER BY id").bindparams(
                _expanding("s")
            ),
            {"s": sources},
        ).all()
    open_duties = [_duty_dict(d) for d in duties]
    dues = [v["response_due"] for v in views if v["response_due"]]
    dues += [d["due_on"] for d in open_duties]
    late = any(v["overdue"] for v in views) or any(
        d["due_on"] < day.isoformat() for d in open_duties
    )
    value = "overdue" if late else "open" if (views or open_duties) else "none"
    return {
        "standing": value,
        "due": min(dues) if dues else None,
        "requests": ids,
        "duties": [d["id"] for d in open_duties],
    }


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


# --- retention ---------------------------------------------------------------------------------


def purge(engine: Engine, today: dt.date) -> list[str]:
    """Erase the identifiers of every request closed more than its profile's records period
    ago; the trail (which names no one) stays. Returns the requests purged."""
    with engine.begin() as c:
        _lock(c)
        rows = c.execute(
            text(
                "SELECT r.id, r.closed_on, r.clocks FROM dsr_requests r JOIN dsr_subjects s "
                "ON s.request = r.id WHERE r.closed_on IS NOT NULL AND s.erased_on IS NULL"
            )
        ).all()
        done = []
        for request_id, closed, clocks in rows:
            months = int(json.loads(clocks)["records_months"])
            if add_months(_date(closed), months) < today:
                _erase_subject(c, str(request_id), today)
                done.append(str(request_id))
    return sorted(done)


# --- checking ----------------------------------------------------------------------------------


def check(engine: Engine) -> list[str]:
    """Every problem with the trail and its projections: a broken chain link, an event whose
    hash does not match its content, a request or duty row that differs from what replaying its
    events gives (or that no event explains). Empty when all is well."""
    problems: list[str] = []
    states: dict[str, tuple[State, Clocks, int]] = {}
    duties: dict[str, dict[str, Any]] = {}
    with reading(engine) as c:
        prev, expected_seq = GENESIS, 1
        result = c.execute(
            text(
                "SELECT seq, key, request, recorded_at, effective_on, actor, action, detail, "
                "prev_hash, hash FROM dsr_events ORDER BY seq"
            )
        )
        for r in result:
            row = dict(r._mapping)
            row["recorded_at"] = _datetime(row["recorded_at"])
            row["effective_on"] = _date(row["effective_on"])
            seq = int(row["seq"])
            if seq != expected_seq:
                problems.append(f"event {expected_seq}: missing (next is {seq})")
            expected_seq = seq + 1
            if row["prev_hash"] != prev:
                problems.append(f"event {seq}: does not follow event {seq - 1} (chain broken)")
            if event_hash(row) != row["hash"]:
                problems.append(f"event {seq}: its content does not match its hash (edited)")
            prev = row["hash"]
            _replay(row, states, duties, problems)
        problems += _compare_requests(c, states)
        problems += _compare_duties(c, duties)
    return problems


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _replay(
    row: dict[str, Any],
    states: dict[str, tuple[State, Clocks, int]],
    duties: dict[str, dict[str, Any]],
    problems: list[str],
) -> None:
    request, action, seq = row["request"], row["action"], int(row["seq"])
    detail = json.loads(row["detail"])
    if action == "received":
        clocks = _clocks_from(detail["clocks"])
        states[request] = (State(Kind(detail["kind"]), row["effective_on"]), clocks, seq)
        return
    if request not in states:
        problems.append(f"event {seq}: request '{request}' has no 'received' event before it")
        return
    state, clocks, _ = states[request]
    if action == "duty_opened":
        duties[detail["duty_id"]] = {**detail, "request": request, "status": "open"}
    elif action == "duty_closed":
        found = duties.get(detail["duty_id"])
        if found is None:
            problems.append(f"event {seq}: closes duty '{detail['duty_id']}' never opened")
        else:
            found.update(
                status="closed", closed_on=str(row["effective_on"]), outcome=detail["outcome"]
            )
    else:
        try:
            state = apply(state, Action(action), row["effective_on"], clocks, **detail)
        except (RequestError, Conflict, ValueError) as why:
            problems.append(f"event {seq}: '{action}' was not allowed: {why}")
    states[request] = (state, clocks, seq)


def _compare_requests(c: Connection, states: dict[str, tuple[State, Clocks, int]]) -> list[str]:
    problems = []
    rows = {
        str(r[0]): r
        for r in c.execute(
            text(
                "SELECT id, kind, received_on, status, identity, verified_on, extended_on, "
                "closed_on, refusal, acknowledge_due, response_due, last_event, clocks "
                "FROM dsr_requests"
            )
        )
    }
    for request_id in sorted(set(rows) - set(states)):
        problems.append(f"request '{request_id}': in the table but not in the trail")
    for request_id, (state, clocks, last) in sorted(states.items()):
        row = rows.get(request_id)
        if row is None:
            problems.append(f"request '{request_id}': in the trail but missing from the table")
            continue
        due = deadlines(state, clocks)
        want = (
            state.kind.value, state.received_on, state.status.value, state.identity.value,
            state.verified_on, state.extended_on, state.closed_on,
            None if state.refusal is None else state.refusal.value,
            due.get("acknowledge"), due.get("response"), last,
        )  # fmt: skip
        have = tuple(_date(v) if i in (1, 4, 5, 6, 8, 9) else v for i, v in enumerate(row[1:12]))
        have = (*have[:10], int(have[10]))
        for name, w, h in zip(_REQUEST_FIELDS, want, have, strict=True):
            if w != h:
                problems.append(
                    f"request '{request_id}': {name} is {h!r} in the table, {w!r} in the trail"
                )
        if json.loads(row[12]) != _clocks_json(clocks):
            problems.append(f"request '{request_id}': clocks differ from the trail")
    return problems


_REQUEST_FIELDS = (
    "kind", "received_on", "status", "identity", "verified_on", "extended_on", "closed_on",
    "refusal", "acknowledge_due", "response_due", "last_event",
)  # fmt: skip


def _compare_duties(c: Connection, duties: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    rows = {str(r[0]): _duty_dict(r) for r in c.execute(text(_SELECT_DUTIES))}
    for duty_id in sorted(set(rows) - set(duties)):
        problems.append(f"duty '{duty_id}': in the table but not in the trail")
    for duty_id, want in sorted(duties.items()):
        have = rows.get(duty_id)
        if have is None:
            problems.append(f"duty '{duty_id}': in the trail but missing from the table")
            continue
        for name in ("request", "model", "owner", "depth", "via", "duty", "due_on", "status"):
            if have[name] != want[name]:
                problems.append(
                    f"duty '{duty_id}': {name} is {have[name]!r} in the table, "
                    f"{want[name]!r} in the trail"
                )
        for name in ("closed_on", "outcome"):
            if have[name] != want.get(name):
                problems.append(
                    f"duty '{duty_id}': {name} is {have[name]!r} in the table, "
                    f"{want.get(name)!r} in the trail"
                )
    return problems
