"""The errors the framework itself can raise, and the base every distillgov error shares.

They live here so that the framework imports nothing from outside itself; `distillgov.errors`
re-exports them beside the errors of the other parts and maps every type to an HTTP status and
an exit code.
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

    def headers(self) -> dict[str, str]:
        """HTTP headers an answer carrying this error must have (e.g. Retry-After)."""
        return {}

    def lines(self) -> list[str]:
        if not self.problems:
            return [self.message]
        return [self.message, *(f"  - {p}" for p in self.problems)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


class InvalidCase(DistillgovError):
    """The facts of a case are malformed or contradict each other."""


class IncompleteRules(DistillgovError):
    """No rule of the decision table applies to fully known facts: a defect in the rules."""
