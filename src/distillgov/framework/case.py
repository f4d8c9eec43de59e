"""The facts of a distillation project, as a typed model.

Every fact may be left out (None): unknown is a first-class answer. The decision procedure never
fills a gap silently; where a missing fact could change the outcome it says so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from distillgov.framework.logic import And, Const, Eq, Expr, Fact, In, Known, Lt, Not
from distillgov.framework.scalar import compile_expr
from distillgov.framework.vocabulary import (
    Access,
    Deployment,
    MarketRelation,
    OutputUse,
    Purpose,
    ReservedWorks,
    RightsRequests,
)


def _iso_date_only(value: Any) -> Any:
    # Pydantic would read a bare number as a Unix timestamp; a year typed as 2024 must be refused.
    if isinstance(value, bool | int | float):
        raise ValueError("a date must be written as YYYY-MM-DD")
    # A query string is text: "0.0" or "1700000000" would be read as a timestamp too.
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("a date must be written as YYYY-MM-DD")
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _plausible(day: dt.date) -> dt.date:
    # Windows of up to a century are added to these dates: the range keeps every sum a date.
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"a date between {EARLIEST} and {LATEST}")
    return day


def _printable(text: str) -> str:
    bad = next((ch for ch in text if ord(ch) < 32 or ord(ch) == 127), None)
    if bad is not None:
        raise ValueError(f"no control characters (found U+{ord(bad):04X})")
    return text


def _readable(text: str) -> str:
    bad = next((ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127), None)
    if bad is not None:
        raise ValueError(f"no control characters but line breaks and tabs (found U+{ord(bad):04X})")
    return text


Day = Annotated[dt.date, BeforeValidator(_iso_date_only), AfterValidator(_plausible)]


def _country(code: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError("an ISO 3166-1 alpha-2 country code in capitals, e.g. 'DE' or 'US'")
    # The country table is read only when a case names a region (it is not needed otherwise).
    import pycountry

    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[str, AfterValidator(_country)]
# Names and ids: one line, no control characters, a sensible length.
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_printable)]
Prose = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_readable)]
# A count of teacher outputs: a whole number (not true, not 1.5), at most a quadrillion.
MAX_COUNT = 10**15
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)]


def _none_yet() -> list[Any]:
    """An empty list, as a default. (Not `list` itself: pydantic inspects a default factory's
    signature, and the signature of a builtin is parsed from text, which loads the tokenizer:
    15 ms of every start-up. Nested models' defaults are lambdas for the same reason: the
    signature of a model class is built from all its fields.)"""
    return []


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Terms(_Facts):
    """What the teacher's terms of service or licence say about using it to train other models."""

    forbids_distillation: bool | None = Field(
        None,
        description="Do the teacher's terms forbid training (competing) models on its outputs?",
    )
    forbids_research: bool | None = Field(
        None, description="Do the teacher's terms forbid research use, such as probing or auditing?"
    )
    other_restrictions: list[Prose] = Field(
        default_factory=_none_yet, description="Other restrictive clauses, in a few words each."
    )


class Teacher(_Facts):
    id: Name | None = Field(None, description="Identifier of the teacher model.")
    owner: Name | None = Field(None, description="The organisation that owns the teacher.")
    release_date: Day | None = Field(
        None, description="When was the teacher first made available to the public?"
    )
    weights_public: bool | None = Field(None, description="Are the teacher's weights published?")
    outputs_public: bool | None = Field(
        None, description="Are the teacher's outputs publicly available (public API or published)?"
    )
    abuse_proven: bool | None = Field(
        None,
        description=(
            "Has a court or competition authority found that the teacher's owner abused its "
            "position, e.g. by exclusionary terms or a refusal to license?"
        ),
    )
    terms: Terms = Field(default_factory=lambda: Terms())
    distilled_from: list[str] = Field(
        default_factory=_none_yet,
        description="Models the teacher was itself distilled from (catalogue ids or names).",
    )


class LinkedTeacher(_Facts):
    """Another teacher of the same student, where it differs from the main one."""

    id: Name = Field(description="Catalogue id (or name) of the other teacher.")
    access: Access | None = Field(None, description="How its outputs were obtained, if different.")
    consent_granted: bool | None = Field(None, description="Whether its rights-holder consented.")


class Distiller(_Facts):
    organisation: Name | None = Field(None, description="Who trains the student.")
    same_owner_as_teacher: bool | None = Field(
        None, description="Does the distiller belong to the teacher's owner?"
    )
    region: Country | None = Field(
        None,
        description="Where the distiller is established (ISO 3166-1 alpha-2, e.g. 'DE'): read "
        "against a catalogue teacher's regional exclusions.",
    )


