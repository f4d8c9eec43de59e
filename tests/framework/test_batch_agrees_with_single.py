"""One source of truth, two evaluators: the batch results equal the single-case results."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillgov.assessment import determine
from distillgov.assessment.assess import complete
from distillgov.assessment.batch import assess_frame
from distillgov.framework import Case
from distillgov.jurisdictions import Profile, load_builtin, load_file
from tests.conftest import EXAMPLES
from tests.strategies import cases, flat_row

AMENDED = load_file(EXAMPLES / "profiles" / "us-2027-amendment.yaml")
PROFILES = [load_builtin("us"), load_builtin("cn"), load_builtin("global_south"), AMENDED]

SCHEMA = {
    "assessed_on": pl.Date,
    "output_use": pl.List(pl.String),
    "teacher.id": pl.String,
    "distiller.region": pl.String,
    "base_models": pl.List(pl.String),
}


def frame_of(batch: list[Case]) -> pl.DataFrame:
    return pl.DataFrame(
        [flat_row(c) for c in batch], infer_schema_length=None, schema_overrides=SCHEMA
    )


def check(batch: list[Case], profile: Profile) -> None:
    """Both paths fill catalogue teachers' facts first (`teachers.completion`), then evaluate."""
    result = assess_frame(frame_of(batch), profile, None).to_dicts()
    for case, row in zip(batch, result, strict=True):
        completed, _ = complete(case, case.assessed_on)  # type: ignore[arg-type]
        single = determine(completed, profile).row()
        assert row == single, (
            f"{case.model_dump(mode='json', exclude_none=True)} under {profile.id}"
        )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A batch's ids are unique (the batch reader refuses repeats).
@given(
    st.lists(cases(), min_size=1, max_size=25, unique_by=lambda c: c.id), st.sampled_from(PROFILES)
)
def test_batch_and_single_agree_on_generated_cases(batch: list[Case], profile: Profile) -> None:
    check(batch, profile)


def test_batch_and_single_agree_on_the_examples() -> None:
    from distillgov.assessment.casefiles import load_case
    from tests.conftest import CASE_FILES

    batch = [load_case(p) for p in CASE_FILES]
    for profile in PROFILES:
        check(batch, profile)
