"""The regulator's watch on restrictive terms (issue #18 item 4): every figure recomputed by
hand from a small fixture catalogue of four owners, then the command, its CSV, chart and JSON,
and the API route and the web page on a served app."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from distillgov.jurisdictions import builtin_ids, load_builtin
from distillgov.teachers.catalogue import Teacher, parse_family
from distillgov.teachers.watch import (
    WatchError,
    concentration,
    days_between,
    events,
    read_shares,
    series,
    watch,
)

FIXTURE = """\
- family: alpha
  name: Alpha
  owner: Alpha Labs
  models:
    - {id: alpha-1, name: Alpha 1, release_date: 2024-01-10, release_source: "alpha.example",
       release_confidence: primary}
  terms:
    - {id: alpha-v1, name: Alpha v1, effective: 2024-01-10, applies_to: [alpha-1],
       source: "alpha.example/v1", confidence: primary,
       clauses: [{type: grants_distillation, summary: Outputs may train any model.,
                  source: "alpha.example/v1#3", confidence: primary}]}
    - {id: alpha-v2, name: Alpha v2, effective: 2024-06-01, applies_to: [alpha-1],
       source: "alpha.example/v2", confidence: primary,
       clauses: [{type: no_competing_models, summary: No competing models from outputs.,
                  source: "alpha.example/v2#3", confidence: primary},
                 {type: no_research_use, summary: An unverified research ban.,
                  source: "a forum post", confidence: unverified}]}
- family: beta
  name: Beta
  owner: Beta Inc
  models:
    - {id: beta-1, name: Beta 1, release_date: 2024-04-15, release_source: "beta.example",
       release_confidence: primary}
  terms:
    - {id: beta-v1, name: Beta v1, effective: 2024-04-15, applies_to: [beta-1],
       source: "beta.example/terms", confidence: primary,
       clauses: [{type: attribution_notice, value: "Built with Beta", summary: A notice.,
                  source: "beta.example/terms#1", confidence: primary},
                 {type: no_competing_models, summary: Only a rumour of a ban.,
                  source: "a blog", confidence: unverified}]}
- family: gamma
  name: Gamma
  owner: Gamma
  models:
    - {id: gamma-1, name: Gamma 1, release_date: 2023-06-01, release_source: "gamma.example",
       release_confidence: primary}
    - {id: gamma-2, name: Gamma 2, release_date: 2024-12-01, release_source: "a rumour",
       release_confidence: unverified}
  terms:
    - {id: gamma-v1, name: Gamma v1, effective: 2023-06-01, applies_to: [gamma-1, gamma-2],
       source: "gamma.example/v1", confidence: primary,
       clauses: [{type: no_improving_other_models, summary: No improving other models.,
                  source: "gamma.example/v1#2", confidence: primary}]}
    - {id: gamma-v2, name: Gamma v2, effective: 2025-01-01, applies_to: [gamma-1, gamma-2],
       source: "gamma.example/v2", confidence: primary,
       clauses: [{type: permissive_licence, summary: Apache-2.0.,
                  source: "gamma.example/v2#1", confidence: primary}]}
- family: delta
  name: Delta
  owner: Delta
  models:
    - {id: delta-1, name: Delta 1, release_date: 2024-05-01, release_source: "a rumour",
       release_confidence: unverified}
  terms:
    - {id: delta-v1, name: Delta v1, effective: 2024-05-01, applies_to: [delta-1],
       source: "delta.example", confidence: primary,
       clauses: [{type: permissive_licence, summary: MIT., source: "delta.example#1",
                  confidence: primary}]}
