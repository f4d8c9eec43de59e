"""The welfare model: the textbook example, its limiting cases, and monotonicity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.policylab.lab import (
    Assumptions,
    InvalidAssumptions,
    grid,
    load_assumptions,
    sweep,
    uncertainty,
)
from distillgov.policylab.model import Economy, Levers, nordhaus, nordhaus_innovation, outcomes
from tests.policylab import strategies

TEXTBOOK = Economy()  # competitive price 70, Q0 30, r(x) = 15 x^2, interest 10 %


def test_textbook_example_a_25_year_term_induces_x_of_about_10() -> None:
    assert nordhaus_innovation(TEXTBOOK, 25.0) == pytest.approx(9.98, abs=0.01)
    # With the whole annuity, x* = A(0, T): 1 at one year, 11 for ever.
    assert nordhaus_innovation(TEXTBOOK, 1.0) == pytest.approx(1.0)
    assert nordhaus_innovation(TEXTBOOK, np.inf) == pytest.approx(11.0)


def test_textbook_net_surplus_has_an_interior_optimum() -> None:
    terms = np.arange(1.0, 80.0)
    net = nordhaus(TEXTBOOK, terms)["net"]
    best = terms[np.argmax(net)]
    assert 5 < best < 60
    assert net[0] < net.max() and net[-1] < net.max()


def test_no_royalty_and_infinite_exclusivity_is_the_plain_monopoly() -> None:
    out = outcomes(TEXTBOOK, Levers(exclusivity=np.inf, licence_window=3.0, royalty_rate=0.0))
    x = 11.0  # the innovator keeps the whole rent for ever: x = Q0 / (2 k (1 - R))
    assert out["x"] == pytest.approx(x)
    assert out["teacher"] == pytest.approx(x * 30 / (1 - 1 / 1.1))
    assert out["consumers"] == pytest.approx(0.0) and out["student"] == pytest.approx(0.0)
    assert out["net_surplus"] == pytest.approx(out["teacher"] - 15 * x * x)


def test_with_no_rd_response_the_shortest_window_is_optimal() -> None:
    fixed = TEXTBOOK.with_values(rd_elasticity=0.0)
    table = sweep(fixed, np.array([0.0]), grid("0:20:41", "window"), np.array([0.3]), Levers())
    assert table["licence_window"][np.argmax(table["net_surplus"])] == 0.0
    table = sweep(fixed, grid("0:20:41", "exclusivity"), np.array([0.0]), np.array([0.3]), Levers())
    assert table["exclusivity"][np.argmax(table["net_surplus"])] == 0.0


levers = st.builds(
    Levers,
    exclusivity=st.floats(0, 30),
    licence_window=st.floats(0, 30),
    royalty_rate=st.floats(0, 0.99),
)
# The student always distils (no switching at the entry margin), in the closed textbook economy.
economies = strategies.economies(
    distillation_cost=0.0, rent_decay=0.0, pass_through=0.0, foreign_market_share=0.0
)


@settings(max_examples=200, deadline=None)
@given(economies, levers, st.floats(0.01, 10))
def test_longer_exclusivity_never_lowers_innovation(e: Economy, lv: Levers, more: float) -> None:
    longer = Levers(lv.exclusivity + more, lv.licence_window, lv.royalty_rate)
    assert outcomes(e, longer)["x"] >= outcomes(e, lv)["x"] - 1e-9


@settings(max_examples=200, deadline=None)
@given(economies, levers, st.floats(0.001, 0.5))
def test_a_higher_royalty_pays_the_teacher_more(e: Economy, lv: Levers, more: float) -> None:
    higher = Levers(lv.exclusivity, lv.licence_window, min(lv.royalty_rate + more, 0.999))
    assert outcomes(e, higher)["teacher"] >= outcomes(e, lv)["teacher"] - 1e-9


@settings(max_examples=200, deadline=None)
@given(economies, levers, st.floats(0.01, 10))
def test_with_fixed_innovation_longer_exclusivity_delays_price_relief(
    e: Economy, lv: Levers, more: float
) -> None:
    fixed = e.with_values(rd_elasticity=0.0)
    longer = Levers(lv.exclusivity + more, lv.licence_window, lv.royalty_rate)
    assert outcomes(fixed, longer)["rawlsian"] <= outcomes(fixed, lv)["rawlsian"] + 1e-9


def test_lens_scores_are_present_values_and_the_lockean_one_is_scaled_by_proportionality() -> None:
    out = outcomes(TEXTBOOK, Levers(1.0, 3.0, 0.5, 1.0, 0.3))
    assert 0 <= out["proportionality"] <= 1
    public = out["consumers"] + out["externality"]
    assert out["lockean"] == pytest.approx(out["proportionality"] * public)
    assert out["deontological"] == pytest.approx(
        out["consumers"] + out["student"] + out["royalties"] + out["externality"] - out["takings"]
    )


def test_the_seed_fixes_every_draw() -> None:
    a = Assumptions.model_validate({"economy": {"rd_elasticity": {"uniform": [0, 1]}}})
    windows = grid("0:10:11", "windows")
    lv = {"x": Levers(1.0, 2.0, 0.3)}
    first = uncertainty(a, lv, windows, 500, 3, 0.3)
    assert first == uncertainty(a, lv, windows, 500, 3, 0.3)
    assert first != uncertainty(a, lv, windows, 500, 4, 0.3)


def test_bad_assumptions_name_the_field(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text("economy:\n  substitutoin: 0.3\n")
    with pytest.raises(InvalidAssumptions) as info:
        load_assumptions(f)
    assert "unknown parameter 'substitutoin'; did you mean 'substitution'?" in str(info.value)
    f.write_text("economy:\n  interest: {uniform: [0.2, 0.1]}\n")
    with pytest.raises(InvalidAssumptions, match="uniform bounds must be"):
        load_assumptions(f)


def test_lab_commands_from_the_command_line(tmp_path: Path) -> None:
    def lab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distillgov", "lab", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    compared = json.loads(lab("compare", "--on", "2025-01-01", "-f", "json").stdout)
    assert [row["profile"] for row in compared] == ["us", "cn", "global_south"]
    assert compared[0]["exclusivity"] == 2.0 and compared[2]["licence_window"] == 1.0
    best = json.loads(lab("optimise", "--objective", "rawlsian", "-f", "json").stdout)[0]
    assert set(best) >= {"exclusivity", "licence_window", "royalty_rate", "rawlsian"}
    swept = json.loads(lab("sweep", "--exclusivity", "0:2:3", "--window", "1", "-f", "json").stdout)
    assert len(swept) == 3
    spec = tmp_path / "params.yaml"
    spec.write_text("seed: 5\ndraws: 300\neconomy:\n  rd_elasticity: {uniform: [0.0, 1.0]}\n")
    result = json.loads(
        lab("uncertainty", "--assumptions", str(spec), "--windows", "0:10:11").stdout
    )
    assert result["draws"] == 300 and set(result["regret"]) == {"us", "cn", "global_south"}
    assert result["window_kind"] == "exclusivity"
    assert (
        0
        <= result["optimal_window_quantiles"]["p05"]
        <= result["optimal_window_quantiles"]["p95"]
        <= 10
    )
    kind = lab(
        "uncertainty", "--assumptions", str(spec), "--windows", "0:10:11", "--window-kind", "both"
    )
    assert kind.returncode == 2 and "choose exclusivity or licence" in kind.stderr
    wrong = lab("optimise", "--objective", "kantian")
    assert wrong.returncode == 2 and "choose one of utilitarian" in wrong.stderr


def test_report_writes_figures_and_html(tmp_path: Path) -> None:
    spec = tmp_path / "params.yaml"
    spec.write_text("seed: 9\ndraws: 400\neconomy:\n  rd_elasticity: {uniform: [0.2, 1.0]}\n")

    def report(folder: Path) -> subprocess.CompletedProcess[str]:
        args = [
            "lab",
            "report",
            "-o",
            str(folder),
            "--assumptions",
            str(spec),
            "--windows",
            "0:15:31",
            "--on",
            "2025-01-01",
        ]
        return subprocess.run(
            [sys.executable, "-m", "distillgov", *args], capture_output=True, text=True, timeout=300
        )

    out = tmp_path / "lab"
    r = report(out)
    assert r.returncode == 0, r.stderr
    for name in ("welfare_vs_window", "lens_scores", "tornado"):
        png, svg = out / f"{name}.png", out / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
        assert "<svg" in svg.read_text() and svg.stat().st_size > 5_000
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 3
    assert "(seed 9)" in page and "matplotlib" in page and "rd_elasticity" in page
    record = json.loads((out / "report.json").read_text())
    assert {r["parameter"] for r in record["sensitivity"]} >= {"rd_elasticity", "interest"}
    # Same inputs, same figures: nothing time-dependent is written into them.
    assert report(tmp_path / "again").returncode == 0
    assert (tmp_path / "again" / "tornado.svg").read_text() == (out / "tornado.svg").read_text()
