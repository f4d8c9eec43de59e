"""The welfare model (equations and sources in docs/policylab.md).

Every function takes floats or NumPy arrays and broadcasts, so a sweep or a Monte Carlo run is one
vectorized call. Time is in years; discounting is per year at `interest`, with the annuity factor
A(a, b) = (R**a - R**b) / (1 - R), R = 1 / (1 + interest), which equals the textbook's discrete sum
of R**t for t = a .. b-1 at whole years and interpolates between them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

Num = Any  # float or numpy array; every expression below broadcasts
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Economy:
    """The market and the technology. Defaults reproduce the textbook example (Nordhaus 1969 as
    restated by Pepall, Richards & Norman, ch. 21.1) where it has a number; the distillation
    parameters are illustrative and meant to be set, or drawn, by the user."""

    competitive_price: Num = 70.0  # p_c, price before the innovation
    quantity: Num = 30.0  # Q0, quantity sold at p_c
    demand_slope: Num = 1.0  # b in P = a - bQ (the deadweight triangle needs it)
    rd_cost: Num = 15.0  # k in r(x) = k x^2
    interest: Num = 0.10
    rd_elasticity: Num = 1.0  # 1: the textbook's optimising innovator; 0: innovation is fixed
    reference_term: Num = 25.0  # years of protection the fixed innovation answers to
    substitution: Num = 0.5  # sigma: share of the teacher's market one licensed student takes
    student_quality: Num = 0.8  # q: student quality relative to the teacher
    student_margin: Num = 0.5  # m: share of the diverted rent the student keeps as profit
    distillation_cost: Num = 5.0  # d: one-off cost of distilling the student
    access_externality: Num = 0.0  # e: external benefit per unit of extra output per year
    creator_contribution: Num = 0.2  # theta: creators' works as a share of the teacher's R&D

    def with_values(self, **values: Num) -> Economy:
        return replace(self, **values)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class Levers:
    """The regime: exclusivity T1, compulsory-licence window T2, royalty rate, and who gets it."""

    exclusivity: Num = 0.0  # T1, years
    licence_window: Num = 2.0  # T2, years
    royalty_rate: Num = 0.3  # rho: share of the student's margin paid to the teacher
    licence_probability: Num = 1.0  # chance the compulsory licence is open in the window
    creator_royalty_share: Num = 0.0  # phi: share of royalties passed to creators


def discount(e: Economy) -> Num:
    return 1.0 / (1.0 + e.interest)


def annuity(e: Economy, start: Num, end: Num) -> Num:
    """Present value at t = 0 of 1 per year from `start` to `end` (end may be inf)."""
    r = discount(e)
    return (np.power(r, start) - np.power(r, end)) / (1.0 - r)


# --- The textbook model ------------------------------------------------------------------------


def nordhaus_innovation(e: Economy, term: Num) -> Num:
    """x*(T): the research intensity that maximises x Q0 A(0, T) - k x^2."""
    return e.quantity * annuity(e, 0.0, term) / (2.0 * e.rd_cost)


def nordhaus(e: Economy, term: Num) -> dict[str, Num]:
    """Innovator value, consumer gain after expiry and net surplus of a patent of length T."""
    x = nordhaus_innovation(e, term)
    profit = x * e.quantity
    consumer = profit + x * x / (2.0 * e.demand_slope)
    value = profit * annuity(e, 0.0, term)
    consumers = consumer * annuity(e, term, np.inf)
    cost = e.rd_cost * x * x
    return {
        "x": x,
        "value": value,
        "consumers": consumers,
        "cost": cost,
        "net": value + consumers - cost,
    }


# --- The framework's three phases --------------------------------------------------------------


def _innovation(e: Economy, protection: Num) -> Num:
    """Innovation as a function of the teacher's effective protection (annuity per unit of rent).

    With elasticity 1 this is the textbook's optimum Q0 W / (2k); with 0 it is the innovation a
    reference term would induce, whatever the regime; in between it interpolates (log-linear)."""
    reference = annuity(e, 0.0, e.reference_term)
    fixed = e.quantity * reference / (2.0 * e.rd_cost)
    return fixed * np.power(protection / reference, e.rd_elasticity)


def outcomes(e: Economy, lv: Levers) -> dict[str, Num]:
    """Present values of every party's gain under the three phases, and the lens scores."""
    t1, t2 = lv.exclusivity, lv.licence_window
    share = e.substitution * e.student_quality  # s: the teacher's rent a licensed student diverts
    rho, m, p = lv.royalty_rate, e.student_margin, lv.licence_probability
    a1 = annuity(e, 0.0, t1)
    a2 = annuity(e, t1, t1 + t2)
    a3 = annuity(e, t1 + t2, np.inf)
    entry_cost = e.distillation_cost * np.power(discount(e), t1)

    def given(enters: Num) -> dict[str, Num]:
        licensed = p * enters  # expected presence of a licensed student in phase 2
        protection = a1 + a2 * (1.0 - licensed * share * (1.0 - rho * m))
        x = _innovation(e, protection)
        rent = x * e.quantity  # pi
        full = rent + x * x / (2.0 * e.demand_slope)  # cs: consumers' gain once use is free
        return {
            "x": x,
            "rent": rent,
            "teacher": rent * protection,
            "royalties": licensed * rho * m * share * rent * a2,
            "student": licensed * ((1.0 - rho) * m * share * rent * a2 - entry_cost),
            "consumers": licensed * share * (full - m * rent) * a2 + full * a3,
            "externality": e.access_externality
            * (x / e.demand_slope)
            * (licensed * share * a2 + a3),
            "price_relief": x * (licensed * share * a2 + a3),
            "taken": licensed * m * share * rent * a2 + rent * a3,
            "rd_cost": e.rd_cost * x * x,
            "distillation_cost": licensed * entry_cost,
        }

    # The student distils only if its licensed profit covers the cost of distilling.
    with_entry = given(1.0)
    worthwhile = (1.0 - rho) * m * share * with_entry["rent"] * a2 >= entry_cost
    without = given(0.0)
    out: dict[str, Any] = {k: np.where(worthwhile, with_entry[k], without[k]) for k in with_entry}
    out["entry"] = worthwhile
    out["net_surplus"] = (
        out["teacher"] + out["student"] + out["consumers"] + out["externality"] - out["rd_cost"]
    )
    out.update(lenses(e, lv, out))
    return out