class Consent(_Facts):
    granted: bool | None = Field(
        None,
        description="Has the rights-holder consented to this distillation, e.g. by a licence?",
    )
    licence: Name | None = Field(None, description="The licence or agreement that grants it.")


class Volume(_Facts):
    outputs: Count | None = Field(
        None, ge=0, description="How many teacher outputs are used, roughly?"
    )
    one_off: bool | None = Field(None, description="Is the use a single, incidental occasion?")


class PersonalData(_Facts):
    involved: bool | None = Field(
        None, description="Do the prompts, outputs or training data include personal data?"
    )
    consent: bool | None = Field(None, description="Was consent obtained for that personal data?")
    minimisation: bool | None = Field(None, description="Is the personal data minimised?")
    purpose_limitation: bool | None = Field(
        None, description="Is the personal data used only for the stated purpose?"
    )
    differential_privacy: bool | None = Field(
        None, description="Is a privacy technology such as differential privacy applied?"
    )
    user_rights: bool | None = Field(
        None, description="Can people access, delete and opt out of their data?"
    )
    privacy_violating_use: bool | None = Field(
        None,
        description="Is the student built or used in a way that violates privacy, e.g. to "
        "re-identify, profile or surveil people from the personal data?",
    )
    rights_requests: RightsRequests | None = Field(
        RightsRequests.NONE,
        description="Are data subjects' access, deletion or opt-out requests against the "
        "project's data sources open, or overdue? ('none' unless one is on record; filled from "
        "the requests register when the case names its data sources)",
    )
    rights_requests_due: Day | None = Field(
        None,
        description="The earliest deadline of those requests, or of the duties they put on the "
        "project's models.",
    )


class Safety(_Facts):
    evaluated: bool | None = Field(
        None, description="Was the student evaluated for safety before release?"
    )
    improvements_shared: bool | None = Field(
        None, description="Are the student's safety improvements shared back with the teacher?"
    )
    unsafe_use: bool | None = Field(
        None,
        description="Is the student built or used unsafely, e.g. with the teacher's safeguards "
        "deliberately stripped?",
    )


class Transparency(_Facts):
    disclosure_filed: bool | None = Field(
        None,
        description="Has the teacher lineage and high-level training method been disclosed "
        "publicly?",
    )
    filed_on: Day | None = Field(None, description="When was that disclosure made public?")


