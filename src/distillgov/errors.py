"""Errors a user can read: one typed exception per kind of failure, and one table that maps each
type to an HTTP status and a command-line exit code.

Each error carries the field at fault, the value given and the reason, so that the CLI prints one
clear line per problem and the API renders a problem document, without a traceback. The status
of an error is chosen by its type (`status_of`), never by the words of its message.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from distillgov.framework.errors import DistillgovError, IncompleteRules, InvalidCase, Problem

__all__ = [
    "Conflict",
    "DistillgovError",
    "Forbidden",
    "IncompleteRules",
    "InputFileError",
    "InvalidBatch",
    "InvalidCase",
    "InvalidProfile",
    "NoValueInForce",
    "NotFound",
    "Problem",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
    "UnknownJurisdiction",
    "problems_from",
    "status_of",
]


class NotFound(DistillgovError):
    """The thing named does not exist. Parts raise their own subclass (e.g. UnknownLicence)."""


class Conflict(DistillgovError):
    """The request clashes with what is already recorded (an id taken, a report seen before)."""


class Unauthorized(DistillgovError):
    """The request needs a signed-in caller (or its credentials are no longer good)."""

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(DistillgovError):
    """The caller is known but may not do this."""


class RateLimited(DistillgovError):
    """Too many requests from one client; it may try again after `retry_after_s` seconds."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class Unavailable(DistillgovError):
    """A service the command needs (a database server) cannot be reached."""


class InvalidProfile(DistillgovError):
    """A jurisdiction profile file is malformed."""


class UnknownJurisdiction(DistillgovError):
    """No profile with that id."""


class NoValueInForce(DistillgovError):
    """A profile has no value for a lever on the assessment date."""


class InvalidBatch(DistillgovError):
    """A batch file has bad rows; nothing was written."""


class InputFileError(DistillgovError):
    """A file could not be read or parsed."""


@dataclass(frozen=True, slots=True)
class Status:
    http: int
    title: str
    exit_code: int


# The one table: the first type in an error's method resolution order that is listed decides.
# Exit codes: 2 for anything the user can correct (as Click does for usage errors), 3 for a
# defect in the rules, 4 for a service that cannot be reached.
STATUS: dict[type[DistillgovError], Status] = {
    NotFound: Status(404, "Not found", 2),
    Conflict: Status(409, "Conflict", 2),
    Unauthorized: Status(401, "Unauthorized", 2),
    Forbidden: Status(403, "Forbidden", 2),
    RateLimited: Status(429, "Too many requests", 2),
    Unavailable: Status(503, "Service unavailable", 2),
    IncompleteRules: Status(500, "Defect in the rules", 3),
    DistillgovError: Status(422, "Invalid input", 2),
}


def status_of(error: DistillgovError) -> Status:
    for kind in type(error).__mro__:
        found = STATUS.get(kind)
        if found is not None:
            return found
    raise AssertionError(f"{type(error).__name__} is not a DistillgovError")  # pragma: no cover


def problems_from(
    exc: ValidationError, model: type[BaseModel] | None = None, location: str = ""
) -> list[Problem]:
    """pydantic's errors as problems a person can act on: the field's dotted path, the value,
    and the reason in plain words; an unknown field gets the nearest known name of `model`."""
    problems: list[Problem] = []
    count = exc.error_count()
    for err in exc.errors()[:MAX_PROBLEMS]:
        loc = tuple(str(x) for x in err["loc"])
        field = ".".join(loc) or "(input)"
        kind = err["type"]
        if kind == "contradiction":
            ctx = err.get("ctx") or {}
            for f, value, reason in ctx.get(
                "all", [(ctx.get("field"), ctx.get("value"), err["msg"])]
            ):
                problems.append(Problem(str(f), value, reason, location))
            continue
        if kind == "extra_forbidden":
            reason = "unknown field" + (_suggest(model, loc) if model else "")
        elif kind == "enum":
            expected = (err.get("ctx") or {}).get("expected", "")
            reason = f"not one of: {expected.replace(chr(39), '')}"
        else:
            msg = err["msg"]
            reason = (msg[0].lower() + msg[1:]).removeprefix("value error, ")
        problems.append(Problem(field, err.get("input"), reason, location))
    if count > MAX_PROBLEMS:
        more = f"{count - MAX_PROBLEMS:,} more problems not listed"
        problems.append(Problem("(more)", f"{count:,} in all", more, location))
    return problems


MAX_PROBLEMS = 50  # listed per input; a body with 250,000 unknown fields is not worth naming all


def _suggest(model: type[BaseModel], loc: tuple[str, ...]) -> str:
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return ""
        model = ann
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(model.model_fields)}"
