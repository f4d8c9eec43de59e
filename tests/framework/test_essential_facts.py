"""The facts without which nothing can be determined (#13, item 5), held to their definition:
left unknown in the fully known base case, the decision stays open under every built-in profile;
every other fact, left unknown there, leaves it decided. The case schema marks exactly these."""

from __future__ import annotations

import json
import subprocess
import sys

from distillgov.framework import Case, assess
from distillgov.framework.case import ESSENTIAL, FACTS
from distillgov.jurisdictions import Profile
from tests.conftest import ON, PROFILES, make_case


def _without(name: str) -> Case:
    data = make_case().model_dump(mode="json")
    if name.startswith("output_use"):
        data["output_use"] = None
    else:
        node = data
        *path, last = name.split(".")
        for part in path:
            node = node[part]
        node[last] = None
    return Case.model_validate(data)


def test_the_essential_facts_are_those_nothing_can_be_determined_without(
    profiles: dict[str, Profile],
) -> None:
    open_without = set()
    for name in FACTS:
        case = _without(name)
        if all(assess(case, profiles[p].as_of(ON), ON).decision is None for p in PROFILES):
            open_without.add("output_use" if name.startswith("output_use.") else name)
    assert open_without == set(ESSENTIAL)


def test_the_case_schema_marks_them() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "distillgov", "schema", "case"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    schema = json.loads(out)
    assert schema["x-essential-facts"] == list(ESSENTIAL)
    assert schema["properties"]["access"]["x-essential"] is True
    assert schema["$defs"]["Teacher"]["properties"]["release_date"]["x-essential"] is True
    assert "x-essential" not in schema["properties"]["purpose"]
