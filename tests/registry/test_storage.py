"""The stored log on SQLite and PostgreSQL: proofs an outsider can check, and tampering caught
and located when rows are edited, deleted or reordered directly in the database."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from distillgov.registry.checkpoint import Checkpoint, parse_verifier_key, verify
from distillgov.registry.log import LogError, TransparencyLog
from distillgov.registry.merkle import InvalidProof, leaf_hash, verify_inclusion

ORIGIN = "distillgov.example/test-log"


def filled(engine: Engine, n: int = 8) -> tuple[TransparencyLog, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    log = TransparencyLog(engine)
    log.initialise(ORIGIN, key)
    log.append([("disclosure", {"student": f"model-{i}", "teachers": ["gpt-4"]}) for i in range(n)])
    log.checkpoint(key)
    return log, key


def sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as c:
        c.execute(text(statement), params)


def forge(engine: Engine, index: int) -> None:
    """Edit an entry's body and fix up its stored hash, as a careful forger would."""
    with engine.connect() as c:
        body = c.execute(
            text("SELECT body FROM log_entries WHERE idx = :i"), {"i": index}
        ).scalar_one()
    forged = body.replace(f"model-{index}", "model-X")
    sql(
        engine,
        "UPDATE log_entries SET body = :b, leaf_hash = :h WHERE idx = :i",
        b=forged,
        h=leaf_hash(forged.encode()),
        i=index,
    )


def test_an_outsider_verifies_a_proof_bundle_with_the_public_key_alone(engine: Engine) -> None:
    log, _ = filled(engine)
    bundle = json.loads(json.dumps(log.prove(5)))  # as it would travel
    name, public = parse_verifier_key(bundle["verifier_key"])
    head = Checkpoint.parse(verify(bundle["checkpoint"], name, public))
    assert (head.origin, head.size) == (ORIGIN, 8)
    proof = [bytes.fromhex(h) for h in bundle["proof"]]
    verify_inclusion(
        leaf_hash(bundle["entry"].encode()), bundle["index"], head.size, proof, head.root
    )
    assert json.loads(bundle["entry"])["data"]["student"] == "model-5"
    assert log.verify() is None


def test_appends_continue_the_same_tree_and_checkpoints_grow(engine: Engine) -> None:
    log, key = filled(engine, 5)
    assert log.append([("statement", {"text": "acknowledged"})]) == [5]
    note = log.checkpoint(key)
    assert note.split("\n")[1] == "6"
    assert log.checkpoint(key) == note  # nothing new: the same checkpoint
    assert log.size() == 6 and log.verify() is None


def test_a_failed_batch_leaves_nothing_behind(engine: Engine) -> None:
    log, _ = filled(engine, 3)
    with pytest.raises(TypeError):
        log.append([("disclosure", {"ok": 1}), ("disclosure", {"bad": object()})])
    assert log.size() == 3 and log.verify() is None


def test_an_edited_body_is_named(engine: Engine) -> None:
    log, _ = filled(engine)
    sql(engine, "UPDATE log_entries SET body = REPLACE(body, 'model-3', 'model-X') WHERE idx = 3")
    finding = log.verify()
    assert finding is not None and finding.entry == 3 and "edited" in finding.reason


def test_an_unsigned_entry_edited_is_never_signed(engine: Engine) -> None:
    log, key = filled(engine)
    log.append([("statement", {"text": "acknowledged"})])
    sql(
        engine,
        "UPDATE log_entries SET body = REPLACE(body, 'acknowledged', 'denied') WHERE idx = 8",
    )
    with pytest.raises(LogError, match="refusing to sign"):
        log.checkpoint(key)


def test_a_stored_hash_that_no_longer_leads_to_the_signed_root_stops_signing(
    engine: Engine,
) -> None:
    log, key = filled(engine)  # 8 entries: the signed tree's frontier is the one subtree (3, 0)
    log.append([("statement", {"text": "acknowledged"})])
    sql(engine, "UPDATE log_hashes SET hash = :h WHERE id = :i", h=b"\x00" * 32, i=3 << 48)
    with pytest.raises(LogError, match="no longer matches the checkpoint at size 8"):
        log.checkpoint(key)
    finding = log.verify()
    assert finding is not None and "stored hash of entries 0-7" in finding.reason


def test_proofs_are_served_from_the_stored_hashes_and_checked_by_verify(engine: Engine) -> None:
    log, _ = filled(engine)
    sql(engine, "UPDATE log_hashes SET hash = :h WHERE id = :i", h=b"\x00" * 32, i=(1 << 48) | 3)
    bundle = log.prove(0)  # the path of entry 0 does not pass through entries 6-7
    name, public = parse_verifier_key(bundle["verifier_key"])
    head = Checkpoint.parse(verify(bundle["checkpoint"], name, public))
    proof = [bytes.fromhex(h) for h in bundle["proof"]]
    verify_inclusion(leaf_hash(bundle["entry"].encode()), 0, head.size, proof, head.root)
    bad = log.prove(5)
    with pytest.raises(InvalidProof):
        verify_inclusion(
            leaf_hash(bad["entry"].encode()),
            5,
            head.size,
            [bytes.fromhex(h) for h in bad["proof"]],
            head.root,
        )
    finding = log.verify()
    assert finding is not None and finding.entry == 6 and "entries 6-7" in finding.reason


