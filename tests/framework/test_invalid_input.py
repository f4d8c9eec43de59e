"""Bad input gets one clear message per problem, naming the field, the value and the reason."""

from __future__ import annotations

from typing import Any

import pytest

from distillgov.assessment.casefiles import case_from_data
from distillgov.errors import InvalidCase


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidCase) as info:
        case_from_data(data, "case.yaml")
    assert info.value.message == "case.yaml: invalid case"
    return [str(p) for p in info.value.problems]


def test_unknown_enum_value_lists_the_choices() -> None:
    (line,) = problems({"access": "hacking"})
    assert line.startswith(
        "field 'access', value 'hacking': not one of: internal, licensed_weights"
    )


def test_misspelt_field_gets_a_suggestion() -> None:
    assert problems({"teacher": {"relase_date": "2024-01-01"}}) == [
        "field 'teacher.relase_date', value '2024-01-01': unknown field; did you mean 'release_date'?"
    ]


def test_wrong_types() -> None:
    lines = problems({"teacher": {"release_date": 2024}, "volume": {"outputs": "many"}})
    assert "field 'teacher.release_date', value 2024: a date must be written as YYYY-MM-DD" in lines
    assert any(line.startswith("field 'volume.outputs', value 'many'") for line in lines)


def test_impossible_date() -> None:
    (line,) = problems({"commercial_release_date": "2025-02-30"})
    assert line.startswith("field 'commercial_release_date', value '2025-02-30'")


def test_negative_count() -> None:
    (line,) = problems({"volume": {"outputs": -3}})
    assert line == "field 'volume.outputs', value -3: input should be greater than or equal to 0"


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (
            {"access": "internal", "distiller": {"same_owner_as_teacher": False}},
            "access",
            "internal access means the distiller belongs to the teacher's owner",
        ),
        (
            {"access": "published_outputs", "teacher": {"outputs_public": False}},
            "access",
            "outputs cannot come from a public source",
        ),
        (
            {"deployment": "none", "commercial_release_date": "2025-01-01"},
            "commercial_release_date",
            "a commercial release date was given but the deployment is not commercial",
        ),
        (
            {"transparency": {"disclosure_filed": False, "filed_on": "2025-01-01"}},
            "transparency.filed_on",
            "a filing date was given",
        ),
        (
            {
                "teacher": {"release_date": "2025-01-01"},
                "distiller": {"same_owner_as_teacher": False},
                "commercial_release_date": "2024-06-01",
            },
            "commercial_release_date",
            "the student is released before its teacher",
        ),
        ({"output_use": []}, "output_use", "list at least one use"),
    ],
)
def test_contradictory_facts(data: dict[str, Any], field: str, reason: str) -> None:
    (line,) = problems(data)
    assert line.startswith(f"field '{field}'") and reason in line


def test_all_contradictions_are_reported_together() -> None:
    lines = problems(
        {
            "access": "internal",
            "distiller": {"same_owner_as_teacher": False},
            "deployment": "none",
            "commercial_release_date": "2025-01-01",
        }
    )
    assert [line.split(",")[0] for line in lines] == [
        "field 'access'",
        "field 'commercial_release_date'",
    ]


def test_a_case_must_be_a_mapping() -> None:
    with pytest.raises(InvalidCase, match="a case must be a mapping of facts, not list"):
        case_from_data([1, 2], "case.yaml")


def test_only_certain_contradictions_are_refused() -> None:
    # The distiller might be the teacher's owner (unknown), so an early release is possible.
    case = case_from_data(
        {"teacher": {"release_date": "2025-01-01"}, "commercial_release_date": "2024-06-01"}
    )
    assert case.distiller.same_owner_as_teacher is None


def test_same_owner_may_release_before_public_teacher() -> None:
    case = case_from_data(
        {
            "teacher": {"release_date": "2025-01-01"},
            "distiller": {"same_owner_as_teacher": True},
            "deployment": "commercial",
            "commercial_release_date": "2024-06-01",
        }
    )
    assert case.commercial_release_date is not None
