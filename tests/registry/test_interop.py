"""Model cards in, CycloneDX and SPDX out, and lineage drawn as SVG, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_python_model import load_data
from sqlalchemy import Engine, text

from distillgov.errors import DistillgovError
from distillgov.registry.cards import CardError, import_cards
from distillgov.registry.export import cyclonedx, spdx
from distillgov.registry.graphs import svg
from distillgov.registry.queries import declaring, model_card
from distillgov.registry.records import (
    BaseModelLink,
    Disclosure,
    Model,
    Organisation,
    parse_record,
)
from distillgov.registry.registry import Registry, RegistryError

CARDS = Path(__file__).resolve().parents[2] / "examples" / "cards"


def imported(engine: Engine) -> Registry:
    reg = Registry(engine)
    reg.log.initialise("distillgov.example/test", Ed25519PrivateKey.generate())
    import_cards(reg, CARDS)
    return reg


def file_lineage(reg: Registry) -> None:
    for d in (
        {
            "id": "d-llama-3.2-1b",
            "student": "meta-llama/llama-3.2-1b",
            "teachers": [{"model": "meta-llama/llama-3.1-70b-instruct", "signal": "logits"}],
        },
        {
            "id": "d-tiny",
            "student": "student-lab/tiny-reasoner-0.5b",
            "teachers": [
                {"model": "meta-llama/llama-3.2-1b", "signal": "output_sequences", "share": 0.9},
                {"model": "qwen/qwen2.5-7b", "signal": "synthetic_data"},
            ],
        },
    ):
        reg.add(
            Disclosure.model_validate(
                {
                    **d,
                    "method_summary": "Distillation.",
                    "data_sources_summary": "Teacher outputs.",
                    "filed_on": "2025-03-01",
                }
            )
        )


def test_cards_register_models_owners_bases_and_licences(engine: Engine) -> None:
    reg = imported(engine)
    with engine.connect() as c:
        models = dict(c.execute(text("SELECT id, licence FROM reg_models")).all())
        bases = set(c.execute(text("SELECT model, base, relation FROM reg_base_models")).all())
    assert models["meta-llama/llama-3.2-1b"] == "llama3.2"
    assert models["student-lab/tiny-reasoner-0.5b"] == "student-lab-research-licence"
    assert models["mistralai/mistral-7b-v0.1"] is None  # a base without a card of its own
    assert ("acme-ai/acme-merge-7b", "qwen/qwen2.5-7b", "merge") in bases
    assert ("acme-ai/acme-chat-1b-lora", "meta-llama/llama-3.2-1b", "adapter") in bases
    assert reg.show("meta-llama/llama-3.2-1b")["data"]["name"] == "meta-llama/Llama-3.2-1B"
    assert reg.lineage("acme-ai/acme-chat-1b-lora") == []  # a base is not a teacher
    size = reg.log.size()
    assert import_cards(reg, CARDS)[1] == [] and reg.log.size() == size  # twice adds nothing


def test_cards_tagged_distilled_are_screened_until_disclosed(engine: Engine) -> None:
    reg = imported(engine)
    flagged = {
        f["model"]
        for f in reg.screen()
        if f["finding"] == "card_declares_distillation_without_disclosure"
    }
    assert flagged == {"meta-llama/llama-3.2-1b", "student-lab/tiny-reasoner-0.5b"}
    file_lineage(reg)
    assert not [f for f in reg.screen() if f["finding"].startswith("card_declares")]


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("base_model_relation: distilled\n", "field 'base_model_relation', value 'distilled'"),
        ("base_model: [a/b/c]\n", "field 'base_model', value 'a/b/c'"),
        ("datasets: [has space]\n", "field 'datasets', value 'has space'"),
        ("license: [mit]\n", "field 'license', value ['mit']"),
        ("tags: {a: 1}\n", "field 'tags'"),
        ("base_model: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_card_is_refused_whole_naming_file_and_field(
    engine: Engine, tmp_path: Path, front_matter: str, message: str
) -> None:
    shutil.copytree(CARDS, tmp_path / "cards")
    bad = tmp_path / "cards" / "bad-org--bad-model.md"
    bad.write_text(f"---\n{front_matter}---\n# A bad card\n")
    reg = Registry(engine)
    reg.log.initialise("distillgov.example/test", Ed25519PrivateKey.generate())
    with pytest.raises(CardError, match=r"bad-org--bad-model\.md") as err:
        import_cards(reg, tmp_path / "cards")
    assert message in str(err.value)
    assert reg.log.size() == 0  # nothing from the good cards either


def test_a_card_without_front_matter_or_a_readable_id_is_refused(tmp_path: Path) -> None:
    from distillgov.registry.cards import read_card

    (tmp_path / "org--plain.md").write_text("# No metadata here\n")
    with pytest.raises(CardError, match="no YAML front matter"):
        read_card(tmp_path / "org--plain.md")
    (tmp_path / "distilbert-base-uncased.md").write_text("---\nlicense: apache-2.0\n---\n")
    assert read_card(tmp_path / "distilbert-base-uncased.md").repo_id == "distilbert-base-uncased"
    (tmp_path / "a name.md").write_text("---\nlicense: mit\n---\n")
    with pytest.raises(CardError, match="cannot tell the repository id"):
        read_card(tmp_path / "a name.md")
    checkout = tmp_path / "Org" / "Repo"
    checkout.mkdir(parents=True)
    (checkout / "README.md").write_text("---\nlicense: mit\n---\n")
    assert read_card(checkout / "README.md").repo_id == "Org/Repo"


def test_cyclonedx_export_matches_the_schema_and_carries_the_lineage(engine: Engine) -> None:
    reg = imported(engine)
    file_lineage(reg)
    document = cyclonedx(reg, "student-lab/tiny-reasoner-0.5b")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(document) is None
    bom = json.loads(document)
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model"
    ancestors = {a["name"]: a for a in model["pedigree"]["ancestors"]}
    teachers = {
        n: a
        for n, a in ancestors.items()
        if not any(p["name"] == "distillgov:base-model-relation" for p in a["properties"])
    }
    assert set(teachers) == {"meta-llama/Llama-3.2-1B", "Qwen/Qwen2.5-7B"}
    # Its base model (from its card) is an ancestor too, marked as a base, not a teacher.
    base = {p["name"]: p["value"] for p in ancestors["Qwen/Qwen2.5-0.5B"]["properties"]}
    assert base["distillgov:base-model-relation"] == "finetune"
    assert "distillgov:distillation-signal" not in base
    props = {p["name"]: p["value"] for p in teachers["meta-llama/Llama-3.2-1B"]["properties"]}
    assert props["distillgov:distillation-signal"] == "output_sequences"
    assert props["distillgov:training-share"] == "0.9"
    grand = teachers["meta-llama/Llama-3.2-1B"]["pedigree"]["ancestors"][0]
    assert grand["name"] == "meta-llama/Llama-3.1-70B-Instruct"
    assert model["licenses"] == [{"license": {"name": "student-lab-research-licence"}}]
    assert grand["licenses"] == [{"license": {"name": "llama3.1"}}]  # not an SPDX id
    lora = json.loads(cyclonedx(reg, "acme-ai/acme-chat-1b-lora"))["metadata"]["component"]
    assert lora["licenses"] == [{"license": {"id": "Apache-2.0"}}]


def test_spdx_export_reads_back_with_descendant_and_trained_on_relations(engine: Engine) -> None:
    reg = imported(engine)
    file_lineage(reg)
    document = json.loads(spdx(reg, "student-lab/tiny-reasoner-0.5b"))
    load_data(document)  # raises if the document does not fit the SPDX 3 model
    relations = [g for g in document["@graph"] if g["type"] == "Relationship"]
    descendant = {
        (r["from"], r["to"][0]) for r in relations if r["relationshipType"] == "descendantOf"
    }
    assert (
        len(descendant) == 4  # three teachers and the student's base model
        and len([r for r in relations if r["relationshipType"] == "trainedOn"]) == 3
    )
    names = {g["spdxId"]: g.get("name") for g in document["@graph"] if "spdxId" in g}
    pairs = {(names[a], names[b]) for a, b in descendant}
    assert ("student-lab/tiny-reasoner-0.5b", "Qwen/Qwen2.5-7B") in pairs
    assert ("student-lab/tiny-reasoner-0.5b", "Qwen/Qwen2.5-0.5B") in pairs
    packages = {g["name"]: g for g in document["@graph"] if g["type"] == "ai_AIPackage"}
    student = packages["student-lab/tiny-reasoner-0.5b"]
    assert names[student["suppliedBy"]] == "student-lab"
    assert "releaseTime" not in student  # the registry holds no date for it: none is invented
    assert not [g for g in document["@graph"] if "builtTime" in g]
    declared = [r for r in relations if r["relationshipType"] == "hasDeclaredLicense"]
    expressions = {
        g["spdxId"]: g
        for g in document["@graph"]
        if g["type"] == "simplelicensing_LicenseExpression"
    }
    licensed = {
        names[r["from"]]: expressions[r["to"][0]]["simplelicensing_licenseExpression"]
        for r in declared
    }
    assert licensed["student-lab/tiny-reasoner-0.5b"] == "LicenseRef-as-stated"  # not an SPDX id
    stated = [e.get("comment", "") for e in expressions.values()]
    assert "as the model card states it: student-lab-research-licence" in stated
    # A licence that is an SPDX id is given as one, with no gloss (it once raised).
    adapter = json.loads(spdx(reg, "acme-ai/acme-chat-1b-lora"))
    load_data(adapter)
    ids = [g for g in adapter["@graph"] if g["type"] == "simplelicensing_LicenseExpression"]
    assert {g["simplelicensing_licenseExpression"] for g in ids} >= {"Apache-2.0"}
    assert all(
        "comment" not in g
        for g in ids
        if g["simplelicensing_licenseExpression"] != ("LicenseRef-as-stated")
    )


def test_export_of_an_unknown_model_is_a_clear_error(engine: Engine) -> None:
    reg = imported(engine)
    with pytest.raises(RegistryError, match="no model with id 'nope'"):
        cyclonedx(reg, "nope")


def test_lineage_depth_and_svg_drawing(engine: Engine) -> None:
    reg = imported(engine)
    file_lineage(reg)
    rows = reg.lineage("student-lab/tiny-reasoner-0.5b")
    assert max(r["depth"] for r in rows) == 2
    assert {r["model"] for r in reg.lineage("student-lab/tiny-reasoner-0.5b", depth=1)} == {
        "meta-llama/llama-3.2-1b",
        "qwen/qwen2.5-7b",
    }
    with pytest.raises(RegistryError, match="field 'depth', value 0"):
        reg.lineage("student-lab/tiny-reasoner-0.5b", depth=0)
    drawing = ET.fromstring(svg("student-lab/tiny-reasoner-0.5b", rows))
    ns = "{http://www.w3.org/2000/svg}"
    labels = [t.text for t in drawing.iter(f"{ns}text")]
    assert labels.count("output_sequences") == 1 and "meta-llama/llama-3.1-70b-instruct" in labels
    assert len(list(drawing.iter(f"{ns}line"))) == len(rows) == 3


def test_cards_record_datasets_accept_bare_hub_ids_and_skip_plain_markdown(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "cards"
    folder.mkdir()
    (folder / "lab--tiny-bert.md").write_text(
        "---\nbase_model: distilbert-base-uncased\nbase_model_relation: finetune\n"
        "datasets: [glue, lab/reviews-2025]\nlicense: mit\n---\n# Tiny BERT\n"
    )
    (folder / "NOTES.md").write_text("# Just notes, no front matter\n")
    reg = Registry(engine)
    reg.log.initialise("distillgov.example/test", Ed25519PrivateKey.generate())
    read, added, skipped = import_cards(reg, folder)
    assert read == 1 and len(skipped) == 1 and "NOTES.md: no YAML front matter" in skipped[0]
    ids = {(type(r).__name__, r.id) for r in added}
    assert ("Organisation", "huggingface") in ids and ("Model", "distilbert-base-uncased") in ids
    from sqlalchemy import text

    with engine.connect() as c:
        datasets = set(
            c.execute(
                text("SELECT dataset FROM reg_datasets WHERE model = 'lab/tiny-bert'")
            ).scalars()
        )
        bases = c.execute(text("SELECT base, relation FROM reg_base_models")).all()
    assert datasets == {"glue", "lab/reviews-2025"}
    assert [tuple(b) for b in bases] == [("distilbert-base-uncased", "finetune")]
    assert reg.verify_projections() == []


def test_a_card_for_a_model_registered_bare_completes_it_by_an_amendment(
    engine: Engine, tmp_path: Path
) -> None:
    reg = Registry(engine)
    key = Ed25519PrivateKey.generate()
    reg.log.initialise("distillgov.example/test", key)
    reg.add_many(
        [
            Organisation(id="student-lab", name="Student Lab"),
            Model(id="student-lab/tiny-reasoner-0.5b", name="tiny", owner="student-lab"),
        ]
    )
    card = tmp_path / "student-lab--tiny-reasoner-0.5b.md"
    shutil.copy(CARDS / "student-lab--tiny-reasoner-0.5b.md", card)
    _, added, _ = import_cards(reg, card)
    kinds = [type(r).__name__ for r in added]
    assert kinds == ["Organisation", "Model", "ModelAmendment"]  # the base, bare, then the fill
    page = model_card(engine, "student-lab/tiny-reasoner-0.5b")
    assert page["model"]["licence"] == "student-lab-research-licence"
    assert page["base_models"] == [{"model": "qwen/qwen2.5-0.5b", "relation": "finetune"}]
    assert [a["source"] for a in page["amendments"]] == ["its model card"]
    assert declaring(engine, "student-lab/teacher-traces")[0]["model"] == (
        "student-lab/tiny-reasoner-0.5b"
    )
    screened = {
        f["model"]
        for f in reg.screen()
        if f["finding"] == "card_declares_distillation_without_disclosure"
    }
    assert "student-lab/tiny-reasoner-0.5b" in screened
    amendment = added[-1].id
    reg.log.checkpoint(key)
    assert reg.show(amendment)["kind"] == "model_amendment"
    assert reg.prove(amendment)["index"] == reg.entry_of(amendment)
    size = reg.log.size()
    assert import_cards(reg, card)[1] == [] and reg.log.size() == size  # nothing left to add
    assert reg.verify_projections() == []
    # The card's base is a base link in the lineage, and in the graph (dashed).
    rows = reg.lineage("student-lab/tiny-reasoner-0.5b", bases=True)
    assert rows == [
        {
            "model": "qwen/qwen2.5-0.5b",
            "via": "student-lab/tiny-reasoner-0.5b",
            "signal": "finetune",
            "link": "base",
            "depth": 1,
        }
    ]
    assert reg.lineage("student-lab/tiny-reasoner-0.5b") == []  # distillation only
    drawing = ET.fromstring(svg("student-lab/tiny-reasoner-0.5b", rows))
    (line,) = drawing.iter("{http://www.w3.org/2000/svg}line")
    assert line.get("stroke-dasharray")


AMENDMENTS = [  # (what the amendment says, the field and why it is refused)
    ({"licence": "mit"}, "field 'licence', value 'mit': the model's licence is recorded already"),
    ({"base_models": [{"model": "base"}]}, "already recorded as this model's base"),
    ({"base_models": [{"model": "top"}]}, "value 'top': it derives from 'mid' (a cycle)"),
    ({"base_models": [{"model": "mid"}]}, "value 'mid': a model is not its own base"),
    ({"datasets": ["d/one"]}, "field 'datasets[0]', value 'd/one': already recorded"),
    ({"model": "ghost", "licence": "mit"}, "field 'model', value 'ghost': no such model"),
    ({"base_models": [{"model": "ghost"}]}, "value 'ghost': no such model: register it first"),
]


@pytest.mark.parametrize(("change", "refusal"), AMENDMENTS, ids=[a[1][:30] for a in AMENDMENTS])
def test_an_amendment_completes_and_never_changes_a_model(
    engine: Engine, change: dict[str, Any], refusal: str
) -> None:
    reg = Registry(engine)
    reg.log.initialise("distillgov.example/test", Ed25519PrivateKey.generate())
    reg.add_many(
        [
            Organisation(id="lab", name="Lab"),
            Model(id="base", name="base", owner="lab"),
            Model(
                id="mid",
                name="mid",
                owner="lab",
                licence="apache-2.0",
                base_models=[BaseModelLink(model="base")],
                datasets=["d/one"],
            ),
            Model(id="top", name="top", owner="lab", base_models=[BaseModelLink(model="mid")]),
        ]
    )
    size = reg.log.size()
    amendment = parse_record(
        "model_amendment", {"id": "mid.a", "model": "mid", "source": "a test", **change}
    )
    with pytest.raises(RegistryError, match=re.escape(refusal)):
        reg.add(amendment)
    assert reg.log.size() == size  # nothing written
    with pytest.raises(DistillgovError, match="adds at least one of licence"):
        parse_record("model_amendment", {"id": "x", "model": "mid", "source": "a test"})
