"""Keys (#14 item 7): the key is rotated by a logged event announced under the old key, after
which every checkpoint is the new key's and verification follows the schedule; a checkpoint that
cannot be verified is a clear finding, never a traceback. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from distillgov.registry.checkpoint import Checkpoint, parse_verifier_key, verify
from distillgov.registry.log import LogError, create_key
from distillgov.registry.records import Organisation
from distillgov.registry.registry import Registry


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distillgov", *map(str, args)], capture_output=True, text=True
    )


def test_a_rotated_key_is_announced_under_the_old_one(engine: Engine, tmp_path: Path) -> None:
    reg = Registry(engine)
    old = create_key(tmp_path / "old.pem")
    old_vkey = reg.log.initialise("keys.example/tlog", old)
    reg.add(Organisation(id="a", name="A"))
    reg.log.checkpoint(old)
    new = create_key(tmp_path / "new.pem")
    index, new_vkey = reg.log.rotate_key(old, new)
    assert index == 1 and new_vkey != old_vkey
    with pytest.raises(LogError, match="not this log's key"):
        reg.log.checkpoint(old)
    reg.add(Organisation(id="b", name="B"))
    reg.log.checkpoint(new)
    sizes = {c["size"]: c["checkpoint"] for c in reg.log.checkpoints()}
    assert sorted(sizes) == [1, 2, 3]
    for size, key in ((1, old_vkey), (2, old_vkey), (3, new_vkey)):  # 2 is the announcement
        assert Checkpoint.parse(verify(sizes[size], *parse_verifier_key(key))).size == size
    assert reg.log.verify() is None and reg.verify_projections() == []
    announcement = reg.log.prove(index, at_size=index + 1, record="key-rotation-1")
    assert json.loads(announcement["entry"])["data"]["new_verifier_key"] == new_vkey
    assert (
        Checkpoint.parse(verify(announcement["checkpoint"], *parse_verifier_key(old_vkey))).size
        == 2
    )
    # A checkpoint after the rotation signed by the old key (an impostor holding it) fails.
    from distillgov.registry.checkpoint import sign

    body = sizes[3].split("\n\n")[0] + "\n"
    with engine.begin() as c:
        c.execute(text("UPDATE log_checkpoints SET note = :n WHERE size = 3"),
                  {"n": sign(body, "keys.example/tlog", old)})  # fmt: skip
    finding = Registry(engine).log.verify()
    assert finding is not None and "checkpoint at size 3" in str(finding)


def test_rotation_from_the_command_line_and_an_unverifiable_checkpoint(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    db = ["--database", url]
    init = ["registry", "init", "--origin", "cli.example/tlog", "--key-file", tmp_path / "old.pem"]
    made = _cli(*init, *db)
    assert made.returncode == 0
    (tmp_path / "old.vkey").write_text(made.stdout.strip())  # pinned by an outsider back then
    _cli("registry", "add-org", "lab", "--name", "Lab", *db)
    assert _cli("registry", "checkpoint", "--key-file", tmp_path / "old.pem", *db).returncode == 0
    old_vkey = _cli(
        "registry", "init", "--origin", "cli.example/tlog", "--key-file", tmp_path / "old.pem", *db
    )
    assert "already initialised" in old_vkey.stderr
    rotated = _cli("registry", "rotate-key", "--key-file", tmp_path / "old.pem", "--new-key",
                   tmp_path / "new.pem", "--announcement", tmp_path / "a.json", *db)  # fmt: skip
    assert rotated.returncode == 0 and rotated.stdout.startswith("cli.example/tlog+")
    assert "verified" in _cli("registry", "verify", *db).stdout
    announced = _cli("verify-proof", tmp_path / "a.json", "--log-key", tmp_path / "old.vkey")
    assert announced.returncode == 0 and "(key_rotation 'key-rotation-1')" in announced.stdout
    refused = _cli("registry", "checkpoint", "--key-file", tmp_path / "old.pem", *db)
    assert refused.returncode != 0 and "not this log's key" in refused.stderr
    # The stored note of a checkpoint garbled: one line naming it, no traceback.
    from distillgov.storage.db import connect

    engine = connect(url)
    with engine.begin() as c:
        c.execute(text("UPDATE log_checkpoints SET note = 'garbage' WHERE size = 1"))
    engine.dispose()
    bad = _cli("registry", "verify", *db)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "checkpoint at size 1" in bad.stderr
