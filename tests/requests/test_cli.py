"""The requests commands a worked example does not reach, as a user runs them: an
organisation's queue, an access export, propagation to a model registered later, purging, and
clear errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from distillgov.registry.records import Disclosure, Model, Signal, TeacherLink
from distillgov.registry.registry import Registry
from distillgov.storage.db import open_database
from tests.requests.conftest import DATASET, build_lineage


def _run(folder: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISTILLGOV_DATABASE_URL": f"sqlite:///{folder / 'r.sqlite'}"}
    done = subprocess.run(
        [sys.executable, "-m", "distillgov", "requests", *args], cwd=folder, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert (done.returncode == 0) is ok, done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_queue_export_propagate_and_purge(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    build_lineage(engine, depth=2)
    _run(tmp_path, "file", "--id", "req-1", "--kind", "access", "--org", "acme",
         "--email", "ada@example.org", "--reference", "ada", "--received-on", "2026-11-02")  # fmt: skip
    _run(tmp_path, "file", "--id", "req-2", "--kind", "deletion", "--org", "acme",
         "--email", "bob@example.org", "--dataset", DATASET, "--received-on", "2026-11-03")  # fmt: skip
    queue = json.loads(_run(tmp_path, "list", "--org", "acme", "--json").stdout)
    assert [r["id"] for r in queue] == ["req-2", "req-1"]  # newest first
    refused = _run(tmp_path, "export", "req-1", ok=False)
    assert "identity is not_started" in refused.stderr
    _run(tmp_path, "verify", "req-1", "--on", "2026-11-04")
    doc = json.loads(_run(tmp_path, "export", "req-1").stdout)
    assert doc["searched_for"] == {"email": "ada@example.org", "reference": "ada"}
    _run(tmp_path, "verify", "req-2", "--on", "2026-11-04")
    _run(tmp_path, "fulfil", "req-2", "--on", "2026-11-05")
    before = json.loads(_run(tmp_path, "show", "req-2", "--json").stdout)["duties"]
    # A student of s2 registered after the deletion was fulfilled.
    reg = Registry(engine)
    reg.add(Model(id="late-student", name="Late", owner="lab1"))
    reg.add(Disclosure(id="d-late", student="late-student",
                       teachers=[TeacherLink(model="s2", signal=Signal.LOGITS)],
                       method_summary="m", data_sources_summary="x", filed_on="2026-11-20"))  # fmt: skip
    assert _run(tmp_path, "propagate", "req-2").stdout.strip() == "1 new downstream duty(ies)"
    after = json.loads(_run(tmp_path, "show", "req-2", "--json").stdout)["duties"]
    assert len(after) == len(before) + 1
    _run(tmp_path, "fulfil", "req-1", "--on", "2026-11-06")
    assert "1 request(s) purged" in _run(tmp_path, "purge", "--on", "2029-01-01").stdout
    assert "ok: the requests trail is intact" in _run(tmp_path, "check").stdout


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    open_database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    bad = _run(tmp_path, "file", "--kind", "erase", "--org", "acme", "--email", "a@b.org", ok=False)
    assert "field 'kind', value 'erase'" in bad.stderr
    day = _run(tmp_path, "show", "nope", "--on", "tomorrow", ok=False)
    assert "option --on, value 'tomorrow'" in day.stderr
    missing = _run(tmp_path, "show", "nope", ok=False)
    assert "no request 'nope'" in missing.stderr
    (tmp_path / "steps.csv").write_text("request,action\nnope,erase\n")
    steps = _run(tmp_path, "apply", "steps.csv", ok=False)
    assert "step 1: needs 'request' and an 'action' of" in steps.stderr
