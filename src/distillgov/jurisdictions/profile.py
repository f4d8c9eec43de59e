"""Profile schema, loading, validation and "as of" resolution.

A profile is data. Each lever holds a list of dated values; the value in force on a date is the
last one whose `from` is on or before it, so an amendment is a new dated entry and history stays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from distillgov.errors import (
    InputFileError,
    InvalidProfile,
    NoValueInForce,
    Problem,
    UnknownJurisdiction,
    problems_from,
)
from distillgov.framework.citations import Citation
from distillgov.framework.levers import (
    LEVERS,
    REQUIRED,
    Regime,
    ResolvedLevers,
    TypedValue,
    check_value,
)
from distillgov.inputs import decode_text, load_yaml, parse_yaml, read_bytes


class DatedValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    effective_from: dt.date = Field(alias="from")
    value: Any
    cite: str
    note: str = ""
    law: str = ""  # the real law a value follows, where the framework gives no number

    @field_validator("cite")
    @classmethod
    def _cite_is_known(cls, text: str) -> str:
        Citation.parse(text)
        return text


class ProfileFile(BaseModel):
    """A profile as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,39}$")
    name: str
    summary: str = ""
    extends: str | None = None
    levers: dict[str, list[DatedValue]]


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    summary: str
    levers: dict[str, tuple[TypedValue, ...]]
    content_hash: str
    origin: str  # "builtin" or the file it came from
    extends: str | None = None  # the built-in profile a user's file amends

    def as_of(self, day: dt.date) -> ResolvedLevers:
        # Memoised per date: a batch or a server resolves the same few dates again and again.
        cache: dict[dt.date, ResolvedLevers] = self.__dict__.setdefault("_as_of_cache", {})
        found = cache.get(day)
        if found is None:
            found = cache[day] = self._resolve(day)
        return found

    def _resolve(self, day: dt.date) -> ResolvedLevers:
        values: dict[str, Any] = {}
        sources: dict[str, TypedValue] = {}
        version: list[int] = []
        for name, entries in self.levers.items():
            index = _in_force(entries, day)
            if index < 0:
                first = entries[0].effective_from.isoformat()
                raise NoValueInForce(
                    f"profile '{self.id}' has no value for lever '{name}' on {day.isoformat()}: "
                    f"its first value takes effect on {first}"
                )
            values[name] = entries[index].value
            sources[name] = entries[index]
            version.append(index)
        regime = Regime(self.id, self.name, self.content_hash)
        return ResolvedLevers(values, sources, tuple(version), regime)

    def change_dates(self) -> list[dt.date]:
        """Every date on which some lever changes value, ascending."""
        return sorted({e.effective_from for entries in self.levers.values() for e in entries})

    def public_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "summary": self.summary,
            "hash": self.content_hash,
            "levers": {
                name: [
                    {
                        "from": e.effective_from.isoformat(),
                        "value": sorted(e.value) if isinstance(e.value, frozenset) else e.value,
                        "cite": _cite_text(e.cite),
                        "note": e.note,
                        **({"law": e.law} if e.law else {}),
                    }
                    for e in entries
                ]
                for name, entries in self.levers.items()
            },
        }


def _cite_text(c: Citation) -> str:
    return "/".join(x for x in (c.table, c.row, c.column) if x)


def _in_force(entries: tuple[TypedValue, ...], day: dt.date) -> int:
    index = -1
    for i, e in enumerate(entries):
        if e.effective_from <= day:
            index = i
        else:
            break
    return index


