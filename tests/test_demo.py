"""The README's first command ends by running this demo: it must keep working."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import CASE_FILES, ROOT


def test_the_demo_runs_to_the_end() -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--no-serve"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert "OUTCOME:" in r.stdout and "NEAREST COMPLIANT VARIANTS" in r.stdout
    assert "utilitarian" in r.stdout  # the lab's comparison
    assert f"assessed {len(CASE_FILES)} case(s)" in r.stderr  # every example, in one batch
    assert "or read out/example-results.csv." in r.stdout
    assert "ok: debits equal credits" in r.stdout  # the clearinghouse part ran to its end
    assert r.stdout.rstrip().endswith("with `make serve` (http://127.0.0.1:8000/).")
    assert (ROOT / "out" / "determination-us.html").stat().st_size > 5_000