"""


@pytest.fixture(scope="module")
def teachers() -> list[Teacher]:
    out = []
    for raw in yaml.safe_load(FIXTURE):
        family = parse_family(raw, "fixture")
        out += [Teacher(m, family) for m in family.models]
    return out


def test_the_shares_of_restrictive_and_permissive_teachers_by_model_and_by_family(
    teachers: list[Teacher],
) -> None:
    days = [dt.date(2024, 3, 1), dt.date(2024, 7, 1), dt.date(2025, 6, 1)]
    by_model = {r["as_of"]: r for r in series(teachers, days, "model")}
    # 1 March 2024: alpha-1 grants (v1); gamma-1 and gamma-2 restrict (gamma-2's release date is
    # unverified, so it counts from its first terms); beta and delta have no terms yet.
    assert by_model["2024-03-01"]["tracked"] == 3
    assert by_model["2024-03-01"]["restrictive_units"] == ["gamma-1", "gamma-2"]
    assert by_model["2024-03-01"]["permissive_units"] == ["alpha-1"]
    assert by_model["2024-03-01"]["share_restrictive"] == "0.667"
    # 1 July 2024: alpha-1 now restricts; beta-1's only ban is unverified, so it is neither.
    july = by_model["2024-07-01"]
    assert (july["tracked"], july["restrictive"], july["permissive"], july["neither"]) == (
        5, 3, 1, 1,
    )  # fmt: skip
    assert july["neither_units"] == ["beta-1"]
    # 1 June 2025: gamma has become Apache-2.0.
    later = by_model["2025-06-01"]
    assert (later["restrictive"], later["permissive"], later["share_permissive"]) == (1, 3, "0.600")
    by_family = {r["as_of"]: r for r in series(teachers, days, "family")}
    assert by_family["2024-03-01"]["tracked"] == 2  # alpha, gamma
    assert by_family["2025-06-01"]["share_restrictive"] == "0.250"  # alpha of four families


def test_events_tighten_and_loosen_and_a_rival_release_within_90_days_flags(
    teachers: list[Teacher],
) -> None:
    found = {e["family"]: e for e in events(teachers)}
    assert set(found) == {"alpha", "gamma"}  # first versions are not events
    alpha = found["alpha"]
    assert alpha["direction"] == "tightening"
    assert alpha["moved"] == ["+no_competing_models", "-grants_distillation"]
    # Beta 1 came out 47 days before; Delta's release date is unverified: shown, not flagging.
    assert alpha["follows_rival_release"] is True
    assert [r["model"] for r in alpha["rival_releases"]] == ["beta-1"]
    assert [r["model"] for r in alpha["rival_releases_unverified"]] == ["delta-1"]
    assert {c["type"] for c in alpha["changes"]} == {"no_competing_models", "grants_distillation"}
    gamma = found["gamma"]
    assert gamma["direction"] == "loosening"
    assert gamma["teachers"] == ["gamma-1", "gamma-2"]  # one event for the family
    assert gamma["follows_rival_release"] is False  # gamma-2 is its own owner's model


def test_how_far_the_bans_bind_under_each_profile(teachers: list[Teacher]) -> None:
    report = watch(
        teachers, [load_builtin(p) for p in builtin_ids()], dt.date(2024, 1, 1),
        dt.date(2025, 6, 1), "quarter", "model",
    )  # fmt: skip
    by_profile = {b["profile"]: b for b in report["binding"]}
    assert by_profile["us"]["teachers_whose_ban_binds"] == 1  # alpha-1 only
    assert by_profile["us"]["by_effect"]["enforceable"][0]["teacher"] == "alpha-1"
    assert by_profile["cn"]["anti_distillation_effect"] == "limited"
    assert by_profile["global_south"]["anti_distillation_effect"] == "void"
    assert by_profile["global_south"]["cite"] == {
        "table": "adjustments", "row": "contract_reach", "column": "global_south",
    }  # fmt: skip
    assert report["computed_from"]["teachers"] == 5 and report["as_of"] == "2025-06-01"
    assert [e["family"] for e in report["events"]] == ["alpha", "gamma"]


SHARES = """\
supplier,share_percent,source,as_of
Alpha Labs,40,Router statistics Q2 2025,2025-06-01
beta-1,30,Router statistics Q2 2025,2025-06-01
gamma,20.5,Router statistics Q2 2025,2025-06-01
"""


def test_concentration_of_all_and_of_distillable_supply(teachers: list[Teacher]) -> None:
    by_id = {t.id: t for t in teachers}
    result = concentration(read_shares(SHARES, by_id, "shares.csv"), by_id)
    assert result["hhi_all_listed"] == "2920.25"  # 40² + 30² + 20.5²
    # Alpha forbids distillation on that day; beta and gamma, 50.5 points, rescaled to 100.
    assert result["share_distillable_percent"] == "50.5"
    expected = (30 / 50.5 * 100) ** 2 + (20.5 / 50.5 * 100) ** 2
    assert abs(float(result["hhi_distillable"]) - expected) < 0.005
    assert [s["distillable"] for s in result["suppliers"]] == [False, True, True]
    assert result["suppliers"][0]["restricted_by"] == ["alpha-1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("supplier,share_percent\nalpha-1,3\n", "missing source, as_of"),
        (SHARES + "nobody,1,x,2025-06-01\n", "row 5, field 'supplier', value 'nobody'"),
        (SHARES.replace("40,", "140,"), "row 2, field 'share_percent', value '140'"),
        (SHARES.replace("40,", "forty,"), "value 'forty': must be a number"),
        (SHARES.replace("beta-1,30,Router statistics Q2 2025", "beta-1,30,"), "field 'source'"),
        (SHARES.replace("2025-06-01\nbeta", "June\nbeta"), "row 2, field 'as_of', value 'June'"),
        (SHARES.replace("30,", "60,"), "the shares sum to 120.5, over 100"),
        (SHARES + "BETA-1,1,x,2025-06-01\n", "value 'beta-1': listed twice"),
    ],
)
def test_bad_shares_are_refused_naming_row_field_and_value(
    teachers: list[Teacher], text: str, message: str
) -> None:
    with pytest.raises(WatchError, match=message.replace("(", r"\(")):
        read_shares(text, {t.id: t for t in teachers}, "shares.csv")


def test_the_series_days() -> None:
    assert days_between(dt.date(2024, 2, 10), dt.date(2024, 8, 1), "quarter") == [
        dt.date(2024, 2, 10), dt.date(2024, 4, 1), dt.date(2024, 7, 1), dt.date(2024, 8, 1),
    ]  # fmt: skip
    with pytest.raises(WatchError, match="field 'to'"):
        days_between(dt.date(2024, 2, 1), dt.date(2024, 1, 1), "month")


def _cli(*args: str, catalogue: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISTILLGOV_CATALOGUE": str(catalogue)}
    return subprocess.run(
        [sys.executable, "-m", "distillgov", *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogue"
    folder.mkdir()
    for raw in yaml.safe_load(FIXTURE):
        (folder / f"{raw['family']}.yaml").write_text(yaml.safe_dump(raw))
    return folder


def test_the_command_writes_csv_chart_and_json_over_the_shipped_catalogue_and_an_overlay(
    fixture_dir: Path, tmp_path: Path
) -> None:
    shares = tmp_path / "shares.csv"
    shares.write_text(SHARES)
    out = tmp_path / "out"
    run = _cli(
        "watch-terms", "--from", "2024-01-01", "--to", "2025-06-01", "--every", "year",
        "--shares", str(shares), "--csv", str(out), "--chart", str(out), "--json",
        catalogue=fixture_dir,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    assert report["computed_from"]["catalogue"] == f"shipped with the overlay {fixture_dir}"
    assert report["concentration"]["hhi_all_listed"] == "2920.25"
    assert "alpha" in {e["family"] for e in report["events"]}
    rows = list(csv.DictReader(io.StringIO((out / "watch-terms-series.csv").read_text())))
    assert [r["as_of"] for r in rows] == ["2024-01-01", "2025-01-01", "2025-06-01"]
    assert all(r["computed_from"].startswith("catalogue (shipped with the overlay") for r in rows)
    assert rows[-1]["tracked"] == str(report["series"][-1]["tracked"])
    events = list(csv.DictReader(io.StringIO((out / "watch-terms-events.csv").read_text())))
    alpha = next(e for e in events if e["family"] == "alpha")
    assert (alpha["direction"], alpha["follows_rival_release"]) == ("tightening", "True")
    hhi = list(csv.DictReader(io.StringIO((out / "watch-terms-concentration.csv").read_text())))
    assert {r["supplier"]: r["share_percent"] for r in hhi}["HHI, all listed"] == "2920.25"
    assert ET.parse(out / "watch-terms.svg").getroot().tag.endswith("svg")
    assert (out / "watch-terms.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = _cli("watch-terms", "--to", "2025-06-01", catalogue=fixture_dir)
    assert "FOLLOWS A RIVAL'S RELEASE: beta-1 (Beta Inc, 2024-04-15)" in text.stdout


def test_the_command_refuses_bad_options_and_shares_with_one_line(
    fixture_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(SHARES + "nobody,1,x,2025-06-01\n")
    for args, message in [
        (("--every", "decade"), "option --every, value 'decade'"),
        (("--unit", "owner"), "option --unit, value 'owner'"),
        (("--to", "June"), "option --to, value 'June'"),
        (("--from", "2025-01-01", "--to", "2024-01-01"), "field 'to', value '2024-01-01'"),
        (("--shares", str(bad)), "row 5, field 'supplier', value 'nobody'"),
        (("--shares", str(tmp_path / "none.csv")), "none.csv"),
    ]:
        run = _cli("watch-terms", *args, catalogue=fixture_dir)
        assert run.returncode == 2, (args, run.stderr)
        assert message in run.stderr and "Traceback" not in run.stderr, (args, run.stderr)
