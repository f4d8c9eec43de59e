"""Reading case files (YAML or JSON) into validated cases, with errors a person can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distillgov.errors import InvalidCase, problems_from
from distillgov.framework.case import Case
from distillgov.inputs import read_document


def load_case(path: Path) -> Case:
    return case_from_data(read_data(path), str(path))


def read_data(path: Path) -> Any:
    """A YAML or JSON file as data, through the safe way in (`distillgov.inputs`)."""
    return read_document(path)


def case_from_data(data: Any, origin: str = "case") -> Case:
    if data is None:
        raise InvalidCase(f"{origin}: the file holds no facts (it is empty)")
    if not isinstance(data, dict):
        raise InvalidCase(f"{origin}: a case must be a mapping of facts, not {type(data).__name__}")
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise InvalidCase(f"{origin}: invalid case", problems_from(exc, Case)) from None
