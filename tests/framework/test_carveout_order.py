"""The research carve-out's breadth follows the adjustments table's order — US small, CN bigger,
Global South very broad — for every purpose and deployment, and auditing counts wherever the
research row applies (types/research names academic, auditing and safety work)."""

from __future__ import annotations

import itertools

import pytest

from distillgov.assessment.assess import assess_case
from distillgov.framework.vocabulary import Deployment, Purpose
from distillgov.jurisdictions import Profile
from tests.conftest import ON, PROFILES, make_case

RESEARCH_ROW_PURPOSES = {"academic_research", "accountability_audit", "safety_research"}


def _exempt(profile: Profile, purpose: str, deployment: str, forbids_research: bool) -> bool:
    case = make_case(
        purpose=purpose,
        deployment=deployment,
        teacher={"terms": {"forbids_distillation": False, "forbids_research": forbids_research}},
        commercial_release_date="2025-01-20" if deployment == "commercial" else None,
    )
    return assess_case(case, profile, ON).category == "research"


@pytest.mark.parametrize(
    ("purpose", "deployment", "forbids_research"),
    list(
        itertools.product([p.value for p in Purpose], [d.value for d in Deployment], [False, True])
    ),
)
def test_what_a_narrower_carveout_exempts_every_broader_one_exempts(
    profiles: dict[str, Profile], purpose: str, deployment: str, forbids_research: bool
) -> None:
    exempt = [_exempt(profiles[p], purpose, deployment, forbids_research) for p in PROFILES]
    # PROFILES is in the table's order: once exempt, exempt in every later column.
    assert exempt == sorted(exempt), dict(zip(PROFILES, exempt, strict=True))


def test_auditing_counts_wherever_the_research_row_applies(profiles: dict[str, Profile]) -> None:
    for pid in PROFILES:
        purposes = profiles[pid].as_of(ON).values["research.purposes"]
        assert purposes & RESEARCH_ROW_PURPOSES == RESEARCH_ROW_PURPOSES, pid
        assert _exempt(profiles[pid], "accountability_audit", "none", False), pid


def test_no_commercial_deployment_is_ever_exempt(profiles: dict[str, Profile]) -> None:
    for pid, purpose in itertools.product(PROFILES, RESEARCH_ROW_PURPOSES):
        assert not _exempt(profiles[pid], purpose, "commercial", False), (pid, purpose)
