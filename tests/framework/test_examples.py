"""The example cases: realistic situations, each assessed in every profile against expectations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from distillgov.assessment import determine
from distillgov.assessment.assess import assess_case, complete
from distillgov.assessment.casefiles import load_case
from distillgov.framework.vocabulary import Category
from distillgov.jurisdictions import Profile
from tests.conftest import CASE_FILES, PROFILES


def test_there_are_enough_examples_with_descriptions() -> None:
    assert len(CASE_FILES) >= 12
    for path in CASE_FILES:
        case = load_case(path)
        assert case.id == path.stem, f"{path.name}: id should match the file name"
        assert case.title and case.description and case.assessed_on


def test_every_example_has_expectations(expected: dict[str, Any]) -> None:
    assert sorted(expected) == sorted(p.stem for p in CASE_FILES)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("profile_id", PROFILES)
def test_example_outcome(
    path: Path, profile_id: str, profiles: dict[str, Profile], expected: dict[str, Any]
) -> None:
    want = expected[path.stem][profile_id]
    case = load_case(path)
    d = assess_case(case, profiles[profile_id], case.assessed_on)
    assert (d.category, d.rule, d.compliant) == (want["category"], want["rule"], want["compliant"])
    assert sorted(d.violations) == sorted(want.get("violations", []))
    assert [m.fact for m in d.missing_facts] == want.get("missing", [])


@pytest.mark.parametrize("profile_id", PROFILES)
def test_examples_cover_every_category_in_every_profile(
    profile_id: str, profiles: dict[str, Profile]
) -> None:
    seen = {
        assess_case(c, profiles[profile_id], c.assessed_on).category
        for c in map(load_case, CASE_FILES)
    }
    assert {c.value for c in Category} <= seen


def test_the_batch_example_file_matches_the_case_files() -> None:
    import polars as pl

    from distillgov.assessment.batch import assess_frame, read_frame
    from distillgov.jurisdictions import load_builtin
    from tests.conftest import EXAMPLES

    frame = read_frame(EXAMPLES / "batch" / "example-cases.csv")
    assert sorted(frame["id"].to_list()) == sorted(p.stem for p in CASE_FILES)
    profile = load_builtin("global_south")
    results = {r["case_id"]: r for r in assess_frame(frame, profile, None).to_dicts()}
    for path in CASE_FILES:
        case = load_case(path)
        completed, _ = complete(case, case.assessed_on)
        assert results[path.stem] == determine(completed, profile).row(), path.stem
    assert isinstance(frame, pl.DataFrame)
