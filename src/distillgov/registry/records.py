"""The registry's records. Each is validated, appended to the log, and projected into tables for
queries, in one transaction. Records are never changed in place."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from distillgov.errors import DistillgovError, problems_from

SLUG = r"^[a-z0-9][a-z0-9.\-_/]{0,119}$"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Record(_Part):
    id: str = Field(pattern=SLUG)


DATASET = r"^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,199}$"  # a Hub id ("org/name"), a URL-ish name


class _WithDatasets(_Record):
    """A record that may name the datasets a model was trained on. An empty list is left out of
    the logged record, so records written before the field existed log the same bytes."""

    datasets: list[str] = Field(
        default_factory=list,
        max_length=1000,
        description="Datasets the model was trained on (Hub ids or names), as declared.",
    )

    @model_serializer(mode="wrap")
    def _omit_no_datasets(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not data.get("datasets"):
            data.pop("datasets", None)
        if data.get("consent_check", 0) is None:  # written only when there is one
            data.pop("consent_check")
        return data

    @model_validator(mode="after")
    def _datasets_named_well(self) -> _WithDatasets:
        for i, name in enumerate(self.datasets):
            if not re.fullmatch(DATASET, name):
                raise ValueError(
                    f"datasets[{i}] {name!r}: a dataset id is letters, digits and . _ - / :, "
                    "at most 200 characters"
                )
        if len(set(self.datasets)) != len(self.datasets):
            raise ValueError("a dataset is listed twice")
        return self


class Organisation(_Record):
    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)


class BaseRelation(StrEnum):
    """How a model derives from a base model, in Hugging Face's model-card vocabulary. None of
    these is distillation: a base model is the student's starting point, not its teacher."""

    ADAPTER = "adapter"
    MERGE = "merge"
    QUANTIZED = "quantized"
    FINETUNE = "finetune"


class BaseModelLink(_Part):
    model: str = Field(pattern=SLUG)
    relation: BaseRelation | None = None


class Model(_WithDatasets):
    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)
    owner: str = Field(pattern=SLUG, description="Organisation id.")
    release_date: dt.date | None = None
    weights_digest: str | None = Field(None, pattern=r"^sha256:[0-9a-f]{64}$")
    catalogue_id: str | None = None
    licence: str | None = Field(None, description="As the model card states it.")
    base_models: list[BaseModelLink] = Field(default_factory=list)
    card_declares_distillation: bool = Field(
        False, description="Its model card says it was distilled (tags), disclosed or not."
    )


class ModelAmendment(_WithDatasets):
    """What a model registered bare was missing, filed later (its model card, read after the
    model was registered): it completes the model's record, never changes what it says. A
    licence only where the model has none; base models and datasets only ones not yet named."""

    id: str = Field(pattern=SLUG)
    model: str = Field(pattern=SLUG, description="The model it completes.")
    licence: str | None = Field(None, description="As the model card states it.")
    base_models: list[BaseModelLink] = Field(default_factory=list)
    card_declares_distillation: bool = False
    source: str = Field(
        min_length=1, max_length=200, description="Where the facts come from (e.g. its model card)."
    )

    @model_validator(mode="after")
    def _adds_something(self) -> ModelAmendment:
        if not (
            self.licence or self.base_models or self.datasets or self.card_declares_distillation
        ):
            raise ValueError(
                "an amendment adds at least one of licence, base_models, datasets or "
                "card_declares_distillation"
            )
        bases = [b.model for b in self.base_models]
        if len(set(bases)) != len(bases):
            raise ValueError("a base model is listed twice")
        return self


class Signal(StrEnum):
    """What the student learnt from (the typed 'distilled from' edge)."""

    LOGITS = "logits"
    HIDDEN_FEATURES = "hidden_features"
    OUTPUT_SEQUENCES = "output_sequences"
    SYNTHETIC_DATA = "synthetic_data"
    PREFERENCE_LABELS = "preference_labels"


class TeacherLink(_Part):
    model: str = Field(pattern=SLUG)
    signal: Signal
    share: float | None = Field(None, ge=0, le=1, description="Share of training, 0 to 1.")


class ConsentCheck(_Part):
    """The summary of a consent check of the student's training data (docs/consent.md)."""

    report: str = Field(min_length=1, max_length=200, description="The check's report id.")
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    checked_on: dt.date
    items: int = Field(ge=0)
    reserved: int = Field(ge=0)
    not_reserved: int = Field(ge=0)
    unknown: int = Field(ge=0)

    @model_validator(mode="after")
    def _adds_up(self) -> ConsentCheck:
        if self.reserved + self.not_reserved + self.unknown != self.items:
            raise ValueError("reserved, not_reserved and unknown must add up to items")
        return self


class Disclosure(_WithDatasets):
    id: str = Field(pattern=SLUG)
    student: str = Field(pattern=SLUG)
    teachers: list[TeacherLink] = Field(min_length=1)
    method_summary: str = Field(min_length=1)
    data_sources_summary: str = Field(min_length=1)
    commercial_release_date: dt.date | None = None
    jurisdictions: list[str] = Field(default_factory=list)
    determination: str | None = Field(None, description="A determination's id or content hash.")
    filed_on: dt.date
    supersedes: str | None = Field(
        None, pattern=SLUG, description="The disclosure this one amends (a new version)."
    )
    consent_check: ConsentCheck | None = Field(
        None, description="What a consent check of the training data found, if one was made."
    )

    @model_validator(mode="after")
    def _distinct(self) -> Disclosure:
        names = [t.model for t in self.teachers]
        if len(set(names)) != len(names):
            raise ValueError("a teacher is listed twice")
        if self.student in names:
            raise ValueError("a model cannot be its own teacher")
        return self


class StatementKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    DISPUTE = "dispute"
    SUSPECTED_UNDISCLOSED_DISTILLATION = "suspected_undisclosed_distillation"


class Statement(_Record):
    id: str = Field(pattern=SLUG)
    about: str = Field(
        pattern=SLUG,
        description="The disclosure it concerns, or the model suspected of undisclosed "
        "distillation.",
    )
    by: str = Field(pattern=SLUG, description="The organisation making it.")
    kind: StatementKind
    text: str = Field(min_length=1)
    evidence: str | None = None


KINDS: dict[str, type[_Record]] = {
    "organisation": Organisation,
    "model": Model,
    "model_amendment": ModelAmendment,
    "disclosure": Disclosure,
    "statement": Statement,
}


KIND_OF: dict[type[_Record], str] = {cls: kind for kind, cls in KINDS.items()}


def parse_record(kind: str, data: Any, origin: str = "") -> Any:
    """A record of the kind named, validated; else one error naming every field at fault."""
    model = KINDS[kind]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        where = f"{origin}: " if origin else ""
        raise DistillgovError(f"{where}invalid {kind}", problems_from(exc, model)) from None
