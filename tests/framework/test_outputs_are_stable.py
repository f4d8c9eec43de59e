"""Every example case under every profile gives the same canonical JSON as recorded in
`outputs.sha256`: a refactoring that changes a determination by one byte fails here.

An intended change (a rule, a trace line, a profile value) is recorded by running
`DISTILLGOV_RECORD_OUTPUTS=1 .venv/bin/pytest tests/framework/test_outputs_are_stable.py` and
listing each difference in the commit that makes it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from distillgov.assessment import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from tests.conftest import CASE_FILES, PROFILES

RECORD = Path(__file__).with_name("outputs.sha256")


def _digests() -> dict[str, str]:
    out = {}
    for path in CASE_FILES:
        case = load_case(path)
        for pid in PROFILES:
            assert case.assessed_on is not None, path  # the output must not depend on today
            d = assess_case(case, load_builtin(pid), case.assessed_on)
            out[f"{path.stem}.{pid}"] = hashlib.sha256(d.to_json().encode()).hexdigest()
    return out


def test_every_example_gives_the_recorded_bytes() -> None:
    now = _digests()
    if os.environ.get("DISTILLGOV_RECORD_OUTPUTS") == "1":
        RECORD.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(RECORD.read_text())
    changed = sorted(k for k in now if now[k] != recorded.get(k))
    assert set(now) == set(recorded) and changed == [], f"outputs changed: {changed}"
