"""Calibration from the clearinghouse's settled usage and the registry's disclosures, on SQLite
and PostgreSQL; and an optimum written as a profile that assess, lab compare and the
clearinghouse all read."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_file
from distillgov.licensing.licences import open_licence
from distillgov.licensing.settlement import settle, settlements
from distillgov.licensing.usage import ingest, report_files
from distillgov.policylab.calibrate import NotEnoughData, demand, substitution
from distillgov.policylab.lab import Assumptions, load_assumptions
from distillgov.registry.queries import declared_teacher_shares
from distillgov.registry.records import Disclosure, Model, Organisation, TeacherLink
from distillgov.registry.registry import Registry
from tests.licensing.conftest import CLONE_CASE, open_example
from tests.registry.conftest import engine  # noqa: F401  (the fixture, shared)

ROOT = Path(__file__).resolve().parents[2]
ELASTICITY = -1.5
YEARLY_PRICE_FALL = 0.4  # the price per unit falls 40 % a year


def _usage(path: Path) -> None:
    """Two years of monthly usage on a constant-elasticity demand curve, prices falling at a
    steady rate, with a price wobble so demand can be told apart from the trend."""
    lines = ["licence,period,units,revenue,currency"]
    for i in range(20):
        year, month = 2025 + (i // 12), i % 12 + 1
        wobble = (1.15, 0.9, 1.0, 0.95)[i % 4]
        price = 0.0008 * (1 - YEARLY_PRICE_FALL) ** (i / 12) * wobble  # CNY per unit
        units = round(1e8 * (price / 0.0008) ** ELASTICITY)
        lines.append(f"lic-cn,{year}-{month:02d},{units},{units * price:.2f},CNY")
    path.write_text("\n".join(lines) + "\n")


def _disclose(engine: Engine, shares: list[float]) -> None:  # noqa: F811
    reg = Registry(engine)
    reg.log.initialise("distillgov.example/lab-test", Ed25519PrivateKey.generate())
    reg.add(Organisation(id="lab", name="A Lab"))
    reg.add(Model(id="teacher", name="teacher", owner="lab"))
    for i, share in enumerate(shares):
        reg.add(Model(id=f"student-{i}", name=f"s{i}", owner="lab"))
        reg.add(
            Disclosure(
                id=f"d-{i}",
                student=f"student-{i}",
                teachers=[TeacherLink(model="teacher", signal="output_sequences", share=share)],
                method_summary="Supervised fine-tuning on teacher outputs.",
                data_sources_summary="Prompts.",
                filed_on=dt.date(2025, 1, 1),
            )
        )


def test_calibration_recovers_the_demand_it_was_given(engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    open_example(engine, "cn", "lic-cn")
    report = tmp_path / "usage.csv"
    _usage(report)
    ingest(engine, report, folder=tmp_path / "data")
    settle(engine, report_files(engine, tmp_path / "data"), dt.date(2026, 12, 1))
    rows = settlements(engine)
    assert len(rows) == 20
    e = Assumptions(calibration="textbook").economy_point()
    found = {est.parameter: est for est in demand(rows, e)}
    slope = found["demand_slope"]
    assert slope.value == pytest.approx(70 / (30 * 1.5), rel=0.02)
    assert 0 < slope.standard_error < 0.1 * slope.value
    assert found["rent_decay"].value == pytest.approx(YEARLY_PRICE_FALL, abs=0.02)

    _disclose(engine, [0.9, 0.5, 0.7])
    shares = declared_teacher_shares(engine)
    assert sorted(shares) == [0.5, 0.7, 0.9]
    sub = substitution(shares)
    assert sub.value == pytest.approx(0.7) and sub.standard_error == pytest.approx(
        0.2 / math.sqrt(3)
    )


def test_too_little_data_is_said_not_guessed() -> None:
    with pytest.raises(NotEnoughData, match="needs at least 4"):
        demand(
            [{"licence": "l", "period": "2025-01", "units": 5, "revenue_minor": 9}],
            Assumptions().economy_point(),
        )
    flat = [
        {"licence": "l", "period": f"2025-{m:02d}", "units": 100 + m, "revenue_minor": 100 + m}
        for m in range(1, 7)
    ]
    with pytest.raises(NotEnoughData, match="never varies within a licence"):
        demand(flat, Assumptions().economy_point())
    with pytest.raises(NotEnoughData, match="substitution needs at least 2"):
        substitution([0.4])


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "distillgov", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_lab_calibrate_writes_assumptions_that_uncertainty_draws_from(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    from distillgov.storage.db import open_database

    db = open_database(url)
    open_example(db, "cn", "lic-cn")
    _usage(tmp_path / "usage.csv")
    ingest(db, tmp_path / "usage.csv", folder=tmp_path / "data")
    settle(db, report_files(db, tmp_path / "data"), dt.date(2026, 12, 1))
    db.dispose()
    out = tmp_path / "calibrated.yaml"
    done = _run("lab", "calibrate", "--database", url, "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "demand_slope:" in done.stdout and "rent_decay:" in done.stdout
    assert "not estimated: registry: 0 declared teacher shares" in done.stderr
    a = load_assumptions(out)
    assert a.economy["demand_slope"].normal is not None  # type: ignore[union-attr]
    result = _run(
        "lab",
        "uncertainty",
        "--assumptions",
        str(out),
        "--draws",
        "200",
        "--windows",
        "0:10:11",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["draws"] == 200
    empty = _run(
        "lab",
        "calibrate",
        "--database",
        f"sqlite:///{tmp_path / 'e.sqlite'}",
        "-o",
        str(tmp_path / "x.yaml"),
        cwd=tmp_path,
    )
    assert empty.returncode != 0 and "nothing to calibrate from" in empty.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_an_optimum_becomes_a_profile_that_assess_compare_and_tariffs_read(
    engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    written = tmp_path / "optimum.yaml"
    done = _run(
        "lab",
        "optimise",
        "--exclusivity",
        "0.5",
        "--window",
        "2",
        "--royalty",
        "0.25",
        "--base",
        "cn",
        "--from",
        "2024-01-01",
        "--as-profile",
        str(written),
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    chosen = json.loads(done.stdout)[0]
    document = yaml.safe_load(written.read_text())
    assert document["extends"] == "cn"
    levers = document["levers"]
    assert levers["licence_window.months"][0]["value"] == 24
    assert levers["exclusivity.months"][0]["value"] == 6 and chosen["exclusivity"] == 0.5
    assert levers["royalty.revenue_percent"][0]["value"] == "10"  # 0.25 x margin 0.4
    assert "seed 20261123" in levers["exclusivity.months"][0]["note"]

    profile = load_file(written)
    compared = _run(
        "lab",
        "compare",
        "--profile",
        str(written),
        "--on",
        "2025-01-01",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert json.loads(compared.stdout)[0]["royalty_rate"] == pytest.approx(0.25)

    case = load_case(CLONE_CASE)
    day = dt.date(2025, 3, 1)
    determination = assess_case(case, profile, day)
    assert determination.profile["id"] == "cn-lab-utilitarian"
    assert determination.rule == "compulsory_license"
    lic = open_licence(engine, determination, case, profile, day, "cheap-chat-1", "lic-opt")
    # The clearinghouse charges the profile's fixed rate, not the cn schedule's price per unit.
    assert lic.tariff.schedule.model_dump() == {"percent_of_revenue": 10}
    assert (lic.tariff.set_by, lic.currency) == ("state", "CNY")
