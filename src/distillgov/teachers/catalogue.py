"""The teacher catalogue: models and dated terms versions, each clause with source and confidence.

Data files live in `teachers/catalogue/*.yaml`, one per family. A terms version applies to the
models it lists from its effective date until a later version for the same model takes effect.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

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
    }
)
VALUED = frozenset(
    {ClauseType.NAME_PREFIX, ClauseType.ATTRIBUTION_NOTICE, ClauseType.USER_THRESHOLD_LICENCE}
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

    @model_validator(mode="after")
    def _valued(self) -> Clause:
        if self.type in VALUED and self.value is None:
            raise ValueError(f"a {self.type.value} clause needs a value")
        return self


class TermsVersion(_Strict):
    id: str
    name: str
    effective: dt.date
    applies_to: list[str] = Field(min_length=1)
    source: str = Field(min_length=1)
    confidence: Confidence
    clauses: list[Clause] = Field(min_length=1)

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
        """The terms version in force on a date, or None if none had taken effect yet."""
        found = None
        for t in self.versions():
            if t.effective <= day:
                found = t
        return found


def parse_family(raw: Any, origin: str) -> Family:
    try:
        return Family.model_validate(raw)
    except ValidationError as exc:
        raise InvalidCatalogue(
            f"{origin}: invalid catalogue file", problems_from(exc, Family)
        ) from None


@cache
def catalogue() -> dict[str, Teacher]:
    """Every catalogue model by id; ids are unique across families."""
    folder = resources.files("distillgov.teachers") / "catalogue"
    out: dict[str, Teacher] = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            raw = load_yaml(entry.read_text(encoding="utf-8"), entry.name)
        except InputFileError as exc:
            raise InvalidCatalogue(exc.message) from None
        family = parse_family(raw, entry.name)
        for model in family.models:
            if model.id in out:
                raise InvalidCatalogue(
                    f"{entry.name}: model id '{model.id}' is also in another file"
                )
            out[model.id] = Teacher(model, family)
    return out


def find(teacher_id: str) -> Teacher:
    found = catalogue().get(teacher_id)
    if found is None:
        close = difflib.get_close_matches(teacher_id, list(catalogue()), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `distillgov teachers`"
        raise UnknownTeacher(f"unknown teacher '{teacher_id}'{hint}")
    return found
