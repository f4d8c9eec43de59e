"""The log's core: RFC 9162 hashing and proofs, and C2SP signed checkpoints."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.registry.checkpoint import (
    Checkpoint,
    InvalidCheckpoint,
    key_id,
    parse_verifier_key,
    sign,
    verifier_key,
    verify,
)
from distillgov.registry.log import LogError, TransparencyLog
from distillgov.registry.merkle import (
    EMPTY_ROOT,
    InvalidProof,
    MerkleTree,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from distillgov.storage.db import connect, migrate

# The Certificate Transparency reference inputs and the root of each prefix (RFC 6962 test data,
# reproduced by every conforming implementation).
CT_ENTRIES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PROOF_0_OF_8 = [
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]


def ct_tree() -> MerkleTree:
    tree = MerkleTree()
    for entry in CT_ENTRIES:
        tree.append(bytes.fromhex(entry))
    return tree


def test_roots_match_the_rfc_reference_vectors() -> None:
    tree = ct_tree()
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    for size in range(len(CT_ENTRIES) + 1):
        assert tree.root(size).hex() == CT_ROOTS[size]


def test_inclusion_proof_matches_the_reference() -> None:
    tree = ct_tree()
    proof = tree.inclusion_proof(0, 8)
    assert [p.hex() for p in proof] == CT_PROOF_0_OF_8
    verify_inclusion(tree.leaf(0), 0, 8, proof, tree.root(8))


def many(n: int) -> MerkleTree:
    return MerkleTree([leaf_hash(i.to_bytes(4, "big")) for i in range(n)])


def test_every_inclusion_proof_verifies_and_tampering_fails() -> None:
    tree = many(40)
    for size in range(1, 41):
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            verify_inclusion(tree.leaf(index), index, size, proof, root)
            with pytest.raises(InvalidProof):
                verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)
            if proof:
                bent = [*proof[:-1], leaf_hash(b"x")]
                with pytest.raises(InvalidProof):
                    verify_inclusion(tree.leaf(index), index, size, bent, root)
            if size > 1:
                with pytest.raises(InvalidProof):
                    verify_inclusion(tree.leaf(index), (index + 1) % size, size, proof, root)


def test_every_consistency_proof_verifies_and_a_rewritten_history_fails() -> None:
    tree = many(33)
    forged = MerkleTree(
        [
            *(tree.leaf(i) for i in range(5)),
            leaf_hash(b"rewritten"),
            *(tree.leaf(i) for i in range(6, 33)),
        ]
    )
    for new in range(1, 34):
        for old in range(1, new + 1):
            proof = tree.consistency_proof(old, new)
            verify_consistency(old, new, proof, tree.root(old), tree.root(new))
            if old > 5:  # the forged tree differs from the sixth leaf on
                with pytest.raises(InvalidProof):
                    verify_consistency(old, new, proof, forged.root(old), tree.root(new))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=20), min_size=1, max_size=70), st.data())
def test_appending_equals_building_from_scratch(entries: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree()
    for e in entries:
        tree.append(e)
    size = data.draw(st.integers(1, len(entries)))
    index = data.draw(st.integers(0, size - 1))
    assert tree.root(size) == MerkleTree([leaf_hash(e) for e in entries[:size]]).root()
    verify_inclusion(
        leaf_hash(entries[index]), index, size, tree.inclusion_proof(index, size), tree.root(size)
    )


def test_proof_requests_outside_the_tree_are_refused() -> None:
    tree = many(4)
    with pytest.raises(ValueError, match="not in a tree of 4 leaves"):
        tree.inclusion_proof(4)
    with pytest.raises(ValueError, match="no consistency proof from size 5"):
        tree.consistency_proof(5, 4)


NAME = "distillgov.example/registry"


def test_signed_checkpoint_round_trip_in_the_c2sp_format() -> None:
    key = Ed25519PrivateKey.generate()
    tree = ct_tree()
    checkpoint = Checkpoint(NAME, 8, tree.root())
    note = sign(checkpoint.body(), NAME, key)
    body, _, signature = note.partition("\n\n")
    assert body.split("\n") == [NAME, "8", base64.b64encode(tree.root()).decode()]
    assert signature.startswith(f"\u2014 {NAME} ") and signature.endswith("\n")
    raw = base64.b64decode(signature.split(" ")[2])
    assert raw[:4] == key_id(NAME, key.public_key()) and len(raw) == 4 + 64
    # An outsider holding only the verifier key checks it.
    name, public = parse_verifier_key(verifier_key(NAME, key.public_key()))
    assert Checkpoint.parse(verify(note, name, public)) == checkpoint


def test_tampered_or_foreign_checkpoints_fail() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = sign(Checkpoint(NAME, 8, ct_tree().root()).body(), NAME, key)
    with pytest.raises(InvalidCheckpoint, match="does not verify"):
        verify(note.replace("\n8\n", "\n9\n"), NAME, key.public_key())
    with pytest.raises(InvalidCheckpoint, match="no signature by"):
        verify(note, NAME, other.public_key())
    with pytest.raises(InvalidCheckpoint, match="ID does not match"):
        parse_verifier_key(
            verifier_key(NAME, key.public_key()).replace(NAME, "other.example/log", 1)
        )
    with pytest.raises(InvalidCheckpoint, match="malformed"):
        Checkpoint.parse(f"{NAME}\n-1\n{base64.b64encode(bytes(32)).decode()}\n")


def test_the_frontier_alone_appends_and_gives_the_tree_root() -> None:
    from distillgov.registry.merkle import Frontier, frontier

    tree = many(70)
    stored = dict(tree.stored())
    for size in range(70):
        edge = Frontier(size, {n: stored[n] for n in frontier(size)})
        assert edge.root() == tree.root(size)
        new = edge.append(tree.leaf(size))
        assert edge.root() == tree.root(size + 1)
        assert all(stored[n] == h for n, h in new) and new[0] == ((0, size), tree.leaf(size))
    assert MerkleTree.from_leaves([tree.leaf(i) for i in range(70)]).root() == tree.root()


@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("", "must not be empty"),
        ("registry example/log", "must not contain spaces"),
        ("registry.example/log+1", "must not contain '+'"),
        ("https://registry.example/log", "without its scheme"),
        ("registry.example/\x07log", "control characters"),
        ("r" * 300, "at most 255 bytes"),
    ],
)
def test_an_origin_the_note_rules_forbid_is_refused_at_init(
    tmp_path: Path, origin: str, reason: str
) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'o.sqlite'}")
    migrate(engine)
    log = TransparencyLog(engine)
    with pytest.raises(LogError, match=re.escape(reason)):
        log.initialise(origin, Ed25519PrivateKey.generate())
    assert log.origin is None  # nothing recorded
    log.initialise("registry.example/log", Ed25519PrivateKey.generate())
    assert log.origin == "registry.example/log"
