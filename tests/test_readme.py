"""The README's tour, run as a new user would: every command of its shell blocks, in order, in a
fresh folder holding a copy of `examples/`. A command that fails, or that says it succeeded
while doing nothing (no row ingested, nothing settled, nothing paid), fails the test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT

TOUR = re.compile(r"^## A five-minute tour$(.*?)^## ", re.S | re.M)
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
# Words a command prints when it did nothing: each is a failure of the tour.
EMPTY = re.compile(r"\b0 row\(s\)|royalties to date: none|0 licence-month|nothing changed")


def tour_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = TOUR.search(text)
    assert match, "the README has no tour"
    commands = []
    for block in BLOCK.findall(match.group(1)):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()  # a comment after the command
            if line:
                commands.append(line)
    return commands


def test_the_tour_has_the_commands_it_promises() -> None:
    names = [c.split()[1] for c in tour_commands()]
    for step in ("assess", "assess-batch", "registry", "lineage", "license", "usage", "settle"):
        assert step in names, step


def test_every_tour_command_runs_from_a_clean_folder(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    (tmp_path / "out").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTILLGOV_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for command in tour_commands():
        r = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, (command, r.stderr[-800:])
        assert "Traceback" not in r.stderr, command
        said = r.stdout + r.stderr
        assert not EMPTY.search(said), (command, said[-400:])
    assert (tmp_path / "lineage.svg").stat().st_size > 0
    assert (tmp_path / "out" / "results.parquet").stat().st_size > 0
