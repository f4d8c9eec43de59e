"""Reading case files (YAML or JSON) into validated cases, with errors a person can act on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distillgov.errors import InputFileError, InvalidCase, problems_from
from distillgov.framework.case import Case
from distillgov.yamlfiles import YAMLError, load_yaml


def load_case(path: Path) -> Case:
    return case_from_data(read_data(path), str(path))


def read_data(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return load_yaml(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputFileError(f"{path}: not valid YAML{where}: {exc}") from None


def case_from_data(data: Any, origin: str = "case") -> Case:
    if not isinstance(data, dict):
        raise InvalidCase(f"{origin}: a case must be a mapping of facts, not {type(data).__name__}")
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise InvalidCase(f"{origin}: invalid case", problems_from(exc, Case)) from None