def test_an_edit_with_its_hash_fixed_up_is_still_named(engine: Engine) -> None:
    log, _ = filled(engine)
    forge(engine, 3)
    finding = log.verify()
    assert finding is not None and finding.entry == 3


def test_the_last_entry_edited_is_caught_by_the_checkpoint(engine: Engine) -> None:
    log, _ = filled(engine)
    forge(engine, 7)
    finding = log.verify()
    assert finding is not None and finding.entry == 7 and "checkpoint at size 8" in finding.reason


def test_a_deleted_row_is_named(engine: Engine) -> None:
    log, _ = filled(engine)
    sql(engine, "DELETE FROM log_entries WHERE idx = 4")
    finding = log.verify()
    assert finding is not None and finding.entry == 4 and "missing" in finding.reason


def test_a_deleted_last_row_is_named(engine: Engine) -> None:
    log, _ = filled(engine)
    sql(engine, "DELETE FROM log_entries WHERE idx = 7")
    finding = log.verify()
    assert finding is not None and finding.entry == 7 and "missing" in finding.reason


def test_reordered_rows_are_named(engine: Engine) -> None:
    log, _ = filled(engine)
    with engine.connect() as c:
        rows = {
            i: c.execute(
                text("SELECT body, leaf_hash FROM log_entries WHERE idx = :i"), {"i": i}
            ).one()
            for i in (2, 5)
        }
    for target, source in ((2, 5), (5, 2)):
        sql(
            engine,
            "UPDATE log_entries SET body = :b, leaf_hash = :h WHERE idx = :i",
            b=rows[source][0],
            h=bytes(rows[source][1]),
            i=target,
        )
    finding = log.verify()
    assert finding is not None and finding.entry == 2 and "moved" in finding.reason


def test_only_the_logs_key_signs_and_a_log_is_initialised_once(engine: Engine) -> None:
    log, key = filled(engine, 2)
    with pytest.raises(LogError, match="not this log's key"):
        log.checkpoint(Ed25519PrivateKey.generate())
    with pytest.raises(LogError, match="already initialised"):
        log.initialise(ORIGIN, key)
    with pytest.raises(LogError, match="no signed checkpoint covers entry 2"):
        log.append([("statement", {})]) and log.prove(2)


def test_entries_written_in_encoding_1_still_verify_and_forgeries_are_named(
    engine: Engine,
) -> None:
    """Logs written before encoding 2 recorded the tree root before each entry; they must go on
    verifying, and a forged entry among them must still be named."""
    from distillgov.registry import storedhashes
    from distillgov.registry.merkle import MerkleTree, extend

    key = Ed25519PrivateKey.generate()
    log = TransparencyLog(engine)
    log.initialise(ORIGIN, key)
    tree, rows = MerkleTree(), []
    for i in range(6):
        body = json.dumps(
            {
                "data": {"student": f"model-{i}"},
                "index": i,
                "kind": "disclosure",
                "prev_root": tree.root().hex(),
                "v": 1,
            },
            separators=(",", ":"),
        )
        tree.append(body.encode())
        rows.append({"i": i, "b": body, "h": leaf_hash(body.encode())})
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO log_entries (idx, kind, body, leaf_hash) "
                "VALUES (:i, 'disclosure', :b, :h)"
            ),
            rows,
        )
        storedhashes.store(c, extend(0, {}, [r["h"] for r in rows]))
    log.append([("statement", {"text": "written as encoding 2"})])
    log.checkpoint(key)
    assert log.verify() is None
    assert json.loads(log.prove(6)["entry"])["prev_leaf"] == rows[-1]["h"].hex()
    forge(engine, 2)
    finding = log.verify()
    assert finding is not None and finding.entry == 2 and "edited" in finding.reason


def test_a_server_proving_from_memory_never_refuses_an_entry_a_new_checkpoint_covers(
    engine: Engine,
) -> None:
    log, key = filled(engine, 4)
    log.checkpoint_fresh_for = 60.0  # as the service runs it
    first = log.prove(2)
    assert first["size"] == 4
    log.append([("statement", {"text": "later"})])
    log.checkpoint(key)
    newest = log.prove(4)  # not under the remembered checkpoint: looked up afresh
    assert newest["size"] == 5
    assert log.prove(2)["size"] == 5  # and the remembered checkpoint moved on with it
    for bundle in (first, newest):  # each bundle verifies against its own checkpoint
        name, public = parse_verifier_key(bundle["verifier_key"])
        head = Checkpoint.parse(verify(bundle["checkpoint"], name, public))
        proof = [bytes.fromhex(h) for h in bundle["proof"]]
        verify_inclusion(
            leaf_hash(bundle["entry"].encode()), bundle["index"], head.size, proof, head.root
        )
    log.append([("statement", {"text": "later still"})])
    log.checkpoint(key)
    assert log.prove(2)["size"] == 5  # within the minute: the remembered checkpoint
    log.checkpoint_fresh_for = 0.0  # the default: the database is asked every time
    assert log.prove(2)["size"] == 6
