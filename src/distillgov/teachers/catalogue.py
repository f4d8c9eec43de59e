"""The teacher catalogue: models and dated terms versions, each clause with source and confidence.

Data files live in `teachers/catalogue/*.yaml`, one per family. A terms version applies to the
models it lists from its effective date until a later version for the same model takes effect.

A user's directory (`distillgov --catalogue DIR`, or `DISTILLGOV_CATALOGUE`) is laid over the
shipped files: a file for a new family adds it; a file for a shipped family amends it — its
models and terms versions replace the shipped ones with the same id and add the others, and its
name and owner, if given, replace the family's. The result is checked with the same schema.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from distillgov.errors import DistillgovError, InputFileError, problems_from
from distillgov.inputs import load_yaml


class InvalidCatalogue(DistillgovError):
    """A catalogue file is malformed."""


class UnknownTeacher(DistillgovError):
    """No catalogue model with that id."""


class Confidence(StrEnum):
    """How well a fact is established (shared/reference/teacher-terms.md)."""

    PRIMARY = "primary"  # read in the official text
    SECONDARY = "secondary"  # read in a faithful quote or mirror
    UNVERIFIED = "unverified"  # not confirmed: shown, never used as a fact


class ClauseType(StrEnum):
    NO_COMPETING_MODELS = "no_competing_models"
    NO_IMPROVING_OTHER_MODELS = "no_improving_other_models"
    NO_EXTRACTION = "no_extraction"
    NO_RESEARCH_USE = "no_research_use"
    GRANTS_DISTILLATION = "grants_distillation"
    PERMISSIVE_LICENCE = "permissive_licence"
    NON_COMMERCIAL_ONLY = "non_commercial_only"
    DERIVATIVES_INCLUDE_DISTILLATION = "derivatives_include_distillation"
    PASS_DOWN_RESTRICTIONS = "pass_down_restrictions"
    NAME_PREFIX = "name_prefix"
    ATTRIBUTION_NOTICE = "attribution_notice"
    USER_THRESHOLD_LICENCE = "user_threshold_licence"
    OUTPUTS_NOT_CLAIMED = "outputs_not_claimed"
    # Kinds of clause the 2025-26 terms contain beyond the first catalogue's (issue #18 item 2).
    REGIONAL_EXCLUSION = "regional_exclusion"  # no licence for distillers established there
    PERMITTED_USE = "permitted_use"  # a use carved out of the version's ban
    ACCEPTABLE_USE_PASS_DOWN = "acceptable_use_pass_down"  # the AUP binds derivatives' users
    LICENCE_NOTICE = "licence_notice"  # a notice file to ship with copies and derivatives
    OUTPUTS_ASSIGNED = "outputs_assigned_to_user"  # the owner assigns outputs to the user


ANTI_DISTILLATION = frozenset(
    {ClauseType.NO_COMPETING_MODELS, ClauseType.NO_IMPROVING_OTHER_MODELS}
)
GRANTS = frozenset({ClauseType.GRANTS_DISTILLATION, ClauseType.PERMISSIVE_LICENCE})
# Clauses that bind a student downstream, whoever distils: they travel along lineage.
INHERITED = frozenset(
    {
        ClauseType.NAME_PREFIX,
        ClauseType.ATTRIBUTION_NOTICE,
        ClauseType.PASS_DOWN_RESTRICTIONS,
        ClauseType.USER_THRESHOLD_LICENCE,
        ClauseType.NON_COMMERCIAL_ONLY,
        ClauseType.ACCEPTABLE_USE_PASS_DOWN,
        ClauseType.LICENCE_NOTICE,
    }
)
VALUED = frozenset(
    {
        ClauseType.NAME_PREFIX,
        ClauseType.ATTRIBUTION_NOTICE,
        ClauseType.USER_THRESHOLD_LICENCE,
        ClauseType.ACCEPTABLE_USE_PASS_DOWN,
        ClauseType.LICENCE_NOTICE,
    }
)
# Regions a regional exclusion may name: an ISO 3166-1 alpha-2 country, or the EU or EEA.
REGION = r"^([A-Z]{2}|EU|EEA)$"
# EU member states (europa.eu, "EU countries", 27 since 1 February 2020); the EEA adds Iceland,
# Liechtenstein and Norway.
EU = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})  # fmt: skip
EEA = EU | {"IS", "LI", "NO"}


def in_region(country: str, region: str) -> bool:
    """Whether a country (alpha-2) lies in a region a clause names."""
    return (
        country == region
        or (region == "EU" and country in EU)
        or (region == "EEA" and country in EEA)
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clause(_Strict):
    type: ClauseType
    summary: str = Field(min_length=1)
    value: str | int | None = None
    section: str | None = None
    source: str = Field(min_length=1)
    confidence: Confidence
    measured_on: dt.date | None = Field(
        None, description="user_threshold_licence: the day the users are counted, if fixed."
    )
    regions: list[Annotated[str, Field(pattern=REGION)]] | None = Field(
        None, min_length=1, description="regional_exclusion: where the licence is not granted."
    )
    models: list[str] | None = Field(
        None, min_length=1, description="Only these of the version's models (default: all)."
    )
    carves_out: ClauseType | None = Field(
        None, description="permitted_use: the ban of the same version it makes an exception to."
    )
    bases: list[str] | None = Field(
        None,
        min_length=1,
        description="permitted_use: the ban does not reach a student built on one of these "
        "models (a case's base_models); without it the exception is informational.",
    )

    @model_validator(mode="after")
    def _valued(self) -> Clause:
        if self.type in VALUED and self.value is None:
            raise ValueError(f"a {self.type.value} clause needs a value")
        only = {
            "measured_on": ClauseType.USER_THRESHOLD_LICENCE,
            "regions": ClauseType.REGIONAL_EXCLUSION,
            "carves_out": ClauseType.PERMITTED_USE,
            "bases": ClauseType.PERMITTED_USE,
        }
        for field, kind in only.items():
            if getattr(self, field) is not None and self.type is not kind:
                raise ValueError(
                    f"'{field}' belongs to a {kind.value} clause, not {self.type.value}"
                )
        if self.type is ClauseType.REGIONAL_EXCLUSION and not self.regions:
            raise ValueError("a regional_exclusion clause needs its regions")
        if self.type is ClauseType.PERMITTED_USE and self.carves_out not in ANTI_DISTILLATION:
            raise ValueError(
                "a permitted_use clause names the ban it carves out of (carves_out: "
                f"{' or '.join(sorted(k.value for k in ANTI_DISTILLATION))})"
            )
        return self

    def covers(self, model: str) -> bool:
        return self.models is None or model in self.models


class TermsVersion(_Strict):
    id: str
    name: str
    effective: dt.date
    applies_to: list[str] = Field(min_length=1)
    source: str = Field(min_length=1)
    confidence: Confidence
    clauses: list[Clause] = Field(min_length=1)

    def for_model(self, model: str) -> TermsVersion:
        """The version as it reads for one of its models: without clauses scoped to others."""
        if all(c.models is None for c in self.clauses):
            return self
        return self.model_copy(update={"clauses": [c for c in self.clauses if c.covers(model)]})

    def of(self, kinds: frozenset[ClauseType], usable_only: bool = False) -> list[Clause]:
        return [
            c
            for c in self.clauses
            if c.type in kinds and not (usable_only and c.confidence is Confidence.UNVERIFIED)
        ]


class TeacherModel(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    name: str
    release_date: dt.date | None = None
    release_source: str | None = None
    release_confidence: Confidence | None = None
    weights_public: bool | None = None
    outputs_public: bool | None = None
    distilled_from: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced(self) -> TeacherModel:
        if self.release_date is not None and (
            not self.release_source or not self.release_confidence
        ):
            raise ValueError("a release_date needs a release_source and a release_confidence")
        return self


class Family(_Strict):
    family: str
    name: str
    owner: str
    models: list[TeacherModel] = Field(min_length=1)
    terms: list[TermsVersion]

    @model_validator(mode="after")
    def _consistent(self) -> Family:
        ids = {m.id for m in self.models}
        for t in self.terms:
            unknown = [m for m in t.applies_to if m not in ids]
            if unknown:
                raise ValueError(f"terms '{t.id}' apply to unknown models: {', '.join(unknown)}")
            for c in t.clauses:
                outside = [m for m in c.models or [] if m not in t.applies_to]
                if outside:
                    raise ValueError(
                        f"terms '{t.id}': a {c.type.value} clause names models the version does "
                        f"not apply to: {', '.join(outside)}"
                    )
                if c.carves_out is not None and not t.of(frozenset({c.carves_out})):
                    raise ValueError(
                        f"terms '{t.id}': a permitted_use carves out of {c.carves_out.value}, "
                        "which the version does not contain"
                    )
        for earlier, later in pairwise(self.terms):
            if later.effective < earlier.effective:
                raise ValueError(
                    f"terms must be listed in date order: '{later.id}' ({later.effective}) comes "
                    f"after '{earlier.id}' ({earlier.effective})"
                )
        return self


@dataclass(frozen=True)
class Teacher:
    """A catalogue model with its family."""

    model: TeacherModel
    family: Family

    @property
    def id(self) -> str:
        return self.model.id

    def versions(self) -> list[TermsVersion]:
        return [t for t in self.family.terms if self.model.id in t.applies_to]

    def terms_on(self, day: dt.date) -> TermsVersion | None:
        """The terms version in force on a date, as it reads for this model (clauses scoped to
        the version's other models left out), or None if none had taken effect yet."""
        found = None
        for t in self.versions():
            if t.effective <= day:
                found = t
        return None if found is None else found.for_model(self.model.id)


def parse_family(raw: Any, origin: str) -> Family:
    try:
        return Family.model_validate(raw)
    except ValidationError as exc:
        raise InvalidCatalogue(
            f"{origin}: invalid catalogue file", problems_from(exc, Family)
        ) from None


CATALOGUE_ENV = "DISTILLGOV_CATALOGUE"


def catalogue() -> dict[str, Teacher]:
    """Every catalogue model by id, the user's overlay (DISTILLGOV_CATALOGUE) included; ids are
    unique across families."""
    return _catalogue(os.environ.get(CATALOGUE_ENV) or None)


@cache
def _catalogue(overlay: str | None) -> dict[str, Teacher]:
    families = {name: fam for name, (fam, _) in _families(overlay).items()}
    out: dict[str, Teacher] = {}
    for origin, family in sorted(families.items()):
        for model in family.models:
            if model.id in out:
                raise InvalidCatalogue(f"{origin}: model id '{model.id}' is also in another file")
            out[model.id] = Teacher(model, family)
    return out


def _read(path: Any, origin: str) -> dict[str, Any]:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"), origin)
    except InputFileError as exc:
        raise InvalidCatalogue(exc.message) from None
    except OSError as exc:
        raise InvalidCatalogue(f"{origin}: cannot read: {exc.strerror}") from None
    if not isinstance(raw, dict):
        raise InvalidCatalogue(f"{origin}: a catalogue file is a mapping (family, models, terms)")
    return raw


def _families(overlay: str | None) -> dict[str, tuple[Family, str]]:
    """Each family by its file's origin, checked: the shipped ones, amended or joined by the
    overlay's; with what the overlay did to each ("shipped", "added", "amended")."""
    raws: dict[str, tuple[dict[str, Any], str, str]] = {}  # family id -> (raw, origin, what)
    folder = resources.files("distillgov.teachers") / "catalogue"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            raw = _read(entry, entry.name)
            raws[str(raw.get("family"))] = (raw, entry.name, "shipped")
    if overlay is not None:
        for path in user_files(Path(overlay)):
            raw = _read(path, str(path))
            key = str(raw.get("family"))
            if key in raws:
                shipped, name, _ = raws[key]
                raws[key] = (_amend(shipped, raw), f"{path} (over {name})", "amended")
            else:
                raws[key] = (raw, str(path), "added")
    return {origin: (parse_family(raw, origin), what) for raw, origin, what in raws.values()}


def user_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InvalidCatalogue(f"{folder}: no such directory (a catalogue overlay is a folder)")
    found = sorted(p for p in folder.glob("*.yaml") if p.is_file())
    if not found:
        raise InvalidCatalogue(f"{folder}: no catalogue files (*.yaml) in it")
    return found


def _amend(shipped: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """The shipped family with the user's models and terms versions replacing those with the
    same id and joining the rest; terms kept in date order."""

    def merged(key: str) -> list[Any]:
        by_id = {str(x.get("id")): x for x in shipped.get(key) or [] if isinstance(x, dict)}
        for x in user.get(key) or []:
            if isinstance(x, dict):
                by_id[str(x.get("id"))] = x
        return list(by_id.values())

    out: dict[str, Any] = dict(shipped)
    out.update({k: user[k] for k in ("name", "owner") if k in user})
    out["models"] = merged("models")
    out["terms"] = sorted(merged("terms"), key=lambda t: str(t.get("effective")))
    unknown = set(user) - {"family", "name", "owner", "models", "terms"}
    if unknown:  # left for the schema to name, as it would in a whole file
        out.update({k: user[k] for k in unknown})
    return out


def validate(folder: Path) -> dict[str, list[str]]:
    """Check a user's catalogue directory as the overlay would read it: every file with the same
    schema and messages, each amended family as a whole, ids unique. Returns the teachers each
    file adds or amends; raises InvalidCatalogue naming the file and field."""
    families = _families(str(folder))
    seen: dict[str, str] = {}
    report: dict[str, list[str]] = {}
    for origin, (family, what) in sorted(families.items()):
        for model in family.models:
            if model.id in seen:
                raise InvalidCatalogue(
                    f"{origin}: model id '{model.id}' is also in {seen[model.id]}"
                )
            seen[model.id] = origin
        if what != "shipped":
            report[f"{what}: {origin}"] = [m.id for m in family.models]
    return report


@dataclass(frozen=True)
class ClauseChange:
    change: str  # added | removed | changed
    type: str
    before: str | None
    after: str | None


def diff(teacher: Teacher, start: dt.date, end: dt.date) -> dict[str, Any]:
    """How a teacher's terms changed between two days: the versions in force on each, and each
    clause added, removed or changed (by clause type; a type listed twice is compared in order)."""
    a, b = teacher.terms_on(start), teacher.terms_on(end)

    def by_type(version: TermsVersion | None) -> dict[str, list[Clause]]:
        out: dict[str, list[Clause]] = {}
        for c in version.clauses if version else []:
            out.setdefault(c.type.value, []).append(c)
        return out

    def text(c: Clause) -> str:
        return c.summary + ("" if c.value is None else f" [{c.value}]")

    before, after = by_type(a), by_type(b)
    changes: list[ClauseChange] = []
    for kind in sorted(set(before) | set(after)):
        old, new = before.get(kind, []), after.get(kind, [])
        for i in range(max(len(old), len(new))):
            o = text(old[i]) if i < len(old) else None
            n = text(new[i]) if i < len(new) else None
            if o == n:
                continue
            what = "added" if o is None else "removed" if n is None else "changed"
            changes.append(ClauseChange(what, kind, o, n))
    return {
        "teacher": teacher.id,
        "from": {"date": str(start), "terms": a.id if a else None},
        "to": {"date": str(end), "terms": b.id if b else None},
        "changes": [c.__dict__ for c in changes],
    }


def find(teacher_id: str) -> Teacher:
    found = catalogue().get(teacher_id)
    if found is None:
        close = difflib.get_close_matches(teacher_id, list(catalogue()), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `distillgov teachers`"
        raise UnknownTeacher(f"unknown teacher '{teacher_id}'{hint}")
    return found
