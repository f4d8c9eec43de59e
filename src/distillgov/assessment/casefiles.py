"""Reading case files (YAML or JSON) into validated cases, with errors a person can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distillgov.errors import InvalidCase, problems_from
from distillgov.framework.case import ESSENTIAL, Case
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


def essential_marked(schema: dict[str, Any]) -> dict[str, Any]:
    """The case's JSON Schema with each essential fact marked (`x-essential: true`) and listed
    at the top (`x-essential-facts`): nothing can be determined without them."""
    defs = schema.get("$defs", {})
    for name in ESSENTIAL:
        *path, last = name.split(".")
        node: dict[str, Any] = schema
        for part in path:  # follow each nested model's reference into its definition
            field = node["properties"][part]
            refs = [field.get("$ref")] + [a.get("$ref") for a in field.get("anyOf", [])]
            node = defs[next(r for r in refs if r).rsplit("/", 1)[-1]]
        node["properties"][last]["x-essential"] = True
    schema["x-essential-facts"] = list(ESSENTIAL)
    return schema
