"""The fidelity suite: cases written from the framework's tables (tests/fidelity/cases.yaml), each
citing the table and row it tests, checked under the profile it names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from distillgov.assessment.assess import assess_case
from distillgov.framework.citations import Citation
from distillgov.jurisdictions import load_builtin
from tests.conftest import ON, make_case

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text())


def test_the_suite_is_large_and_every_case_cites_a_row() -> None:
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    tables = set()
    for c in CASES:
        cite = Citation.parse(c["cite"])  # a real table and row, or this raises
        tables.add(cite.table)
    assert tables >= {"types", "policies", "adjustments", "abstract"}


@pytest.mark.parametrize("spec", CASES, ids=[c["id"] for c in CASES])
def test_the_framework_says_what_its_tables_say(spec: dict[str, Any]) -> None:
    on = spec.get("date", ON)  # not "on": YAML 1.1 reads that key as true
    on = on if isinstance(on, dt.date) else dt.date.fromisoformat(str(on))
    d = assess_case(make_case(**spec.get("facts", {})), load_builtin(spec["profile"]), on)
    expect = spec["expect"]
    got = {"category": d.category, "rule": d.rule, "compliant": d.compliant}
    assert got == {k: expect[k] for k in ("category", "rule", "compliant")}, spec["cite"]
    assert list(d.violations) == expect.get("violations", []), spec["cite"]
    for obligation in expect.get("applies", []):
        assert any(o.id == obligation and o.applies for o in d.obligations), obligation
