"""Errors a user can read: one typed exception per kind of failure.

Each carries the field at fault, the value given and the reason, so that the CLI can print one
clear line per problem and the API can render a problem document, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was given, and why it is refused."""

    field: str
    value: Any
    reason: str
    location: str = ""  # e.g. a file name and line, or a batch row

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}field '{self.field}', value {_show(self.value)}: {self.reason}"


def _show(value: Any) -> str:
    if value is None:
        return "(missing)"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class DistillgovError(Exception):
    """Base of every error distillgov reports to a user."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def lines(self) -> list[str]:
        if not self.problems:
            return [self.message]
        return [self.message, *(f"  - {p}" for p in self.problems)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


class InvalidCase(DistillgovError):
    """The facts of a case are malformed or contradict each other."""


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


class IncompleteRules(DistillgovError):
    """No rule of the decision table applies to fully known facts: a defect in the rules."""