def lenses(e: Economy, lv: Levers, o: dict[str, Num]) -> dict[str, Num]:
    """The four normative lenses as numbers. Each is a modelling choice (docs/policylab.md)."""
    to_creators = lv.creator_royalty_share * o["royalties"]
    rewards = np.stack(
        np.broadcast_arrays(
            o["teacher"] - to_creators,  # the teacher developer
            o["student"] + o["distillation_cost"],  # the distiller, gross of its own labour cost
            to_creators,  # the data creators
        )
    ).astype(float)
    labour = np.stack(
        np.broadcast_arrays(
            o["rd_cost"], o["distillation_cost"], e.creator_contribution * o["rd_cost"]
        )
    ).astype(float)
    reward_share = rewards / np.maximum(rewards.sum(axis=0), 1e-12)
    labour_share = labour / np.maximum(labour.sum(axis=0), 1e-12)
    taken = np.asarray(o["taken"], dtype=float)
    return {
        "utilitarian": o["net_surplus"],
        "rawlsian": o["price_relief"],
        "lockean": 1.0 - 0.5 * np.abs(np.clip(reward_share, 0, None) - labour_share).sum(axis=0),
        "deontological": np.where(taken > 0, o["royalties"] / np.maximum(taken, 1e-12), 1.0),
    }


LENSES = ("utilitarian", "rawlsian", "lockean", "deontological")
