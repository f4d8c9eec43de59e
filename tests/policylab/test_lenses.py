"""The four lenses as the lens table states them, each against the failure it must not reward,
and the model's extensions (rent decay, pass-through, an open economy)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.policylab.lab import Assumptions, best, grid, on_edge, sweep, uncertainty
from distillgov.policylab.model import FRONTIER, LENSES, Economy, Levers, annuity, outcomes
from tests.policylab import strategies

TEXTBOOK = Economy()
TERMS = np.linspace(0.0, 60.0, 241)


def _over_exclusivity(e: Economy, lens: str, **levers: float) -> np.ndarray:
    lv = Levers(TERMS, levers.get("window", 2.0), levers.get("royalty", 0.3), 1.0, 0.3)
    return np.broadcast_to(outcomes(e, lv)[lens], TERMS.shape)


@pytest.mark.parametrize("lens", LENSES)
def test_every_lens_has_an_interior_optimum_on_the_textbook_parameters(lens: str) -> None:
    scores = _over_exclusivity(TEXTBOOK, lens)
    at = int(np.argmax(scores))
    assert 0 < at < TERMS.size - 1, f"{lens}: optimum at {TERMS[at]} years, a grid edge"
    assert scores[at] > scores[0] and scores[at] > scores[-1]


@pytest.mark.parametrize("lens", LENSES)
def test_no_innovation_scores_nothing_on_any_lens(lens: str) -> None:
    # No protection at all and an innovator who responds fully: nothing is made.
    out = outcomes(TEXTBOOK, Levers(0.0, 0.0, 0.3))
    assert out["x"] == 0.0
    assert out[lens] == pytest.approx(0.0, abs=1e-12)
    assert _over_exclusivity(TEXTBOOK, lens).max() > 1.0


@pytest.mark.parametrize("lens", ["lockean", "rawlsian"])
def test_perpetual_control_leaves_nothing_to_others(lens: str) -> None:
    out = outcomes(TEXTBOOK, Levers(np.inf, 0.0, 0.3))
    assert out["x"] > 0 and out[lens] == pytest.approx(0.0, abs=1e-9)


def test_the_lockean_lens_rewards_labour_in_proportion() -> None:
    # Creators labour (theta > 0): sharing royalties with them brings rewards closer to labour.
    lv = dict(exclusivity=2.0, licence_window=5.0, royalty_rate=0.4)
    unshared = outcomes(TEXTBOOK, Levers(**lv, creator_royalty_share=0.0))
    shared = outcomes(TEXTBOOK, Levers(**lv, creator_royalty_share=0.5))
    assert shared["proportionality"] > unshared["proportionality"]
    assert 0 <= unshared["proportionality"] <= 1


def test_a_paid_licence_is_not_a_taking_and_free_use_after_recoupment_is_none() -> None:
    # The textbook innovator always recoups its labour (its value is twice its R&D cost), so
    # however long the free-use phase, the deontological lens finds no taking.
    out = outcomes(TEXTBOOK, Levers(TERMS, 3.0, 0.3))
    assert np.all(out["takings"] == 0)
    # With innovation fixed by a reference term, a short protection leaves the labour unrecouped:
    # that is a taking, and licence years (paid) recoup it where free years would not.
    fixed = TEXTBOOK.with_values(rd_elasticity=0.0)
    free = outcomes(fixed, Levers(0.5, 0.0, 0.3))
    paid = outcomes(fixed, Levers(0.5, 5.0, 0.3))
    assert free["takings"] > 0 and paid["takings"] < free["takings"]


def test_the_deontological_lens_is_not_the_share_of_free_years() -> None:
    # The old measure scored every profile near zero; the new one gives real, distinct values.
    a = Assumptions(calibration="textbook")
    scores = [
        float(outcomes(a.economy_point(), Levers(t1, t2, 0.3))["deontological"])
        for t1, t2 in ((2.0, 3.0), (0.5, 2.0), (0.0, 1.0))
    ]
    assert all(s > 100 for s in scores) and len(set(scores)) == 3


def test_uncompensated_creators_weaken_the_teachers_claim() -> None:
    fixed = TEXTBOOK.with_values(rd_elasticity=0.0)
    lv = dict(exclusivity=0.5, licence_window=0.0, royalty_rate=0.3)
    unpaid = outcomes(fixed, Levers(**lv, creator_royalty_share=0.0))
    # Same taking from the teacher, smaller weight: the clean-hands caveat of the lens table.
    assert unpaid["takings"] < max(0.0, unpaid["rd_cost"] - unpaid["teacher"])


def test_pass_through_makes_the_royalty_cost_consumers() -> None:
    e = TEXTBOOK.with_values(pass_through=0.5, rd_elasticity=0.0, distillation_cost=0.0)
    rates = np.linspace(0, 1, 11)
    out = outcomes(e, Levers(0.0, 5.0, rates))
    assert np.all(np.diff(out["consumers"]) < 0)
    # With innovation fixed, a royalty is a transfer plus a deadweight loss: surplus falls.
    assert np.all(np.diff(out["net_surplus"]) < 0)
    without = outcomes(
        TEXTBOOK.with_values(rd_elasticity=0.0, distillation_cost=0.0), Levers(0.0, 5.0, rates)
    )
    assert np.allclose(np.diff(without["net_surplus"]), 0)  # the old model: free to consumers


def test_an_optimum_on_the_edge_of_the_grid_carries_a_warning() -> None:
    e = Assumptions().economy_point()
    table = sweep(e, grid("0:1:3", "x"), np.array([2.0]), grid("0:1:21", "royalty"), Levers())
    chosen = best(table, "utilitarian")
    warnings = on_edge(table, chosen)
    assert chosen["royalty_rate"] == 1.0  # royalties finance innovation; the triangle is small
    assert any(
        w.startswith("royalty_rate: the optimum 1 is the highest value the lever can take")
        for w in warnings
    )
    assert any(
        w.startswith("exclusivity: the optimum 1 is the highest value of the grid [0, 1]")
        for w in warnings
    )
    inside = sweep(e, grid("0:20:21", "x"), np.array([2.0]), np.array([0.3]), Levers())
    assert on_edge(inside, best(inside, "utilitarian")) == []


def test_rent_decay_shortens_the_optimal_exclusivity() -> None:
    def optimum(decay: float) -> float:
        e = TEXTBOOK.with_values(rent_decay=decay)
        return float(TERMS[np.argmax(_over_exclusivity(e, "utilitarian"))])

    assert optimum(0.0) > optimum(0.2) > optimum(0.5)
    assert annuity(TEXTBOOK.with_values(rent_decay=0.5), 0.0, np.inf) == pytest.approx(
        1 / (1 - 0.5 / 1.1)
    )


def test_a_foreign_market_keeps_innovation_up_when_home_protection_falls() -> None:
    closed = outcomes(TEXTBOOK, Levers(0.0, 0.0, 0.3))
    opened = outcomes(TEXTBOOK.with_values(foreign_market_share=0.5), Levers(0.0, 0.0, 0.3))
    assert closed["x"] == 0 and opened["x"] > 0
    # Home consumers are half the market: they get half of what the innovation offers.
    full = outcomes(TEXTBOOK, Levers(0.0, 0.0, 0.3))
    assert opened["consumers"] > full["consumers"]


def test_the_frontier_calibration_changes_what_the_textbook_concluded() -> None:
    textbook = float(TERMS[np.argmax(_over_exclusivity(TEXTBOOK, "utilitarian"))])
    frontier = Economy().with_values(**FRONTIER)
    calibrated = float(TERMS[np.argmax(_over_exclusivity(frontier, "utilitarian"))])
    assert textbook > 15 and calibrated < 10


economies = strategies.economies()


@settings(max_examples=200, deadline=None)
@given(economies, st.floats(0, 30), st.floats(0, 30), st.floats(0, 1), st.floats(0, 1))
def test_every_lens_is_finite_and_takings_never_negative(
    e: Economy, t1: float, t2: float, rho: float, phi: float
) -> None:
    out = outcomes(e, Levers(t1, t2, rho, 1.0, phi))
    for lens in LENSES:
        assert np.isfinite(out[lens])
    assert out["takings"] >= 0 and 0 <= out["proportionality"] <= 1 + 1e-12
    assert out["rawlsian"] >= -1e-12


@settings(max_examples=200, deadline=None)
@given(
    strategies.economies(rd_elasticity=0.0),
    st.floats(0, 30),
    st.floats(0, 30),
    st.floats(0, 0.99),
    st.floats(0.001, 0.5),
)
def test_a_higher_royalty_never_adds_to_the_takings(
    e: Economy, t1: float, t2: float, rho: float, more: float
) -> None:
    # For the same innovation. Where R&D responds to the royalty, a higher royalty can draw in
    # more R&D than the teacher's profit recoups (the model's response is a reduced-form
    # elasticity, not the teacher's optimum): that unrecouped cost is the teacher's own choice,
    # not something others took, so the property is stated for fixed innovation (found by
    # Hypothesis: rd_elasticity 0.5, a 1-year window, royalty 0 -> 0.5).
    low = outcomes(e, Levers(t1, t2, rho))
    high = outcomes(e, Levers(t1, t2, min(rho + more, 1.0)))
    if bool(low["entry"]) == bool(high["entry"]):
        assert high["takings"] <= low["takings"] + 1e-9


@settings(max_examples=200, deadline=None)
@given(economies, st.floats(0, 30), st.floats(0, 30), st.floats(0, 1), st.floats(0.01, 10))
def test_with_fixed_innovation_longer_exclusivity_gives_the_public_and_the_worst_off_less(
    e: Economy, t1: float, t2: float, rho: float, more: float
) -> None:
    fixed = e.with_values(rd_elasticity=0.0, distillation_cost=0.0)
    now, later = outcomes(fixed, Levers(t1, t2, rho)), outcomes(fixed, Levers(t1 + more, t2, rho))
    public_now = now["consumers"] + now["externality"]
    public_later = later["consumers"] + later["externality"]
    assert public_later <= public_now + 1e-9
    assert later["rawlsian"] <= now["rawlsian"] + 1e-9


def test_uncertainty_warns_when_draws_find_their_optimum_on_the_grid_edge() -> None:
    a = Assumptions.model_validate({"economy": {"rd_elasticity": {"uniform": [0, 1]}}})
    narrow = uncertainty(a, {}, grid("0:2:5", "w"), 300, 1, 0.3)
    assert any("at the highest window, 2 years (the grid's edge" in w for w in narrow["warnings"])
    wide = uncertainty(a, {}, grid("0:60:61", "w"), 300, 1, 0.3)
    assert not any("highest" in w for w in wide["warnings"])
