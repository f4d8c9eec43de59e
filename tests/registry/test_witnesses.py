"""Witnesses both ways (C2SP tlog-witness, tlog-cosignature), the outsider's monitor over the
tile API, and the offline verifier with a pinned key (#14 items 4 and 5). Everything over real
HTTP: the log served by the app, witnesses served by uvicorn, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from distillgov.api.app import create_app
from distillgov.registry import witnessing
from distillgov.registry.checkpoint import InvalidCheckpoint
from distillgov.registry.cosign import Witness, cosign, cosigned_at, quorum, witness_key
from distillgov.registry.log import create_key
from distillgov.registry.monitor import follow
from distillgov.registry.records import Disclosure, Model, Organisation, TeacherLink
from distillgov.registry.registry import Registry
from distillgov.registry.witness import WitnessApp, WitnessService, WitnessState
from distillgov.storage.db import connect, migrate
from tests.api.conftest import running

ORIGIN = "witnessed.example/tlog"


def test_cosignatures_follow_the_spec() -> None:
    # The key, message and line layout of tlog-cosignature's Ed25519 type, on the spec's example
    # checkpoint body and time, with a key made from the bytes 0..31.
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    line = cosign(body, "witness.example/w1", key, 1679315147)
    vkey = witness_key("witness.example/w1", key.public_key())
    assert vkey == "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64 and raw[:4].hex() == "e75f6532"
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    note = f"{body}\n— example.com/behind-the-sofa AAAAAA==\n{line}"
    assert cosigned_at(note, Witness.parse(vkey)) == 1679315147
    # The spec's own example line carries the same time in the same place.
    spec = base64.b64decode(
        "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    assert len(spec) == 76 and int.from_bytes(spec[4:12], "big") == 1679315147
    broken = note.replace(line.split(" ")[2].strip(), base64.b64encode(raw[:-1] + b"\0").decode())
    with pytest.raises(InvalidCheckpoint, match="does not verify"):
        cosigned_at(broken, Witness.parse(vkey))


@contextmanager
def witness(folder: Path, name: str, log_vkey: str) -> Iterator[tuple[str, str, WitnessState]]:
    key = create_key(folder / f"{name.replace('/', '_')}.pem")
    state = WitnessState(folder / f"{name.replace('/', '_')}.sqlite")
    service = WitnessService(name, key, [log_vkey], state)
    with running(WitnessApp(service)) as url:  # type: ignore[arg-type]
        yield url, witness_key(name, key.public_key()), state


def _grow(reg: Registry, key: Ed25519PrivateKey, names: list[str]) -> None:
    for name in names:
        reg.add(Organisation(id=name, name=name))
    reg.log.checkpoint(key)


def test_two_witnesses_cosign_and_one_refuses_a_fork(engine: Engine, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    reg = Registry(engine)
    vkey = reg.log.initialise(ORIGIN, key)
    _grow(reg, key, ["a", "b", "c", "d", "e"])
    with ExitStack() as stack:
        w1_url, w1_key, w1_state = stack.enter_context(witness(tmp_path, "w.example/w1", vkey))
        w2_url, w2_key, _ = stack.enter_context(witness(tmp_path, "w.example/w2", vkey))
        witnessing.add_witness(reg.log, w1_key, w1_url)
        witnessing.add_witness(reg.log, w2_key, w2_url)
        assert all(s.cosigned for s in witnessing.submit(reg.log))  # from size 0
        _grow(reg, key, ["f", "g"])
        done = witnessing.submit(reg.log)  # from size 5, with a consistency proof
        assert [(s.witness, s.cosigned) for s in done] == [
            ("w.example/w1", True),
            ("w.example/w2", True),
        ]
        size, published = reg.log.published() or (0, "")
        assert size == 7 and published.count("\n— ") == 3  # the log's signature, two cosignatures
        both = [Witness.parse(w1_key), Witness.parse(w2_key)]
        assert quorum(published, both, 2) == ["w.example/w1", "w.example/w2"]
        assert witnessing.witnesses(reg.log)[0]["size"] == 7

        # A second history under the same key: it shares a, b, c and then differs.
        other = connect(f"sqlite:///{tmp_path / 'fork.sqlite'}")
        migrate(other)
        forked = Registry(other)
        forked.log.initialise(ORIGIN, key)
        _grow(forked, key, ["a", "b", "c", "x", "y", "z", "q", "r"])
        body = "old 7\n" + "".join(
            base64.b64encode(p).decode() + "\n" for p in forked.log.consistency_proof(7, 8)
        )
        note = forked.log.checkpoints()[-1]["checkpoint"]
        refused = httpx.post(f"{w1_url}/add-checkpoint", content=f"{body}\n{note}")
        assert refused.status_code == 422 and "(a fork)" in refused.text
        assert w1_state.evidence()[0][0] == ORIGIN  # kept as evidence of the log's misbehaviour
        assert w1_state.latest(ORIGIN)[0] == 7  # type: ignore[index]  # not rolled over
        # The protocol's other answers.
        stale = httpx.post(f"{w1_url}/add-checkpoint", content=f"old 5\n\n{note}")
        assert stale.status_code == 409 and stale.text == "7\n"
        assert stale.headers["content-type"] == "text/x.tlog.size"
        assert httpx.post(f"{w1_url}/add-checkpoint", content=f"old 9\n\n{note}").status_code == 400
        unknown = note.replace(ORIGIN, "other.example/log", 1)
        assert (
            httpx.post(f"{w1_url}/add-checkpoint", content=f"old 0\n\n{unknown}").status_code == 404
        )
        tampered = note.replace("\n8\n", "\n9\n", 1)
        assert (
            httpx.post(f"{w1_url}/add-checkpoint", content=f"old 7\n\n{tampered}").status_code
            == 403
        )
        origin_hash = hashlib.sha256(ORIGIN.encode()).hexdigest()
        seen = httpx.get(f"{w1_url}/{origin_hash}/checkpoint").text
        assert cosigned_at(seen, Witness.parse(w1_key)) is not None and "\n7\n" in seen
        other.dispose()


def _populated(engine: Engine, key: Ed25519PrivateKey) -> tuple[Registry, str]:
    reg = Registry(engine)
    vkey = reg.log.initialise(ORIGIN, key)
    reg.add_many(
        [
            Organisation(id="lab", name="Lab"),
            Organisation(id="big", name="Big"),
            Model(id="big-1", name="Big", owner="big"),
            *[Model(id=f"tiny-{n}", name=f"Tiny {n}", owner="lab") for n in range(300)],
        ]
    )
    reg.add(
        Disclosure(
            id="d-tiny-0",
            student="tiny-0",
            teachers=[TeacherLink(model="big-1", signal="logits")],
            method_summary="Logit distillation.",
            data_sources_summary="Teacher outputs.",
            filed_on="2025-01-10",  # type: ignore[arg-type]
        )
    )
    reg.log.checkpoint(key)
    return reg, vkey


def test_the_monitor_follows_the_tile_api_and_catches_an_edit_and_a_rollback(
    engine: Engine, tmp_path: Path
) -> None:
    key = Ed25519PrivateKey.generate()
    reg, vkey = _populated(engine, key)
    app = create_app(engine.url.render_as_string(hide_password=False), rate=0)
    state = tmp_path / "monitor.json"
    with running(app) as base:
        first = follow(f"{base}/tlog", vkey, state, {"big-1"})
        assert first.verdict == "ok" and first.new_entries == 304
        assert [(f.record, f.detail) for f in first.found] == [
            ("d-tiny-0", "tiny-0 learnt from big-1 (logits)")
        ]
        reg.add(
            Disclosure(
                id="d-tiny-1",
                student="tiny-1",
                teachers=[TeacherLink(model="big-1", signal="synthetic_data")],
                method_summary="Synthetic data.",
                data_sources_summary="Teacher outputs.",
                filed_on="2025-02-10",  # type: ignore[arg-type]
            )
        )
        reg.log.checkpoint(key)
        time.sleep(1.1)  # the tile server reads the checkpoint again after a second
        second = follow(f"{base}/tlog", vkey, state, {"big-1"})
        assert second.verdict == "ok" and second.new_entries == 1
        assert [f.record for f in second.found] == ["d-tiny-1"]
        # An insider edits an old entry (and re-signs nothing): the entries no longer give the root.
        with engine.begin() as c:
            c.execute(text("UPDATE log_entries SET body = REPLACE(body, 'Tiny 270', 'Tiny X')"))
        fresh = tmp_path / "fresh.json"
        assert follow(f"{base}/tlog", vkey, fresh, set()).verdict == "inconsistent"
        with engine.begin() as c:  # put back, then roll back the last entry with its checkpoint
            c.execute(text("UPDATE log_entries SET body = REPLACE(body, 'Tiny X', 'Tiny 270')"))
            c.execute(text("DELETE FROM log_checkpoints WHERE size = 305"))
        time.sleep(1.1)
        rolled = follow(f"{base}/tlog", vkey, state, set())
        assert rolled.verdict == "rolled back" and "showed 305" in rolled.detail
    app.state.engine.dispose()


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distillgov", *map(str, args)], capture_output=True, text=True
    )


def test_the_offline_verifier_trusts_only_the_pinned_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.sqlite'}"
    engine = connect(url)
    migrate(engine)
    key = Ed25519PrivateKey.generate()
    reg, vkey = _populated(engine, key)
    (tmp_path / "log.vkey").write_text(vkey)
    bundle: dict[str, Any] = reg.prove("d-tiny-0")
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    ok = _cli("verify-proof", tmp_path / "b.json", "--log-key", tmp_path / "log.vkey")
    assert (
        ok.returncode == 0
        and "entry 303 (disclosure 'd-tiny-0') is in the tree of 304" in ok.stdout
    )
    # A server that signs with its own key and puts that key in the bundle fools nobody who pinned.
    impostor = Ed25519PrivateKey.generate()
    from distillgov.registry.checkpoint import sign, verifier_key

    body = bundle["checkpoint"].split("\n\n")[0] + "\n"
    forged = {
        **bundle,
        "checkpoint": sign(body, ORIGIN, impostor),
        "verifier_key": verifier_key(ORIGIN, impostor.public_key()),
    }
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    bad = _cli("verify-proof", tmp_path / "forged.json", "--log-key", tmp_path / "log.vkey")
    assert bad.returncode == 1 and "no signature by witnessed.example/tlog" in bad.stderr
    assert "another key than the one you pinned" in bad.stderr
    wrong_entry = {**bundle, "entry": bundle["entry"].replace("tiny-0", "tiny-9")}
    (tmp_path / "wrong.json").write_text(json.dumps(wrong_entry))
    assert (
        _cli("verify-proof", tmp_path / "wrong.json", "--log-key", tmp_path / "log.vkey").returncode
        == 1
    )
    consistency = reg.log.consistency(304)
    (tmp_path / "c.json").write_text(json.dumps(consistency))
    assert (
        _cli("verify-proof", tmp_path / "c.json", "--log-key", tmp_path / "log.vkey").returncode
        == 0
    )
    (tmp_path / "w.vkey").write_text(
        witness_key("w.example/w9", Ed25519PrivateKey.generate().public_key())
    )
    pinned = ["--log-key", tmp_path / "log.vkey", "--witness-key", tmp_path / "w.vkey"]
    unquorate = _cli("verify-proof", tmp_path / "b.json", *pinned, "--quorum", "1")
    assert unquorate.returncode == 1 and "0 of the 1 witnesses trusted cosigned" in unquorate.stderr
    engine.dispose()
