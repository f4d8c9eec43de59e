"""The tables the queries read are projections of the log, checked and rebuilt from it (#14
item 1), and an outsider can prove consistency and inclusion at a size they hold (item 2). On
SQLite and PostgreSQL: each projected table is edited directly, as an insider would, and
`verify` must name the row; `rebuild` must put it back."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from distillgov.consent.register import file_reservation, parse_reservation, withdraw
from distillgov.registry.checkpoint import Checkpoint, parse_verifier_key, verify
from distillgov.registry.log import LogError
from distillgov.registry.merkle import InvalidProof, leaf_hash, verify_consistency, verify_inclusion
from distillgov.registry.projection import TABLES
from distillgov.registry.records import (
    BaseModelLink,
    Disclosure,
    Model,
    ModelAmendment,
    Organisation,
    Statement,
    TeacherLink,
)
from distillgov.registry.registry import Registry


def _populated(engine: Engine) -> tuple[Registry, Ed25519PrivateKey]:
    reg = Registry(engine)
    key = Ed25519PrivateKey.generate()
    reg.log.initialise("proj.example/log", key)
    reg.add_many(
        [
            Organisation(id="lab", name="A Lab"),
            Organisation(id="big", name="Big Lab"),
            Model(id="big-1", name="Big", owner="big", release_date=dt.date(2024, 5, 13)),
            Model(id="base-1", name="Base", owner="lab", licence="apache-2.0"),
            Model(
                id="tiny-1",
                name="Tiny",
                owner="lab",
                base_models=[BaseModelLink(model="base-1", relation="finetune")],
                datasets=["lab/web-2025"],
                card_declares_distillation=True,
            ),
            Disclosure(
                id="d-tiny-1",
                student="tiny-1",
                teachers=[TeacherLink(model="big-1", signal="logits", share=0.7)],
                method_summary="Logit distillation.",
                data_sources_summary="Teacher outputs.",
                commercial_release_date=dt.date(2025, 1, 1),
                filed_on=dt.date(2025, 1, 10),
                datasets=["lab/prompts"],
            ),
            Statement(id="s-1", about="d-tiny-1", by="big", kind="dispute", text="Not so."),
            Model(id="bare-1", name="Bare", owner="lab"),
            ModelAmendment(
                id="bare-1.card",
                model="bare-1",
                licence="mit",
                base_models=[BaseModelLink(model="big-1", relation="quantized")],
                datasets=["lab/web-2025"],
                source="its model card",
            ),
        ]
    )
    form = parse_reservation(
        {
            "id": "res-1",
            "holder": "lab",
            "scope": [{"kind": "domain", "value": "Lab.Example"}, {"kind": "work", "value": "w1"}],
        }
    )
    file_reservation(engine, reg.log, form, "ana", dt.date(2025, 2, 1))
    withdraw(engine, reg.log, "wd-1", "res-1", "ana", dt.date(2025, 3, 1))
    reg.log.checkpoint(key)
    return reg, key


def _snapshot(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as c:
        return {
            t.name: sorted(
                (tuple(map(str, r)) for r in c.execute(text(f"SELECT * FROM {t.name}"))),
            )
            for t in TABLES
        }


def test_every_projected_table_has_rows_and_they_match_the_log(engine: Engine) -> None:
    reg, _ = _populated(engine)
    assert all(_snapshot(engine).values()), "the fixture leaves a projected table empty"
    assert reg.verify_projections() == []


EDITS = [  # (SQL an insider runs, what verify must say)
    ("UPDATE reg_edges SET teacher = 'base-1'", "reg_edges row disclosure 'd-tiny-1', teacher"),
    ("UPDATE reg_disclosures SET late = FALSE", "reg_disclosures row id 'd-tiny-1' (entry 5): late"),
    ("DELETE FROM reg_statements", "reg_statements row id 's-1' (entry 6): in the log, missing"),
    ("UPDATE reg_organisations SET name = 'Other' WHERE id = 'big'", "name is 'Other' in the table"),
    ("DELETE FROM reg_base_models", "reg_base_models row model 'tiny-1', base 'base-1' (entry 4)"),
    ("UPDATE reg_models SET release_date = NULL WHERE id = 'big-1'", "release_date is None"),
    ("INSERT INTO reg_datasets (record, model, dataset) VALUES ('tiny-1', 'tiny-1', 'x/y')",
     "reg_datasets row record 'tiny-1', dataset 'x/y': in the table, but no log entry"),
    ("UPDATE cns_scopes SET host = 'evil.example' WHERE kind = 'domain'", "host is 'evil.example'"),
    ("DELETE FROM cns_withdrawals", "cns_withdrawals row id 'wd-1' (entry 10): in the log"),
    ("UPDATE cns_reservations SET holder = 'big'", "cns_reservations row id 'res-1' (entry 9)"),
    ("UPDATE reg_model_amendments SET licence = 'proprietary'", "licence is 'proprietary' in"),
    ("DELETE FROM reg_model_amendments", "reg_model_amendments row id 'bare-1.card' (entry 8)"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "named"), EDITS, ids=[e[0][:40] for e in EDITS])
def test_an_edited_projection_is_named_and_rebuilt_from_the_log(
    engine: Engine, edit: str, named: str
) -> None:
    reg, _ = _populated(engine)
    before = _snapshot(engine)
    with engine.begin() as c:
        c.execute(text(edit))
    found = reg.verify_projections()
    assert any(named in line for line in found), found
    assert reg.rebuild()  # something was put right
    assert reg.verify_projections() == []
    assert _snapshot(engine) == before


def test_a_record_pointed_at_another_entry_is_never_proved(engine: Engine) -> None:
    _populated(engine)
    with engine.begin() as c:  # the disclosure now "is" the organisation's entry 0
        c.execute(text("UPDATE reg_disclosures SET entry = 0 WHERE id = 'd-tiny-1'"))
    fresh = Registry(engine)
    with pytest.raises(
        LogError, match="give entry 0 for 'd-tiny-1', but that entry is the record 'lab'"
    ):
        fresh.prove("d-tiny-1")
    assert any(
        "entry is 0 in the table, 5 in the log" in line for line in fresh.verify_projections()
    )


def test_rebuild_recreates_emptied_tables(engine: Engine) -> None:
    reg, _ = _populated(engine)
    before = _snapshot(engine)
    with engine.begin() as c:
        for table in reversed(TABLES):
            c.execute(text(f"DELETE FROM {table.name}"))
    assert len(reg.verify_projections()) == sum(len(rows) for rows in before.values())
    reg.rebuild()
    assert _snapshot(engine) == before
    assert reg.lineage("tiny-1")[0]["model"] == "big-1"


def _root(note: str, verifier: str) -> Checkpoint:
    name, key = parse_verifier_key(verifier)
    return Checkpoint.parse(verify(note, name, key))


def test_consistency_and_inclusion_at_a_size_the_client_holds(engine: Engine) -> None:
    reg, key = _populated(engine)
    held = reg.log.checkpoints()[-1]  # what a client saved at size 11
    reg.add_many([Organisation(id=f"org-{n}", name=f"Org {n}") for n in range(7)])
    reg.log.checkpoint(key)
    reg.add(Organisation(id="late", name="Late"))
    reg.log.checkpoint(key)
    sizes = [c["size"] for c in reg.log.checkpoints()]
    assert sizes == [11, 18, 19]
    bundle = reg.log.consistency(11)
    old = _root(held["checkpoint"], bundle["verifier_key"])
    new = _root(bundle["checkpoint"], bundle["verifier_key"])
    assert (old.size, new.size) == (11, 19) and bundle["old_checkpoint"] == held["checkpoint"]
    verify_consistency(11, 19, [bytes.fromhex(h) for h in bundle["proof"]], old.root, new.root)
    between = reg.log.consistency(11, 18)
    assert between["new_size"] == 18
    # An inclusion proof at the size the client holds, not only the latest.
    at = reg.prove("d-tiny-1", at_size=11)
    assert at["size"] == 11 and at["checkpoint"] == held["checkpoint"]
    verify_inclusion(
        leaf_hash(at["entry"].encode()), 5, 11, [bytes.fromhex(h) for h in at["proof"]], old.root
    )
    with pytest.raises(LogError, match="no checkpoint was signed at size 13"):
        reg.prove("d-tiny-1", at_size=13)
    with pytest.raises(LogError, match="entry 18 is not in the tree of size 11"):
        reg.prove("late", at_size=11)


def test_a_client_holding_a_checkpoint_catches_a_rollback_and_a_fork(tmp_path: Any) -> None:
    from distillgov.storage.db import connect, migrate

    def log_with(names: list[str], key: Ed25519PrivateKey, file: str) -> Registry:
        engine = connect(f"sqlite:///{tmp_path / file}")
        migrate(engine)
        reg = Registry(engine)
        reg.log.initialise("fork.example/log", key)
        for name in names:
            reg.add(Organisation(id=name, name=name))
            reg.log.checkpoint(key)
        return reg

    key = Ed25519PrivateKey.generate()
    honest = log_with(["a", "b", "c", "d", "e"], key, "honest.sqlite")
    held = honest.log.checkpoints()[-1]["checkpoint"]  # size 5, saved by a client
    # The same key signs another history that shares the first three entries.
    forked = log_with(["a", "b", "c", "x", "y", "z"], key, "forked.sqlite")
    bundle = forked.log.consistency(5)
    old = _root(held, bundle["verifier_key"])
    new = _root(bundle["checkpoint"], bundle["verifier_key"])
    assert bundle["old_checkpoint"] != held  # the forked log's own size-5 checkpoint differs
    with pytest.raises(InvalidProof):
        verify_consistency(
            5, new.size, [bytes.fromhex(h) for h in bundle["proof"]], old.root, new.root
        )
    # A rollback: the last entry and its checkpoint deleted. The client's checkpoint is larger
    # than anything the log can now prove consistency from.
    with honest.engine.begin() as c:
        c.execute(text("DELETE FROM log_checkpoints WHERE size = 5"))
        c.execute(text("DELETE FROM log_entries WHERE idx = 4"))
    with pytest.raises(
        LogError,
        match="has 4 entries; a checkpoint of a larger tree means this log has been rolled back",
    ):
        honest.log.consistency(5)


def test_the_cli_names_the_edited_row_and_rebuilds(tmp_path: Any) -> None:
    from distillgov.storage.db import connect, migrate

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = connect(url)
    migrate(engine)
    _populated(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE reg_edges SET signal = 'synthetic_data'"))
    engine.dispose()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distillgov", "registry", *args, "--database", url],
            capture_output=True,
            text=True,
        )

    bad = cli("verify")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert (
        "reg_edges row disclosure 'd-tiny-1', teacher 'big-1' (entry 5): signal is 'synthetic_data' in the table, 'logits' in the log"
        in bad.stderr
    )
    fixed = cli("rebuild")
    assert fixed.returncode == 0 and "reg_edges: 1 row(s) put right" in fixed.stdout
    assert cli("verify").stdout.startswith(
        "ok: 11 entries, every checkpoint verified, every projected row matches"
    )
    proof = cli("prove", "--consistency", "0")
    assert proof.returncode == 0 and '"new_size": 11' in proof.stdout
    assert "give a record ID, or --consistency" in cli("prove").stderr
