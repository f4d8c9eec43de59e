"""Records on SQLite and PostgreSQL: checked, logged and projected together; lineage queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from sqlalchemy import Engine, text

from distillgov.registry.checkpoint import Checkpoint, parse_verifier_key, verify
from distillgov.registry.merkle import leaf_hash, verify_inclusion
from distillgov.registry.records import Disclosure, Model, Organisation, Statement
from distillgov.registry.registry import Registry, RegistryError


def disclosure(id: str, student: str, *teachers: str, **more: Any) -> Disclosure:
    return Disclosure.model_validate(
        {
            "id": id,
            "student": student,
            "teachers": [{"model": t, "signal": "logits"} for t in teachers],
            "method_summary": "Logit matching on a public prompt set.",
            "data_sources_summary": "Teacher outputs only.",
            "filed_on": "2025-01-10",
            **more,
        }
    )


def registry(engine: Engine) -> tuple[Registry, Ed25519PrivateKey]:
    reg = Registry(engine)
    key = Ed25519PrivateKey.generate()
    reg.log.initialise("distillgov.example/test", key)
    reg.add(Organisation(id="meta", name="Meta"))
    reg.add(Organisation(id="lab", name="A Lab"))
    for m, owner in (
        ("llama-3.1-70b", "meta"),
        ("llama-3.2-1b", "meta"),
        ("tiny-1", "lab"),
        ("tiny-2", "lab"),
    ):
        reg.add(Model(id=m, name=m, owner=owner))
    reg.add(disclosure("d-llama-3.2", "llama-3.2-1b", "llama-3.1-70b"))
    reg.add(disclosure("d-tiny-1", "tiny-1", "llama-3.2-1b", commercial_release_date="2025-01-01"))
    reg.add(disclosure("d-tiny-2", "tiny-2", "tiny-1"))
    return reg, key


def test_records_are_logged_and_projected_together(engine: Engine) -> None:
    reg, key = registry(engine)
    assert reg.log.size() == 9
    reg.log.checkpoint(key)
    assert reg.log.verify() is None
    bundle = reg.log.prove(reg.entry_of("d-tiny-1"))
    name, public = parse_verifier_key(bundle["verifier_key"])
    head = Checkpoint.parse(verify(bundle["checkpoint"], name, public))
    verify_inclusion(
        leaf_hash(bundle["entry"].encode()),
        bundle["index"],
        head.size,
        [bytes.fromhex(p) for p in bundle["proof"]],
        head.root,
    )
    entry = json.loads(bundle["entry"])
    assert entry["kind"] == "disclosure" and entry["data"]["teachers"][0]["model"] == "llama-3.2-1b"


def test_late_disclosures_are_accepted_and_flagged(engine: Engine) -> None:
    registry(engine)
    with engine.connect() as c:
        late = dict(c.execute(text("SELECT id, late FROM reg_disclosures")).all())
    assert bool(late["d-tiny-1"]) is True and bool(late["d-tiny-2"]) is False


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            Organisation(id="meta", name="Again"),
            "field 'id', value 'meta': an organisation with this id is already registered",
        ),
        (
            Model(id="x", name="x", owner="nobody"),
            "field 'owner', value 'nobody': no such organisation",
        ),
        (
            disclosure("d-llama-3.2", "tiny-1", "llama-3.1-70b"),
            "field 'id', value 'd-llama-3.2': a disclosure with this id is already filed",
        ),
        (
            disclosure("d-new", "tiny-1", "ghost"),
            "field 'teachers[0].model', value 'ghost': no such model",
        ),
        (
            Statement(id="s1", about="d-none", by="meta", kind="dispute", text="t"),
            "field 'about', value 'd-none': no such disclosure",
        ),
    ],
)
def test_refusals_name_the_field_and_write_nothing(
    engine: Engine, record: Any, message: str
) -> None:
    reg, _ = registry(engine)
    before = reg.log.size()
    with pytest.raises(RegistryError) as info:
        reg.add(record)
    assert str(info.value).startswith(message)
    assert reg.log.size() == before and reg.log.verify() is None


def test_invalid_records_are_refused_before_the_database() -> None:
    with pytest.raises(ValidationError, match="a model cannot be its own teacher"):
        disclosure("d", "m", "m")
    with pytest.raises(ValidationError, match="a teacher is listed twice"):
        disclosure("d", "m", "a", "a")


def test_statements_by_teacher_owners(engine: Engine) -> None:
    reg, _ = registry(engine)
    reg.add(
        Statement(
            id="ack-1",
            about="d-tiny-1",
            by="meta",
            kind="acknowledgement",
            text="We licensed this.",
        )
    )
    with engine.connect() as c:
        assert (
            c.execute(text("SELECT kind FROM reg_statements WHERE id = 'ack-1'")).scalar_one()
            == "acknowledgement"
        )


def test_ancestors_and_descendants_to_any_depth(engine: Engine) -> None:
    reg, _ = registry(engine)
    ancestors = reg.lineage("tiny-2")
    assert [(a["model"], a["depth"]) for a in ancestors] == [
        ("tiny-1", 1),
        ("llama-3.2-1b", 2),
        ("llama-3.1-70b", 3),
    ]
    descendants = reg.lineage("llama-3.1-70b", "descendants")
    assert [(d["model"], d["depth"]) for d in descendants] == [
        ("llama-3.2-1b", 1),
        ("tiny-1", 2),
        ("tiny-2", 3),
    ]
    with pytest.raises(RegistryError, match="no model with id 'ghost'"):
        reg.lineage("ghost")


def test_lineage_survives_a_cycle(engine: Engine) -> None:
    reg, _ = registry(engine)
    # A (false or mistaken) disclosure that closes a loop must not hang the query.
    reg.add(disclosure("d-loop", "llama-3.1-70b", "tiny-2"))
    ancestors = {a["model"]: a["depth"] for a in reg.lineage("tiny-2")}
    assert ancestors == {"tiny-1": 1, "llama-3.2-1b": 2, "llama-3.1-70b": 3}


def test_an_amendment_supersedes_and_lineage_follows_the_new_version(engine: Engine) -> None:
    reg, _ = registry(engine)
    reg.add(disclosure("d-tiny-2-v2", "tiny-2", "llama-3.1-70b", supersedes="d-tiny-2"))
    assert [a["model"] for a in reg.lineage("tiny-2")] == ["llama-3.1-70b"]
    assert reg.show("d-tiny-2")["data"]["teachers"][0]["model"] == "tiny-1"  # history kept
    with pytest.raises(RegistryError, match="already amended by 'd-tiny-2-v2'"):
        reg.add(disclosure("d-tiny-2-v3", "tiny-2", "tiny-1", supersedes="d-tiny-2"))
    with pytest.raises(RegistryError, match="it discloses 'tiny-2', not 'tiny-1'"):
        reg.add(disclosure("d-x", "tiny-1", "llama-3.1-70b", supersedes="d-tiny-2-v2"))


def test_the_screen_finds_late_disputed_suspected_and_conflicting(engine: Engine) -> None:
    reg, _ = registry(engine)
    digest = "sha256:" + "ab" * 32
    reg.add(Model(id="clone-a", name="a", owner="lab", weights_digest=digest))
    reg.add(Model(id="clone-b", name="b", owner="lab", weights_digest=digest))
    reg.add(Model(id="mystery", name="m", owner="lab"))
    reg.add(disclosure("d-a", "clone-a", "llama-3.1-70b"))
    reg.add(disclosure("d-b", "clone-b", "tiny-1"))
    reg.add(
        Statement(id="s-dispute", about="d-tiny-2", by="meta", kind="dispute", text="Not from us.")
    )
    reg.add(
        Statement(
            id="s-suspect",
            about="mystery",
            by="meta",
            kind="suspected_undisclosed_distillation",
            text="Outputs match ours.",
            evidence="probe set 7",
        )
    )
    found = {f["finding"]: f for f in reg.screen()}
    assert found["late_disclosure"]["disclosure"] == "d-tiny-1"
    assert found["disputed"]["disclosure"] == "d-tiny-2"
    assert found["suspected_undisclosed_distillation"]["model"] == "mystery"
    assert found["conflicting_lineage"]["models"] == {
        "clone-a": ["llama-3.1-70b"],
        "clone-b": ["tiny-1"],
    }


def test_a_teacher_owner_watches_with_proofs(engine: Engine) -> None:
    reg, key = registry(engine)
    reg.log.checkpoint(key)
    seen = reg.watch("llama-3.2-1b")
    assert [(w["disclosure"], w["student"]) for w in seen] == [("d-tiny-1", "tiny-1")]
    assert seen[0]["proof"]["index"] == seen[0]["entry"]
    assert reg.watch("llama-3.2-1b", since=seen[0]["entry"] + 1) == []


def test_the_shortest_path_between_two_models(engine: Engine) -> None:
    reg, _ = registry(engine)
    reg.add(disclosure("d-shortcut", "tiny-2", "llama-3.2-1b", supersedes="d-tiny-2"))
    up = reg.path("tiny-2", "llama-3.1-70b")
    assert up is not None and [s["model"] for s in up] == ["llama-3.2-1b", "llama-3.1-70b"]
    down = reg.path("llama-3.1-70b", "tiny-1")
    assert down is not None and [s["model"] for s in down] == ["llama-3.2-1b", "tiny-1"]
    assert down[0]["direction"] == "descendants"
    reg.add(Model(id="loner", name="l", owner="lab"))
    assert reg.path("loner", "tiny-1") is None
