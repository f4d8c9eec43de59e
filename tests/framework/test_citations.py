"""Every rule and lever cites the framework, and every table row is exercised by a test."""

from __future__ import annotations

import re
from pathlib import Path

from distillgov.framework.citations import ROWS, Citation
from distillgov.framework.logic import Choose, Let
from distillgov.framework.rules import OBLIGATIONS, PROGRAM
from distillgov.jurisdictions import LEVERS, load_builtin

TESTS = Path(__file__).parent / "test_framework_tables.py"


def test_every_decision_row_and_obligation_is_cited() -> None:
    for d in PROGRAM.definitions:
        if isinstance(d, Choose):
            for b in d.branches:
                assert isinstance(b.cite, Citation)
        elif isinstance(d, Let) and d.traced:
            assert isinstance(d.cite, Citation), d.name
    for o in OBLIGATIONS:
        assert isinstance(o.cite, Citation)


def test_every_profile_value_is_cited_to_an_existing_row() -> None:
    for pid in ("us", "cn", "global_south"):
        for name, entries in load_builtin(pid).levers.items():
            assert name in LEVERS
            for e in entries:
                assert e.cite.row in ROWS[e.cite.table]


def test_every_row_of_the_operative_tables_is_exercised_by_a_named_test() -> None:
    names = re.findall(r"^def (test_\w+)", TESTS.read_text(), flags=re.M)
    for table in ("types", "policies", "adjustments"):
        for row in ROWS[table]:
            assert any(n.startswith(f"test_{table}_{row}") for n in names), f"{table}/{row}"


def test_every_row_of_the_operative_tables_is_cited_by_a_rule_or_lever() -> None:
    cited = {(d.cite.table, d.cite.row) for d in PROGRAM.definitions if d.cite}
    cited |= {
        (b.cite.table, b.cite.row)
        for d in PROGRAM.definitions
        if isinstance(d, Choose)
        for b in d.branches
    }
    cited |= {(o.cite.table, o.cite.row) for o in OBLIGATIONS}
    cited |= {(lever.source.table, lever.source.row) for lever in LEVERS.values()}
    for table in ("types", "policies", "adjustments"):
        for row in ROWS[table]:
            assert (table, row) in cited, f"{table}/{row}"
