"""Reading case files (YAML or JSON) into validated cases, with errors a person can act on."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from distillgov.errors import InputFileError, InvalidCase, Problem
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
        raise InvalidCase(f"{origin}: invalid case", problems_from(exc)) from None


def problems_from(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(str(x) for x in err["loc"])
        field = ".".join(loc) or "(case)"
        kind = err["type"]
        if kind == "contradiction":
            ctx = err.get("ctx") or {}
            for f, value, reason in ctx.get(
                "all", [(ctx.get("field"), ctx.get("value"), err["msg"])]
            ):
                problems.append(Problem(str(f), value, reason))
            continue
        if kind == "extra_forbidden":
            reason = "unknown field" + _suggest(loc)
        elif kind == "enum":
            expected = (err.get("ctx") or {}).get("expected", "")
            reason = f"not one of: {expected.replace(chr(39), '')}"
        else:
            reason = err["msg"][0].lower() + err["msg"][1:]
            reason = reason.removeprefix("value error, ")
        problems.append(Problem(field, err.get("input"), reason))
    return problems


def _suggest(loc: tuple[str, ...]) -> str:
    model: type[BaseModel] = Case
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return ""
        model = ann
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(model.model_fields)}"
