"""An operator's settings that make no sense are refused in one line naming the variable and the
value, before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("variable", "value", "args", "expected"),
    [
        (
            "DISTILLGOV_DB_POOL_SIZE",
            "none",
            ["registry", "screen"],
            "a whole number of connections",
        ),
        ("DISTILLGOV_DB_POOL_SIZE", "0", ["registry", "screen"], "a whole number of connections"),
        ("DISTILLGOV_LOG_KEY", "missing.pem", ["serve", "--port", "1"], "No such file"),
        (
            "DISTILLGOV_CHECKPOINT_EVERY",
            "soon",
            ["serve", "--port", "1", "--log-key", "k.pem"],
            "not a number of seconds",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, variable: str, value: str, args: list[str], expected: str
) -> None:
    subprocess.run(  # a real key, for the case that needs one
        [sys.executable, "-m", "distillgov", "registry", "init", "--origin", "cfg.example/log",
         "--key-file", "k.pem", "--database", f"sqlite:///{tmp_path / 'cfg.sqlite'}"],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    env = {**os.environ, "DISTILLGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'cfg.sqlite'}"}
    done = subprocess.run(
        [sys.executable, "-m", "distillgov", *args],
        cwd=tmp_path,
        env={**env, variable: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert f"{variable}, value '{value}'" in done.stderr and expected in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""  # refused before it says where it would listen
