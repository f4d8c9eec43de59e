"""The worked examples of docs/privacy.md and docs/consent.md, run as written: every command
block in order on a fresh database, each output the page shows found in what the commands
print."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


@pytest.mark.parametrize("page", ["privacy.md", "consent.md"])
def test_the_worked_example_runs_as_documented(tmp_path: Path, page: str) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    example = text.split("## A worked example", 1)[1].split("\n## ", 1)[0]
    # Commands (sh) and what they print (a bare fence); a file's listing (text) is neither.
    blocks = [(kind, body) for kind, body in BLOCK.findall(example) if kind in ("sh", "")]
    assert blocks and blocks[0][0] == "sh"
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("DISTILLGOV_DATABASE_URL", None)
    exports = [line for line in blocks[0][1].splitlines() if line.startswith("export ")]
    printed = ""
    ran = 0
    for kind, body in blocks:
        if kind == "sh":
            script = "set -euo pipefail\n" + "\n".join(exports) + "\n" + body
            done = subprocess.run(
                ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{body}\n{done.stderr}"
            printed, ran = done.stdout, ran + 1
            continue
        lines = {line.strip() for line in printed.splitlines()}
        for line in body.strip("\n").splitlines():
            assert line.strip() in lines, f"not printed: {line!r}\n{printed}"
    assert ran >= 5
