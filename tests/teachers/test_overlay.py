"""A user's catalogue laid over the shipped one (issue #18 item 3): a directory that adds a
teacher and amends another family, `teachers validate` with the same schema and messages, and
`teachers diff` between two days."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from distillgov.teachers.catalogue import CATALOGUE_ENV, InvalidCatalogue, catalogue, diff, find
from distillgov.teachers.catalogue import validate as validate_dir

NEW_FAMILY = """\
family: acme
name: Acme Models
owner: Acme AI
models:
  - {id: acme-1, name: Acme 1, weights_public: false, outputs_public: true}
terms:
  - id: acme-terms-2026-01-01
    name: Acme Terms (1 January 2026)
    effective: 2026-01-01
    applies_to: [acme-1]
    source: "https://acme.example/terms"
    confidence: primary
    clauses:
      - {type: no_competing_models, summary: No training of competing models on outputs.,
         source: "https://acme.example/terms#4", confidence: primary}
"""
# Amends the shipped Anthropic family: an earlier version of the terms, before June 2025.
AMENDMENT = """\
family: anthropic
terms:
  - id: anthropic-commercial-terms-2024-06-01
    name: Anthropic Commercial Terms (an earlier version, for the test)
    effective: 2024-06-01
    applies_to: [claude-3.5-sonnet]
    source: "https://www.anthropic.com/legal/commercial-terms"
    confidence: secondary
    clauses:
      - {type: no_competing_models, summary: No building of competing products., section: "D.4",
         source: "https://www.anthropic.com/legal/commercial-terms", confidence: secondary}
"""


@pytest.fixture
def overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-catalogue"
    folder.mkdir()
    (folder / "acme.yaml").write_text(NEW_FAMILY)
    (folder / "anthropic.yaml").write_text(AMENDMENT)
    return folder


def test_an_overlay_adds_a_teacher_and_amends_a_family(
    overlay: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = find("claude-3.5-sonnet")
    assert shipped.terms_on(dt.date(2025, 1, 1)) is None  # the gap the issue found
    monkeypatch.setenv(CATALOGUE_ENV, str(overlay))
    teachers = catalogue()
    assert "acme-1" in teachers and teachers["acme-1"].family.owner == "Acme AI"
    claude = teachers["claude-3.5-sonnet"]
    assert claude.terms_on(dt.date(2025, 1, 1)).id == "anthropic-commercial-terms-2024-06-01"
    assert claude.terms_on(dt.date(2025, 7, 1)).id == "anthropic-commercial-terms-2025-06-17"
    assert claude.family.name == "Anthropic"  # not given by the amendment: kept
    assert len(teachers) == len(shipped_catalogue()) + 1
    report = validate_dir(overlay)
    assert any(k.startswith("added: ") and v == ["acme-1"] for k, v in report.items())
    assert any(k.startswith("amended: ") and "over anthropic.yaml" in k for k in report)
    change = diff(claude, dt.date(2025, 1, 1), dt.date(2025, 7, 1))
    assert change["from"]["terms"] == "anthropic-commercial-terms-2024-06-01"
    kinds = {c["type"]: c["change"] for c in change["changes"]}
    assert kinds["no_competing_models"] == "changed" and "added" in kinds.values()


def shipped_catalogue() -> dict[str, object]:
    saved = os.environ.pop(CATALOGUE_ENV, None)
    try:
        return dict(catalogue())
    finally:
        if saved is not None:
            os.environ[CATALOGUE_ENV] = saved


def test_validate_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "acme.yaml").write_text(
        NEW_FAMILY.replace("confidence: primary\n    clauses", "confidence: sure\n    clauses")
    )
    with pytest.raises(InvalidCatalogue) as err:
        validate_dir(bad)
    assert str(bad / "acme.yaml") in err.value.lines()[0]
    assert any("confidence" in line and "'sure'" in line for line in err.value.lines())
    (bad / "acme.yaml").write_text(AMENDMENT.replace("claude-3.5-sonnet", "claude-9"))
    with pytest.raises(InvalidCatalogue, match="apply to unknown models: claude-9"):
        validate_dir(bad)
    with pytest.raises(InvalidCatalogue, match="no such directory"):
        validate_dir(tmp_path / "nope")


def test_the_commands_take_the_overlay(overlay: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != CATALOGUE_ENV}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distillgov", *args], capture_output=True, text=True,
            env=env, timeout=60,
        )  # fmt: skip

    shown = cli("--catalogue", str(overlay), "teachers", "show", "acme-1")
    assert shown.returncode == 0 and json.loads(shown.stdout)["owner"] == "Acme AI"
    assert cli("teachers", "show", "acme-1").returncode == 2  # not without the overlay
    checked = cli("teachers", "validate", str(overlay))
    assert checked.returncode == 0 and checked.stdout.strip().endswith(
        "ok: 2 file(s) checked against the shipped catalogue"
    )
    changed = cli(
        "--catalogue", str(overlay), "teachers", "diff", "claude-3.5-sonnet",
        "--from", "2025-01-01", "--to", "2025-07-01",
    )  # fmt: skip
    assert changed.stdout.startswith(
        "claude-3.5-sonnet: anthropic-commercial-terms-2024-06-01 (2025-01-01) -> "
        "anthropic-commercial-terms-2025-06-17 (2025-07-01)"
    )
    assert "~ no_competing_models" in changed.stdout