class Case(_Facts):
    """A distillation project described for assessment."""

    id: Name | None = Field(None, description="A short identifier for this case.")
    title: Name | None = Field(None, description="A one-line name for the situation.")
    student_name: Name | None = Field(
        None,
        description="The student's public name, if it has one: naming duties it inherits (a "
        "licence requiring a name prefix) are checked against it.",
    )
    description: Prose | None = Field(None, description="The situation in a few sentences.")
    jurisdiction: Name | None = Field(None, description="Profile id, e.g. us, cn, global_south.")
    assessed_on: Day | None = Field(None, description="The date the assessment is made for.")
    teacher: Teacher = Field(default_factory=lambda: Teacher())
    distiller: Distiller = Field(default_factory=lambda: Distiller())
    consent: Consent = Field(default_factory=lambda: Consent())
    access: Access | None = Field(
        None, description="How were the teacher's outputs or weights obtained?"
    )
    purpose: Purpose | None = Field(None, description="What is the distillation for?")
    deployment: Deployment | None = Field(None, description="How is the student deployed?")
    market_relation: MarketRelation | None = Field(
        None,
        description="Is the student a direct substitute for the teacher, or does it serve a new "
        "domain or add functionality?",
    )
    output_use: list[OutputUse] | None = Field(
        None,
        description="How are the teacher's outputs used: training on them, labelling or judging "
        "(preference labels, reward signals), evaluation, calibration, inspiration?",
    )
    volume: Volume = Field(default_factory=lambda: Volume())
    creative_works_at_scale: bool | None = Field(
        None,
        description="Does the training material include creative works ingested at scale?",
    )
    reserved_works: ReservedWorks | None = Field(
        ReservedWorks.NONE,
        description="Does the training data include works their rights-holders had reserved "
        "from AI training when they were collected ('included'), were such works found and left "
        "out ('excluded'), or is none on record ('none')? Filled from the consent-check reports "
        "of the case's data_sources.",
    )
    personal_data: PersonalData = Field(default_factory=lambda: PersonalData())
    data_sources: list[Name] = Field(
        default_factory=_none_yet,
        max_length=100,
        description="Datasets (their ids) or registered models the training data comes from: "
        "data subjects' requests against them, and their consent-check reports, are read from "
        "the registers.",
    )
    safety: Safety = Field(default_factory=lambda: Safety())
    transparency: Transparency = Field(default_factory=lambda: Transparency())
    commercial_release_date: Day | None = Field(
        None, description="When is (or was) the student commercially released?"
    )
    already_released: bool | None = Field(
        None,
        description="Has the student already been commercially released? (Answer this when the "
        "date is not known; a date, where given, decides.)",
    )
    base_models: list[Name] = Field(
        default_factory=_none_yet,
        description="Models whose weights the student starts from (catalogue ids or names); "
        "their licences pass down along the lineage.",
    )
    additional_teachers: list[LinkedTeacher] = Field(
        default_factory=_none_yet,
        description="Other teachers the student was distilled from; each is assessed as its own "
        "lineage link.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if self.output_use is not None and not self.output_use:
            raise PydanticCustomError(
                "contradiction",
                "list at least one use, or leave the field out if unknown",
                {"field": "output_use", "value": []},
            )
        found = contradictions(self.facts())
        if found:
            field, value, reason = found[0]
            raise PydanticCustomError(
                "contradiction", reason, {"field": field, "value": value, "all": found}
            )
        return self

    def facts(self) -> dict[str, Any]:
        """The flat fact map the rules read: dotted names, enum values as strings, None unknown."""
        t, pd, s = self.teacher, self.personal_data, self.safety
        uses = self.output_use
        used = None if uses is None else {u.value for u in uses}
        return {
            "teacher.release_date": t.release_date,
            "teacher.weights_public": t.weights_public,
            "teacher.outputs_public": t.outputs_public,
            "teacher.abuse_proven": t.abuse_proven,
            "teacher.terms.forbids_distillation": t.terms.forbids_distillation,
            "teacher.terms.forbids_research": t.terms.forbids_research,
            "distiller.same_owner_as_teacher": self.distiller.same_owner_as_teacher,
            "consent.granted": self.consent.granted,
            "access": None if self.access is None else self.access.value,
            "purpose": None if self.purpose is None else self.purpose.value,
            "deployment": None if self.deployment is None else self.deployment.value,
            "market_relation": None if self.market_relation is None else self.market_relation.value,
            "output_use.training": None if used is None else "training" in used,
            "output_use.labelling": None if used is None else "labelling" in used,
            "output_use.evaluation": None if used is None else "evaluation" in used,
            "output_use.calibration": None if used is None else "calibration" in used,
            "output_use.inspiration": None if used is None else "inspiration" in used,
            "volume.outputs": self.volume.outputs,
            "volume.one_off": self.volume.one_off,
            "creative_works_at_scale": self.creative_works_at_scale,
            "reserved_works": None if self.reserved_works is None else self.reserved_works.value,
            "personal_data.involved": pd.involved,
            "personal_data.consent": pd.consent,
            "personal_data.minimisation": pd.minimisation,
            "personal_data.purpose_limitation": pd.purpose_limitation,
            "personal_data.differential_privacy": pd.differential_privacy,
            "personal_data.user_rights": pd.user_rights,
            "personal_data.privacy_violating_use": pd.privacy_violating_use,
            "personal_data.rights_requests": (
                None if pd.rights_requests is None else pd.rights_requests.value
            ),
            "personal_data.rights_requests_due": pd.rights_requests_due,
            "safety.evaluated": s.evaluated,
            "safety.improvements_shared": s.improvements_shared,
            "safety.unsafe_use": s.unsafe_use,
            "transparency.disclosure_filed": self.transparency.disclosure_filed,
            "transparency.filed_on": self.transparency.filed_on,
            "commercial_release_date": self.commercial_release_date,
            "already_released": self.already_released,
        }


@dataclass(frozen=True, slots=True)
class Contradiction:
    """Facts that cannot all be true at once; `when` is written in the rule language so that
    single cases and batch rows are checked by the same definition."""

    field: str
    when: Expr
    reason: str


_same_owner = Fact("distiller.same_owner_as_teacher")
_release = Fact("commercial_release_date")
_teacher_out = Fact("teacher.release_date")

CONTRADICTIONS: tuple[Contradiction, ...] = (
    Contradiction(
        "access",
        And((Eq(Fact("access"), Const("internal")), Eq(_same_owner, Const(False)))),
        "internal access means the distiller belongs to the teacher's owner, but "
        "distiller.same_owner_as_teacher is false",
    ),
    Contradiction(
        "access",
        And(
            (
                In(
                    Fact("access"),
                    Const(frozenset({"public_api_within_terms", "published_outputs"})),
                ),
                Eq(Fact("teacher.outputs_public"), Const(False)),
            )
        ),
        "outputs cannot come from a public source when teacher.outputs_public is false",
    ),
    Contradiction(
        "commercial_release_date",
        And(
            (
                Known(_release),
                In(Fact("deployment"), Const(frozenset({"none", "non_commercial_release"}))),
            )
        ),
        "a commercial release date was given but the deployment is not commercial",
    ),
    Contradiction(
        "personal_data.privacy_violating_use",
        And(
            (
                Eq(Fact("personal_data.privacy_violating_use"), Const(True)),
                Eq(Fact("personal_data.involved"), Const(False)),
            )
        ),
        "a privacy-violating use needs personal data, but personal_data.involved is false",
    ),
    Contradiction(
        "personal_data.rights_requests",
        And(
            (
                In(Fact("personal_data.rights_requests"), Const(frozenset({"open", "overdue"}))),
                Eq(Fact("personal_data.involved"), Const(False)),
            )
        ),
        "data subjects' requests concern personal data, but personal_data.involved is false",
    ),
    Contradiction(
        "already_released",
        And(
            (
                Eq(Fact("already_released"), Const(True)),
                In(Fact("deployment"), Const(frozenset({"none", "non_commercial_release"}))),
            )
        ),
        "the student is said to be commercially released but the deployment is not commercial",
    ),
    Contradiction(
        "transparency.filed_on",
        And(
            (
                Known(Fact("transparency.filed_on")),
                Eq(Fact("transparency.disclosure_filed"), Const(False)),
            )
        ),
        "a filing date was given but transparency.disclosure_filed is false",
    ),
    Contradiction(
        "commercial_release_date",
        And((Lt(_release, _teacher_out), Not(Eq(_same_owner, Const(True))))),
        "the student is released before its teacher was available to an outside distiller",
    ),
)


def contradictions(facts: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """The contradictions that certainly hold for these facts: (field, value, reason)."""
    out = []
    for c, check in zip(CONTRADICTIONS, _CHECKS, strict=True):
        if check(facts, {}) is True:
            value = facts[c.field]
            out.append(
                (c.field, value.isoformat() if isinstance(value, dt.date) else value, c.reason)
            )
    return out


# --- The fact registry: derived from the model so names, types and questions live in one place.

FactKind = str  # "bool" | "enum" | "date" | "int"


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    kind: FactKind
    question: str
    domain: tuple[Any, ...] = ()  # every possible value of a bool or enum fact, in order
    # What a case that does not mention the fact says (None: unknown). Only a fact whose
    # absence means something has one: no rights requests on record means "none".
    default: Any = None


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _walk(model: type[BaseModel], prefix: str) -> list[FactSpec]:
    specs: list[FactSpec] = []
    for name, field in model.model_fields.items():
        full = f"{prefix}{name}"
        ann = _unwrap_optional(field.annotation)
        if get_origin(ann) is Annotated:  # Day, Count: the kind is the annotated type's
            ann = get_args(ann)[0]
        question = field.description or full
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            specs.extend(_walk(ann, f"{full}."))
        elif ann is bool:
            specs.append(FactSpec(full, "bool", question, (True, False)))
        elif ann is int:
            specs.append(FactSpec(full, "int", question))
        elif ann is dt.date:
            specs.append(FactSpec(full, "date", question))
        elif isinstance(ann, type) and issubclass(ann, StrEnum):
            default = field.default.value if isinstance(field.default, StrEnum) else None
            specs.append(FactSpec(full, "enum", question, tuple(m.value for m in ann), default))
        elif get_origin(ann) is list and get_args(ann) == (OutputUse,):
            for use in OutputUse:
                question = f"Are the teacher's outputs used for {use.value}?"
                specs.append(FactSpec(f"{full}.{use.value}", "bool", question, (True, False)))
    return specs


_ALL_SPECS = _walk(Case, "")
# Only the facts the rules read (not ids, titles, free text, jurisdiction or date of assessment).
_READ = Case.model_construct().facts()
FACTS: dict[str, FactSpec] = {s.name: s for s in _ALL_SPECS if s.name in _READ}


def _compile_checks() -> tuple[Any, ...]:
    return tuple(compile_expr(c.when) for c in CONTRADICTIONS)


_CHECKS = _compile_checks()


# Facts without which nothing can be determined: left unknown in an otherwise fully known case,
# the decision stays open under every built-in profile (tests/framework/test_essential_facts.py
# holds the list to that definition). `distillgov schema case` and docs/cases.md mark them.
ESSENTIAL: tuple[str, ...] = (
    "teacher.release_date",
    "distiller.same_owner_as_teacher",
    "consent.granted",
    "access",
    "market_relation",
    "output_use",
    "safety.unsafe_use",
)  # not `deployment`: a commercial release date already answers it
