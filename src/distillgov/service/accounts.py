"""Who may do what: accounts belonging to organisations, with one role each, and API tokens.

A token is 32 random bytes shown once when issued; only its SHA-256 is stored, with its scopes
(`read`, `write`) and expiry. Requests carry it as `Authorization: Bearer <token>`; without one a
request is the public. Roles: `distiller`, `teacher_owner`, `rights_holder`, `regulator`,
`administrator`, `data_subject` (and the anonymous `public`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from distillgov.errors import (
    Conflict,
    DistillgovError,
    Forbidden,
    NotFound,
    Unauthorized,
)
from distillgov.storage.db import reading

ROLES = (
    "distiller",
    "teacher_owner",
    "rights_holder",
    "regulator",
    "administrator",
    "data_subject",  # a person (or their authorised agent) exercising privacy rights
)
UNAFFILIATED = ("regulator", "administrator", "data_subject")  # need no organisation
SCOPES = ("read", "write")


class AccountError(DistillgovError):
    """An account or token could not be created; nothing was written."""


class AccountExists(AccountError, Conflict):
    """An account with that id exists already."""


class UnknownAccount(AccountError, NotFound):
    """No account with that id."""


@dataclass(frozen=True)
class Principal:
    account: str | None
    organisation: str | None
    role: str
    scopes: frozenset[str]

    @property
    def anonymous(self) -> bool:
        return self.account is None

    def require_write(self) -> None:
        self.require_signed_in()
        if "write" not in self.scopes:
            raise Forbidden("this token has no 'write' scope")

    def require_signed_in(self) -> None:
        if self.anonymous:
            raise Unauthorized("sign in: this needs an API token")

    def acts_for(self, organisation: str) -> bool:
        return self.organisation is not None and self.organisation == organisation

    def reads_everything(self) -> bool:
        return self.role in ("regulator", "administrator")


PUBLIC = Principal(None, None, "public", frozenset({"read"}))


def _hash(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def add_account(engine: Engine, account: str, role: str, organisation: str | None) -> None:
    if role not in ROLES:
        raise AccountError(f"field 'role', value {role!r}: must be one of {', '.join(ROLES)}")
    if role not in UNAFFILIATED and not organisation:
        raise AccountError(f"field 'organisation': a {role} account belongs to an organisation")
    with engine.begin() as c:
        if c.execute(text("SELECT 1 FROM svc_accounts WHERE id = :i"), {"i": account}).first():
            raise AccountExists(f"field 'id', value {account!r}: an account with this id exists")
        c.execute(
            text(
                "INSERT INTO svc_accounts (id, organisation, role, created_at) "
                "VALUES (:i, :o, :r, :t)"
            ),
            {"i": account, "o": organisation, "r": role, "t": _now()},
        )


def issue_token(engine: Engine, account: str, scopes: list[str], days: int) -> str:
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise AccountError(f"field 'scopes', value {scopes!r}: choose from {', '.join(SCOPES)}")
    if not 1 <= days <= 366:
        raise AccountError(f"field 'days', value {days}: between 1 and 366")
    token = "dg_" + secrets.token_urlsafe(32)
    with engine.begin() as c:
        if not c.execute(text("SELECT 1 FROM svc_accounts WHERE id = :i"), {"i": account}).first():
            raise UnknownAccount(f"no account '{account}'")
        c.execute(
            text(
                "INSERT INTO svc_tokens (hash, account, scopes, expires_at, created_at) "
                "VALUES (:h, :a, :s, :e, :t)"
            ),
            {
                "h": _hash(token),
                "a": account,
                "s": " ".join(sorted(set(scopes))),
                "e": _now() + dt.timedelta(days=days),
                "t": _now(),
            },
        )
    return token


SESSION_COOKIE = "distillgov_session"
SESSION_HOURS = 8


def open_session(engine: Engine, token: str) -> tuple[str, str]:
    """Exchange an API token for a browser session: a random session id (for an HttpOnly
    cookie; only its hash is stored) and a CSRF token the page sends back on every write."""
    who = principal_for(engine, f"Bearer {token}")
    session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO svc_sessions (hash, account, scopes, csrf, expires_at) "
                "VALUES (:h, :a, :s, :c, :e)"
            ),
            {
                "h": _hash(session),
                "a": who.account,
                "s": " ".join(sorted(who.scopes)),
                "c": csrf,
                "e": _now() + dt.timedelta(hours=SESSION_HOURS),
            },
        )
    return session, csrf


def close_session(engine: Engine, session: str) -> None:
    with engine.begin() as c:
        c.execute(text("DELETE FROM svc_sessions WHERE hash = :h"), {"h": _hash(session)})


def session_principal(
    engine: Engine, session: str, csrf: str | None, unsafe: bool
) -> tuple[Principal, str]:
    """The session's account; a write (`unsafe`) must carry the session's CSRF token."""
    with reading(engine) as c:
        row = c.execute(
            text(
                "SELECT a.id, a.organisation, a.role, s.scopes, s.expires_at, s.csrf "
                "FROM svc_sessions s JOIN svc_accounts a ON a.id = s.account WHERE s.hash = :h"
            ),
            {"h": _hash(session)},
        ).first()
    if row is None:
        raise Unauthorized("the session has ended: sign in again")
    expires = row[4] if isinstance(row[4], dt.datetime) else dt.datetime.fromisoformat(str(row[4]))
    if expires <= _now():
        raise Unauthorized("the session has expired: sign in again")
    if unsafe and not (csrf and secrets.compare_digest(csrf, str(row[5]))):
        raise Forbidden("missing or wrong X-CSRF-Token for this session")
    return Principal(row[0], row[1], row[2], frozenset(str(row[3]).split())), str(row[5])


def principal_for(engine: Engine, authorization: str | None) -> Principal:
    if not authorization:
        return PUBLIC
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("use 'Authorization: Bearer <token>'")
    with reading(engine) as c:
        row = c.execute(
            text(
                "SELECT a.id, a.organisation, a.role, t.scopes, t.expires_at FROM svc_tokens t "
                "JOIN svc_accounts a ON a.id = t.account WHERE t.hash = :h"
            ),
            {"h": _hash(token.strip())},
        ).first()
    if row is None:
        raise Unauthorized("unknown token")
    expires = row[4] if isinstance(row[4], dt.datetime) else dt.datetime.fromisoformat(str(row[4]))
    if expires <= _now():
        raise Unauthorized(f"the token expired on {expires:%Y-%m-%d}")
    return Principal(row[0], row[1], row[2], frozenset(str(row[3]).split()))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def account_record(engine: Engine, account: str) -> dict[str, Any] | None:
    """What the service keeps about one account, for an access request: the account, how many
    tokens and sessions it has (never their hashes) and when they expire."""
    with reading(engine) as c:
        row = c.execute(
            text("SELECT id, organisation, role, created_at FROM svc_accounts WHERE id = :i"),
            {"i": account},
        ).first()
        if row is None:
            return None
        tokens = c.execute(
            text("SELECT scopes, expires_at, created_at FROM svc_tokens WHERE account = :i"),
            {"i": account},
        ).all()
        sessions = c.execute(
            text("SELECT COUNT(*) FROM svc_sessions WHERE account = :i"), {"i": account}
        ).scalar_one()
    return {
        "account": row[0],
        "organisation": row[1],
        "role": row[2],
        "created_at": str(row[3])[:19],
        "tokens": [
            {"scopes": t[0], "expires_at": str(t[1])[:19], "created_at": str(t[2])[:19]}
            for t in tokens
        ],
        "open_sessions": int(sessions),
    }
