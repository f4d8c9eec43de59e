"""Hugging Face model cards in: the YAML front matter of a card (`base_model`,
`base_model_relation`, `license`, `tags`) becomes organisation and model records.

A card does not say which repository it belongs to, so the repository id comes from where the card
lies: `ORG/NAME/README.md` (a checkout of the repository) or `ORG--NAME.md` (one file per card).
Registry ids are lower case; the card's spelling is kept as the model's name. A card records a
model's base (its starting weights), not a teacher: no distillation edge is invented from it, but a
card tagged as distilled is flagged, so the screen can list it if no disclosure follows. A card
for a model registered before it (bare, or as another card's base) completes that model by an
amendment: what the card adds, logged as its own entry.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from distillgov.errors import DistillgovError, InputFileError
from distillgov.inputs import decode_text, parse_yaml, read_bytes
from distillgov.registry.records import (
    DATASET,
    SLUG,
    BaseModelLink,
    BaseRelation,
    Model,
    ModelAmendment,
    Organisation,
    _Record,
)
from distillgov.storage.db import reading

# ORG/NAME, or a bare NAME: the Hub's older, un-namespaced ids (distilbert-base-uncased) still
# resolve, and cards still name them as bases.
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._\-]*/)?[A-Za-z0-9][A-Za-z0-9._\-]*$")
# Whose an un-namespaced id is: the Hub's canonical models (interpretation 104).
CANONICAL_OWNER = ("huggingface", "Hugging Face (un-namespaced Hub ids)")
_DISTILLED_TAGS = {"distillation", "distilled", "knowledge-distillation"}
_RELATIONS = ", ".join(r.value for r in BaseRelation)


class CardError(DistillgovError):
    """A model card cannot be read; names the file, the field and the value."""


class NoFrontMatter(CardError):
    """A Markdown file with no YAML front matter: not a model card to import (skipped, named)."""


@dataclass(frozen=True)
class Card:
    path: Path
    repo_id: str
    licence: str | None
    base_models: tuple[str, ...]
    relation: BaseRelation | None
    declares_distillation: bool
    datasets: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)


def repo_id_for(path: Path) -> str:
    if path.name.lower() == "readme.md":
        return f"{path.parent.parent.name}/{path.parent.name}"
    return path.stem.replace("--", "/", 1)  # ORG--NAME.md, or NAME.md for an un-namespaced id


def front_matter(text: str) -> str | None:
    """The YAML between the opening `---` line and the next one, or None if there is none."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:i])
    return None


def read_card(path: Path) -> Card:
    where = str(path)
    repo_id = repo_id_for(path)
    if not _REPO_ID.match(repo_id) or not re.match(SLUG, repo_id.lower()):
        raise CardError(
            f"{where}: cannot tell the repository id from the path (got {repo_id!r}); "
            "lay cards out as ORG/NAME/README.md or ORG--NAME.md"
        )
    try:
        text = decode_text(read_bytes(path), where)
    except InputFileError as exc:
        raise CardError(exc.message) from None
    raw = front_matter(text)
    if raw is None:
        raise NoFrontMatter(
            f"{where}: no YAML front matter (a block between '---' lines at the top)"
        )
    try:
        meta = parse_yaml(raw, f"{where}: the front matter") or {}
    except InputFileError as exc:
        raise CardError(exc.message) from None
    if not isinstance(meta, dict):
        raise CardError(f"{where}: the front matter is not a mapping of fields")
    return Card(
        path=path,
        repo_id=repo_id,
        licence=_licence(where, meta),
        base_models=_base_models(where, meta),
        relation=_relation(where, meta),
        declares_distillation=bool(_DISTILLED_TAGS & {str(t).lower() for t in _tags(where, meta)}),
        datasets=_datasets(where, meta),
    )


def _datasets(where: str, meta: dict[str, Any]) -> tuple[str, ...]:
    value = meta.get("datasets")
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list):
        raise CardError(f"{where}: field 'datasets', value {value!r}: must be an id or a list")
    for name in names:
        if not isinstance(name, str) or not re.fullmatch(DATASET, name):
            raise CardError(
                f"{where}: field 'datasets', value {name!r}: not a dataset id (letters, digits "
                "and . _ - / :, at most 200 characters)"
            )
    return tuple(dict.fromkeys(names))  # a dataset named twice is one


def _licence(where: str, meta: dict[str, Any]) -> str | None:
    value = meta.get("license")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CardError(f"{where}: field 'license', value {value!r}: must be a licence identifier")
    if value == "other" and isinstance(meta.get("license_name"), str):
        return str(meta["license_name"])
    return value


def _base_models(where: str, meta: dict[str, Any]) -> tuple[str, ...]:
    value = meta.get("base_model")
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise CardError(f"{where}: field 'base_model', value {value!r}: must be an id or a list")
    for name in names:
        if not isinstance(name, str) or not _REPO_ID.match(name):
            raise CardError(
                f"{where}: field 'base_model', value {name!r}: not a repository id (ORG/NAME, "
                "or a bare NAME)"
            )
    return tuple(names)


def _relation(where: str, meta: dict[str, Any]) -> BaseRelation | None:
    value = meta.get("base_model_relation")
    if value is None:
        return None
    try:
        return BaseRelation(value)
    except ValueError:
        raise CardError(
            f"{where}: field 'base_model_relation', value {value!r}: must be one of {_RELATIONS}"
        ) from None


def _tags(where: str, meta: dict[str, Any]) -> list[Any]:
    value = meta.get("tags", [])
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise CardError(f"{where}: field 'tags', value {value!r}: must be a list")
    return value