def _build(raw: Any, origin: str, parent: Profile | None) -> Profile:
    if not isinstance(raw, dict):
        raise InvalidProfile(f"{origin}: a profile must be a mapping of fields")
    try:
        spec = ProfileFile.model_validate(raw)
    except ValidationError as exc:
        raise InvalidProfile(
            f"{origin}: invalid profile", problems_from(exc, ProfileFile, origin)
        ) from None
    problems: list[Problem] = []
    levers: dict[str, tuple[TypedValue, ...]] = dict(parent.levers) if parent else {}
    for name, entries in spec.levers.items():
        lever = LEVERS.get(name)
        if lever is None:
            problems.append(
                Problem(
                    f"levers.{name}", name, f"unknown lever; known: {', '.join(LEVERS)}", origin
                )
            )
            continue
        if not entries:
            problems.append(Problem(f"levers.{name}", [], "give at least one dated value", origin))
            continue
        typed: list[TypedValue] = []
        for i, e in enumerate(entries):
            try:
                value = check_value(lever, e.value)
            except ValueError as why:
                problems.append(Problem(f"levers.{name}[{i}].value", e.value, str(why), origin))
                continue
            typed.append(TypedValue(e.effective_from, value, Citation.parse(e.cite), e.note, e.law))
        dates = [e.effective_from for e in entries]
        if any(b <= a for a, b in pairwise(dates)):
            problems.append(
                Problem(
                    f"levers.{name}",
                    [d.isoformat() for d in dates],
                    "dated values must be in strictly increasing 'from' order",
                    origin,
                )
            )
        # An extending profile amends: its entries join the parent's, and win on the same date.
        merged = {t.effective_from: t for t in levers.get(name, ())}
        merged.update({t.effective_from: t for t in typed})
        levers[name] = tuple(merged[d] for d in sorted(merged))
    for name, lever in LEVERS.items():
        if name in levers:
            continue
        if lever.default == REQUIRED:
            problems.append(Problem(f"levers.{name}", None, "this lever needs a value", origin))
        else:  # a lever newer than the file: its default, in force since the earliest date
            levers[name] = (TypedValue(dt.date.min, lever.default, lever.source, "default"),)
    if problems:
        raise InvalidProfile(f"{origin}: invalid profile", problems)
    ordered = {name: levers[name] for name in LEVERS}
    body = {
        "id": spec.id,
        "levers": {
            n: [
                [
                    e.effective_from.isoformat(),
                    sorted(e.value) if isinstance(e.value, frozenset) else e.value,
                    _cite_text(e.cite),
                ]
                for e in entries
            ]
            for n, entries in ordered.items()
        },
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return Profile(
        spec.id, spec.name, spec.summary, ordered, f"sha256:{digest}", origin, spec.extends
    )


_PAPER_ORDER = ("us", "cn", "global_south")  # the adjustments table's column order


def builtin_ids() -> list[str]:
    folder = resources.files("distillgov.jurisdictions") / "profiles"
    found = {p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")}
    return [i for i in _PAPER_ORDER if i in found] + sorted(found - set(_PAPER_ORDER))


@cache
def load_builtin(profile_id: str) -> Profile:
    if profile_id not in builtin_ids():
        known = ", ".join(builtin_ids())
        raise UnknownJurisdiction(
            f"unknown jurisdiction '{profile_id}'; built-in profiles: {known}"
        )
    text = (
        resources.files("distillgov.jurisdictions") / "profiles" / f"{profile_id}.yaml"
    ).read_text(encoding="utf-8")
    profile = _build(load_yaml(text, f"builtin:{profile_id}"), f"builtin:{profile_id}", None)
    return Profile(
        profile.id, profile.name, profile.summary, profile.levers, profile.content_hash, "builtin"
    )


def load_file(path: Path) -> Profile:
    """A user's profile file; `extends: us` amends a built-in profile."""
    origin = str(path)
    try:
        raw_bytes = read_bytes(path)
    except InputFileError as exc:
        reason = exc.message.removeprefix(f"{origin}: ")
        raise InvalidProfile(f"{origin}: cannot read profile: {reason}") from None
    try:
        raw = parse_yaml(decode_text(raw_bytes, origin), origin)
    except InputFileError as exc:
        raise InvalidProfile(exc.message) from None
    parent = None
    if isinstance(raw, dict) and raw.get("extends"):
        parent = load_builtin(str(raw["extends"]))
    return _build(raw, origin, parent)


def load_profile(jurisdiction: str | None, profile_file: Path | None) -> Profile:
    """The profile a command asked for: a file wins over an id."""
    if profile_file is not None:
        return load_file(profile_file)
    if jurisdiction is None:
        raise UnknownJurisdiction(
            "no jurisdiction given: name one of "
            f"{', '.join(builtin_ids())}, or a profile file of your own"
        )
    return load_builtin(jurisdiction)
