"""The documentation stays in step with the code: every fact, lever, obligation and decision row
is documented, and every example command in the README names a file that exists."""

from __future__ import annotations

import re

from distillgov.framework.case import FACTS
from distillgov.framework.rules import DECISION, OBLIGATIONS
from distillgov.jurisdictions import LEVERS
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def test_every_fact_is_documented() -> None:
    text = (DOCS / "cases.md").read_text()
    for name in FACTS:
        if not name.startswith("output_use."):
            assert f"`{name}`" in text, name


def test_every_lever_is_documented() -> None:
    text = (DOCS / "jurisdictions.md").read_text()
    for name in LEVERS:
        assert f"`{name}`" in text, name


def test_every_decision_row_and_obligation_is_documented() -> None:
    text = (DOCS / "rules.md").read_text()
    for row in DECISION.branches:
        assert f"`{row.id}`" in text, row.id
    for o in OBLIGATIONS:
        assert f"`{o.id}`" in text, o.id


def test_readme_examples_name_real_files_and_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    for path in re.findall(r"(examples/[\w\-/]+\.\w+)", readme):
        assert (ROOT / path).exists(), path
    for link in re.findall(r"\]\((docs/[\w\-]+\.md)", readme):
        assert (ROOT / link).exists(), link
    assert "make demo" in readme and "make test" in readme