def find_cards(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CardError(f"{path}: no such file or directory")
    found = sorted(p for p in path.rglob("*.md") if p.is_file())
    if not found:
        raise CardError(f"{path}: no model cards (*.md files) in it")
    return found


@dataclass(frozen=True)
class Known:
    """What the registry already records of a model, for a card to complete."""

    licence: str | None = None
    bases: frozenset[str] = frozenset()
    datasets: frozenset[str] = frozenset()
    declares_distillation: bool = False


def amendment_for(card: Card, known: Known) -> ModelAmendment | None:
    """What `card` adds to a model registered before it (bare, or from an earlier card): the
    licence if none is recorded, bases and datasets not yet named, the distillation tag. None
    when it adds nothing, so importing the same card again files nothing."""
    mid = card.repo_id.lower()
    bases = [
        BaseModelLink(model=b.lower(), relation=card.relation)
        for b in card.base_models
        if b.lower() not in known.bases
    ]
    added: dict[str, Any] = {
        "licence": card.licence if known.licence is None else None,
        "base_models": bases,
        "datasets": [d for d in card.datasets if d not in known.datasets],
        "card_declares_distillation": card.declares_distillation
        and not known.declares_distillation,
    }
    if not any(added.values()):
        return None
    digest = hashlib.sha256(
        json.dumps([mid, [b.model for b in bases], added["licence"], added["datasets"]]).encode()
    ).hexdigest()[:12]
    return ModelAmendment(
        id=f"{mid[:100]}.card-{digest}", model=mid, source="its model card", **added
    )


def records_for(
    cards: list[Card], known_models: dict[str, Known], known_orgs: set[str]
) -> list[_Record]:
    """The records to add, bases before the models that name them: a model not registered
    yet, or an amendment completing one that is (interpretation 105); what is registered
    already (or repeated) is left out, so importing the same cards twice adds nothing."""
    by_id = {c.repo_id.lower(): c for c in cards}
    records: list[_Record] = []
    orgs, models = set(known_orgs), set(known_models)

    def ensure_org(repo_id: str) -> str:
        org, name = repo_id.split("/", 1)[0], None
        if "/" not in repo_id:
            org, name = CANONICAL_OWNER
        if org.lower() not in orgs:
            orgs.add(org.lower())
            records.append(Organisation(id=org.lower(), name=name or org))
        return org.lower()

    def ensure_model(repo_id: str, visiting: tuple[str, ...] = ()) -> None:
        mid = repo_id.lower()
        if mid in models:
            return
        if mid in visiting:
            raise CardError(f"{by_id[mid].path}: field 'base_model': the cards' bases form a cycle")
        card = by_id.get(mid)
        bases = card.base_models if card else ()
        for base in bases:
            ensure_model(base, (*visiting, mid))
        owner = ensure_org(repo_id)
        models.add(mid)
        records.append(
            Model(
                id=mid,
                name=repo_id if card is None else card.repo_id,
                owner=owner,
                licence=card.licence if card else None,
                base_models=[
                    BaseModelLink(model=b.lower(), relation=card.relation if card else None)
                    for b in bases
                ],
                card_declares_distillation=bool(card and card.declares_distillation),
                datasets=list(card.datasets) if card else [],
            )
        )

    for card in cards:
        mid = card.repo_id.lower()
        if mid in known_models:
            for base in card.base_models:
                ensure_model(base, (mid,))
            amendment = amendment_for(card, known_models[mid])
            if amendment is not None:
                records.append(amendment)
        else:
            ensure_model(card.repo_id)
    return records


def known_models(c: Any) -> dict[str, Known]:
    """Every registered model with what its records (and amendments) already say."""
    bases: dict[str, set[str]] = {}
    for model, base in c.execute(text("SELECT model, base FROM reg_base_models")):
        bases.setdefault(model, set()).add(base)
    datasets: dict[str, set[str]] = {}
    for model, dataset in c.execute(
        text(
            "SELECT d.model, d.dataset FROM reg_datasets d WHERE d.record = d.model OR d.record "
            "IN (SELECT a.id FROM reg_model_amendments a WHERE a.model = d.model)"
        )
    ):
        datasets.setdefault(model, set()).add(dataset)
    return {
        r[0]: Known(
            licence=r[1],
            bases=frozenset(bases.get(r[0], ())),
            datasets=frozenset(datasets.get(r[0], ())),
            declares_distillation=bool(r[2]),
        )
        for r in c.execute(
            text("SELECT id, licence, card_declares_distillation FROM reg_model_facts")
        )
    }


def import_cards(registry: Any, path: Path) -> tuple[int, list[_Record], list[str]]:
    """Read every card under `path` (all must be valid, or nothing is added; a Markdown file
    with no front matter is not a card, and is skipped and named), then add the records they
    imply in one transaction. Returns the cards read, what was added, and what was skipped."""
    cards, skipped = [], []
    for found in find_cards(path):
        try:
            cards.append(read_card(found))
        except NoFrontMatter as exc:
            skipped.append(exc.message)
    seen: dict[str, Path] = {}
    for card in cards:
        other = seen.setdefault(card.repo_id.lower(), card.path)
        if other != card.path:
            raise CardError(f"{card.path}: the same repository as {other} ({card.repo_id})")
    with reading(registry.engine) as c:
        models = known_models(c)
        orgs = set(c.execute(text("SELECT id FROM reg_organisations")).scalars())
    records = records_for(cards, models, orgs)
    registry.add_many(records)
    return len(cards), records, skipped
