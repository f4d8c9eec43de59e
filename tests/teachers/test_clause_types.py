"""The kinds of clause the 2025-26 terms contain (issue #18 item 2), one test each, on the
shipped catalogue where its data holds one (checked against Meta's licence files and Open Terms
Archive's captures) and on a fixture where it does not: regional exclusions, permitted uses
carved out of a ban, user thresholds with their measurement day, acceptable-use pass-down,
licence notices and output ownership."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from distillgov.assessment.assess import assess_case, complete
from distillgov.assessment.batch import assess_frame, read_frame
from distillgov.errors import DistillgovError
from distillgov.framework.case import Case
from distillgov.jurisdictions import load_builtin
from distillgov.teachers.catalogue import ClauseType, InvalidCatalogue, catalogue, parse_family
from distillgov.teachers.review import review_clause
from distillgov.teachers.watch import state_of
from tests.conftest import make_case
from tests.strategies import flat_row

ON = dt.date(2025, 3, 1)


def _case(teacher: str, **changes: Any) -> Case:
    return make_case(
        teacher={"id": teacher, "release_date": None, "terms": {"forbids_distillation": None}},
        consent={"granted": None},
        assessed_on=str(ON),
        **changes,
    )


def _filled(case: Case) -> dict[str, Any]:
    _, record = complete(case, ON)
    assert record is not None
    return {f.fact: f.value for f in record.filled} | {"_note": record.note}


# ---- regional exclusion ------------------------------------------------------------------


def test_the_eu_exclusion_withholds_consent_from_an_eu_distiller_of_the_vision_model() -> None:
    """Llama 3.2's acceptable-use policy withholds the licence for its multimodal models from
    distillers established in the EU; the text-only 1B model is not covered."""
    eu = _filled(_case("llama-3.2-11b-vision", distiller={"region": "DE"}))
    assert eu["consent.granted"] is False
    us = _filled(_case("llama-3.2-11b-vision", distiller={"region": "US"}))
    assert us["consent.granted"] is True
    unknown = _filled(_case("llama-3.2-11b-vision"))
    assert "consent.granted" not in unknown and "distiller.region" in unknown["_note"]
    text_only = _filled(_case("llama-3.2-1b", distiller={"region": "FR"}))
    assert text_only["consent.granted"] is True
    # The determination follows: without consent the EU distiller is judged on its own footing.
    profile = load_builtin("us")
    with_licence = assess_case(
        _case("llama-3.2-11b-vision", distiller={"region": "US"}), profile, ON
    )
    without = assess_case(_case("llama-3.2-11b-vision", distiller={"region": "DE"}), profile, ON)
    assert with_licence.category == "authorized" and without.category != "authorized"


def test_a_region_is_a_country_code_in_a_case_and_in_a_batch(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"distiller\.region"):
        _case("llama-3.2-11b-vision", distiller={"region": "Germany"})
    with pytest.raises(ValueError, match="not an ISO 3166-1 alpha-2"):
        _case("llama-3.2-11b-vision", distiller={"region": "XX"})
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id,teacher.id,assessed_on,distiller.region\n"
        "a,llama-3.2-11b-vision,2025-03-01,DE\n"
        "b,llama-3.2-11b-vision,2025-03-01,Germany\n"
    )
    with pytest.raises(DistillgovError) as caught:
        assess_frame(read_frame(rows), load_builtin("us"), None)
    assert "row 3" in str(caught.value.lines()) and "Germany" in str(caught.value.lines())


def test_the_batch_reads_the_region_and_the_base_models_as_a_single_case_does() -> None:
    import polars as pl

    cases = {
        "eu": _case("llama-3.2-11b-vision", id="eu", distiller={"region": "DE"}),
        "us": _case("llama-3.2-11b-vision", id="us", distiller={"region": "US"}),
        "built-on-llama": _case("llama-3-8b", id="built-on-llama", base_models=["llama-3-8b"]),
        "other-base": _case("llama-3-8b", id="other-base", base_models=["qwen2.5-32b"]),
    }
    frame = pl.DataFrame(
        [flat_row(c) for c in cases.values()],
        infer_schema_length=None,
        schema_overrides={"assessed_on": pl.Date, "output_use": pl.List(pl.String),
                          "base_models": pl.List(pl.String)},
    )  # fmt: skip
    profile = load_builtin("us")
    batch = {r["case_id"]: r for r in assess_frame(frame, profile, None).to_dicts()}
    for name, case in cases.items():
        single = assess_case(case, profile, ON)
        assert (batch[name]["category"], batch[name]["compliant"]) == (
            single.category, single.compliant,
        ), name  # fmt: skip
    assert batch["eu"]["category"] != batch["us"]["category"]
    assert batch["built-on-llama"]["category"] != batch["other-base"]["category"]


# ---- permitted use -----------------------------------------------------------------------


def test_llama_3s_ban_does_not_reach_a_student_built_on_llama_3() -> None:
    built_on = _filled(_case("llama-3-8b", base_models=["llama-3-8b"]))
    assert built_on["teacher.terms.forbids_distillation"] is False
    assert built_on["consent.granted"] is True
    elsewhere = _filled(_case("llama-3-8b", base_models=["qwen2.5-32b"]))
    assert elsewhere["teacher.terms.forbids_distillation"] is True
    assert elsewhere["consent.granted"] is False


FAMILY = {
    "family": "acme",
    "name": "Acme",
    "owner": "Acme",
    "models": [{"id": "acme-1", "name": "Acme 1"}, {"id": "acme-vision", "name": "Acme V"}],
    "terms": [
        {
            "id": "acme-terms",
            "name": "Acme Terms",
            "effective": "2025-01-01",
            "applies_to": ["acme-1", "acme-vision"],
            "source": "acme.example",
            "confidence": "primary",
            "clauses": [
                {"type": "no_competing_models", "summary": "No competing models.",
                 "source": "acme.example#1", "confidence": "primary"},
                {"type": "permitted_use", "carves_out": "no_competing_models",
                 "summary": "Classifiers kept in house are allowed.", "source": "acme.example#2",
                 "confidence": "primary"},
            ],
        }
    ],
}  # fmt: skip


def test_a_permitted_use_no_case_fact_decides_is_informational() -> None:
    family = parse_family(FAMILY, "fixture")
    version = family.terms[0]
    assert state_of(version) == "restrictive"  # the ban stands in the watch's counts
    carve = version.clauses[1]
    finding = review_clause(carve, load_builtin("us").as_of(ON).values, "us")
    assert finding.effect == "informational" and "no_competing_models" in finding.why


def _bad(**clause_changes: Any) -> dict[str, Any]:
    family = json.loads(json.dumps(FAMILY))
    family["terms"][0]["clauses"][1].update(clause_changes)
    return family


@pytest.mark.parametrize(
    ("family", "message"),
    [
        (_bad(carves_out=None), "names the ban it carves out of"),
        (_bad(carves_out="no_improving_other_models"), "which the version does not contain"),
        (_bad(type="name_prefix", value="Acme"), "'carves_out' belongs to a permitted_use"),
        (_bad(type="regional_exclusion", carves_out=None), "needs its regions"),
        (_bad(type="regional_exclusion", carves_out=None, regions=["Europe"]), "regions"),
        (_bad(type="regional_exclusion", carves_out=None, regions=["EU"], models=["other"]),
         "names models the version does not apply to: other"),
        (_bad(type="attribution_notice", carves_out=None, measured_on="2025-01-01", value="x"),
         "'measured_on' belongs to a user_threshold_licence"),
        (_bad(type="licence_notice", carves_out=None), "needs a value"),
    ],
)  # fmt: skip
def test_a_clause_that_does_not_hold_together_is_refused(
    family: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidCatalogue) as caught:
        parse_family(family, "acme.yaml")
    assert message in " ".join(caught.value.lines()), caught.value.lines()


# ---- user threshold measured on a day ----------------------------------------------------


def test_the_700m_user_threshold_is_counted_on_the_release_day() -> None:
    terms = catalogue()["llama-3-8b"].terms_on(ON)
    assert terms is not None
    (threshold,) = terms.of(frozenset({ClauseType.USER_THRESHOLD_LICENCE}))
    assert threshold.value == 700_000_000 and threshold.measured_on == dt.date(2024, 4, 18)
    why = review_clause(threshold, load_builtin("us").as_of(ON).values, "us").why
    assert "counted on 2024-04-18 only" in why


# ---- pass-down, notices: inherited along lineage -----------------------------------------


def test_the_acceptable_use_policy_and_the_notice_pass_to_a_student() -> None:
    d = assess_case(_case("llama-3.1-8b"), load_builtin("us"), ON)
    duties = {i["duty"]: i for i in d.extra["lineage"]["inherited_obligations"]}
    assert (
        duties["acceptable_use_pass_down"]["value"] == "https://llama.meta.com/llama3_1/use-policy"
    )
    assert duties["licence_notice"]["value"].startswith("Llama 3.1 is licensed under")
    assert duties["user_threshold_licence"]["what"].endswith("(users counted on 2024-07-23)")
    assert {duties[k]["effect"] for k in ("acceptable_use_pass_down", "licence_notice")} == {
        "enforceable"
    }


# ---- output ownership --------------------------------------------------------------------


def test_output_ownership_is_informational_and_changes_no_fact() -> None:
    terms = catalogue()["gpt-4"].terms_on(ON)
    assert terms is not None
    (owned,) = terms.of(frozenset({ClauseType.OUTPUTS_ASSIGNED}))
    finding = review_clause(owned, load_builtin("cn").as_of(ON).values, "cn")
    assert finding.effect == "informational" and "still apply" in finding.why
    filled = _filled(_case("gpt-4"))
    assert filled["teacher.terms.forbids_distillation"] is True  # the ban, not the assignment


def test_terms_review_shows_a_clause_only_for_the_models_it_covers() -> None:
    def review(teacher: str) -> list[str]:
        run = subprocess.run(
            [sys.executable, "-m", "distillgov", "terms", "review", teacher, "-j", "us",
             "--on", "2025-03-01", "--format", "json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return [c["type"] for c in json.loads(run.stdout)["clauses"]]

    assert "regional_exclusion" in review("llama-3.2-11b-vision")
    assert "regional_exclusion" not in review("llama-3.2-1b")
