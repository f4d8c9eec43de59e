"""The welfare model (equations and sources in docs/policylab.md).

Every function takes floats or NumPy arrays and broadcasts, so a sweep or a Monte Carlo run is one
vectorized call. Time is in years; discounting is per year at `interest`, with the annuity factor
A(a, b) = (R**a - R**b) / (1 - R), R = 1 / (1 + interest), which equals the textbook's discrete sum
of R**t for t = a .. b-1 at whole years and interpolates between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

Num = Any  # float or numpy array; every expression below broadcasts
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Economy:
    """The market and the technology. Defaults reproduce the textbook example (Nordhaus 1969 as
    restated by Pepall, Richards & Norman, ch. 21.1) where it has a number, and switch off every
    extension (no rent decay, no pass-through, a closed economy), so `Economy()` *is* the
    textbook. The lab's own defaults are the documented frontier calibration (`FRONTIER`)."""

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
    rent_decay: Num = 0.0  # delta: share of the model's value lost each year to successors
    pass_through: Num = 0.0  # tau: share of the royalty the student passes on in its price
    foreign_market_share: Num = 0.0  # omega: share of the teacher's market abroad
    foreign_protection: Num = 25.0  # years of exclusivity the teacher has abroad
    student_operating_margin: Num = 0.4  # mu: the student's profit over its revenue (tariffs)

    def with_values(self, **values: Num) -> Economy:
        return replace(self, **values)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


# The frontier calibration: the lab's defaults (sources and reasoning in docs/policylab.md, 6).
FRONTIER: dict[str, float] = {
    "rent_decay": 0.5,  # leaders are overtaken within months; equal-quality prices fall >= 10x/yr
    "rd_elasticity": 0.5,  # no identified estimate for frontier AI; the middle of [0, 1]
    "pass_through": 0.5,  # a monopolist facing linear demand passes half a unit cost on
    "student_quality": 0.9,  # distilled reasoners near their teachers on the reported benchmarks
    "distillation_cost": 0.5,  # a few hundred dollars to a few million against a frontier budget
}


@dataclass(frozen=True)
class Levers:
    """The regime: exclusivity T1, compulsory-licence window T2, royalty rate, and who gets it."""

    exclusivity: Num = 0.0  # T1, years
    licence_window: Num = 2.0  # T2, years
    royalty_rate: Num = 0.3  # rho: share of the student's margin paid to the teacher
    licence_probability: Num = 1.0  # chance the compulsory licence is open in the window
    creator_royalty_share: Num = 0.0  # phi: share of royalties passed to creators


@dataclass(frozen=True, slots=True)
class Domain:
    """The values a parameter or lever may take: low and high, each inclusive or not."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def holds(self, v: float) -> bool:
        if math.isnan(v):
            return False
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return above and below

    def __str__(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open or math.isinf(self.high) else "]"
        high = "inf" if math.isinf(self.high) else f"{self.high:g}"
        return f"{left}{self.low:g}, {high}{right}"

    def clip(self, values: Any) -> Any:
        """Draws of a distribution kept inside the domain (an open end is kept just inside)."""
        tiny = 1e-9
        low = self.low + tiny if self.low_open else self.low
        high = self.high - tiny if self.high_open and not math.isinf(self.high) else self.high
        return np.clip(values, low, high)


POSITIVE = Domain(0.0, math.inf, low_open=True, high_open=True)
NON_NEGATIVE = Domain(0.0, math.inf, high_open=True)
SHARE = Domain(0.0, 1.0)
YEARS = Domain(0.0, 200.0)

ECONOMY_DOMAINS: dict[str, Domain] = {
    "competitive_price": POSITIVE,
    "quantity": POSITIVE,
    "demand_slope": POSITIVE,
    "rd_cost": POSITIVE,
    "interest": Domain(0.0, 1.0, low_open=True),
    "rd_elasticity": SHARE,
    "reference_term": Domain(0.0, 200.0, low_open=True),
    "substitution": SHARE,
    "student_quality": SHARE,
    "student_margin": SHARE,
    "distillation_cost": NON_NEGATIVE,
    "access_externality": NON_NEGATIVE,
    "creator_contribution": Domain(0.0, 10.0),
    "rent_decay": Domain(0.0, 1.0, high_open=True),
    "pass_through": SHARE,
    "foreign_market_share": Domain(0.0, 1.0, high_open=True),
    "foreign_protection": YEARS,
    "student_operating_margin": Domain(0.0, 1.0, low_open=True),
}
LEVER_DOMAINS: dict[str, Domain] = {
    "exclusivity": YEARS,
    "licence_window": YEARS,
    "royalty_rate": SHARE,
    "licence_probability": SHARE,
    "creator_royalty_share": SHARE,
}


def discount(e: Economy) -> Num:
    """The pure discount factor R = 1 / (1 + i): for one-off sums such as the distillation cost."""
    return 1.0 / (1.0 + e.interest)


def decayed(e: Economy) -> Num:
    """The factor for the innovation's flows: discounted, and shrinking as successors arrive."""
    return (1.0 - e.rent_decay) / (1.0 + e.interest)


def annuity(e: Economy, start: Num, end: Num) -> Num:
    """Present value at t = 0 of a flow worth 1 at t = 0 that decays at `rent_decay`, from
    `start` to `end` (end may be inf)."""
    r = decayed(e)
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
    """Present values of every party's gain under the three phases, and the lens scores.

    Domestic welfare: the regime's levers govern the domestic share (1 - omega) of the teacher's
    market; abroad the teacher keeps `foreign_protection` years of exclusivity whatever they say."""
    t1, t2 = lv.exclusivity, lv.licence_window
    share = e.substitution * e.student_quality  # s: the teacher's rent a licensed student diverts
    rho, m, p, tau = lv.royalty_rate, e.student_margin, lv.licence_probability, e.pass_through
    home = 1.0 - e.foreign_market_share
    a1 = annuity(e, 0.0, t1)
    a2 = annuity(e, t1, t1 + t2)
    a3 = annuity(e, t1 + t2, np.inf)
    abroad = e.foreign_market_share * annuity(e, 0.0, e.foreign_protection)
    entry_cost = e.distillation_cost * np.power(discount(e), t1)

    def given(enters: Num) -> dict[str, Num]:
        licensed = p * enters  # expected presence of a licensed student in phase 2
        protection = home * (a1 + a2 * (1.0 - licensed * share * (1.0 - rho * m))) + abroad
        x = _innovation(e, protection)
        rent = x * e.quantity  # pi
        triangle = x * x / (2.0 * e.demand_slope)  # what the priced-out users gain once use is free
        full = rent + triangle  # cs: consumers' gain once use is free
        royalty = rho * m * share * rent  # a year's royalty in the window
        # The student passes tau of the royalty on: its price rises by tau x the royalty per unit.
        rise = tau * rho * m * rent / (e.quantity + x / e.demand_slope)
        deadweight = share * rise * rise / (2.0 * e.demand_slope)
        kept = m * share * rent - (1.0 - tau) * royalty  # the student's yearly profit after royalty
        relief_lost = tau * royalty + deadweight  # what the royalty passed on costs buyers
        return {
            "x": x,
            "rent": rent,
            "teacher": rent * protection,
            "royalties": home * licensed * royalty * a2,
            "student_profit": home * kept * a2,
            "student": licensed * (home * kept * a2 - entry_cost),
            # Buyers can always return to the teacher at p_c: a licensed student whose price,
            # with the royalty passed on, would leave them worse off is not bought from.
            "consumers": home
            * (
                licensed * np.maximum(0.0, share * (full - m * rent) - relief_lost) * a2 + full * a3
            ),
            "externality": e.access_externality
            * (x / e.demand_slope)
            * home
            * (licensed * share * a2 + a3),
            "least_advantaged": home
            * (
                licensed * share * np.maximum(0.0, x - rise) ** 2 / (2.0 * e.demand_slope) * a2
                + triangle * a3
            ),
            "rd_cost": e.rd_cost * x * x,
            "distillation_cost": licensed * entry_cost,
        }

    # The student distils only if its licensed profit covers the cost of distilling.
    with_entry = given(1.0)
    worthwhile = with_entry["student_profit"] >= entry_cost
    without = given(0.0)
    out: dict[str, Any] = {k: np.where(worthwhile, with_entry[k], without[k]) for k in with_entry}
    out["entry"] = worthwhile
    out["net_surplus"] = (
        out["teacher"] + out["student"] + out["consumers"] + out["externality"] - out["rd_cost"]
    )
    out.update(lenses(e, lv, out))
    return out


def lenses(e: Economy, lv: Levers, o: dict[str, Num]) -> dict[str, Num]:
    """The four normative lenses as numbers, each in present-value units (docs/policylab.md, 3).

    Each is built so that its known failure cannot win: no innovation scores nothing on every
    lens (nothing is created, nobody gains), perpetual control scores nothing on the Lockean and
    Rawlsian lenses (nothing is left to others), and a paid licence is not a taking."""
    to_creators = lv.creator_royalty_share * o["royalties"]
    creators_due = e.creator_contribution * o["rd_cost"]
    rewards = np.stack(
        np.broadcast_arrays(
            o["teacher"] - to_creators,  # the teacher developer
            o["student"] + o["distillation_cost"],  # the distiller, gross of its own labour cost
            to_creators,  # the data creators
        )
    ).astype(float)
    labour = np.stack(
        np.broadcast_arrays(o["rd_cost"], o["distillation_cost"], creators_due)
    ).astype(float)
    reward_share = np.clip(rewards, 0, None) / np.maximum(
        np.clip(rewards, 0, None).sum(axis=0), 1e-12
    )
    labour_share = labour / np.maximum(labour.sum(axis=0), 1e-12)
    proportionality = 1.0 - 0.5 * np.abs(reward_share - labour_share).sum(axis=0)
    left_to_others = o["consumers"] + o["externality"]  # the proviso: what the public gains
    # Deontological: the value of others' access, gross of what they paid for it (a royalty is
    # compensation, not a loss), less what was taken without just compensation: the teacher's
    # labour not recouped, weighed by its clean hands (its creators' share paid).
    covered = np.where(
        creators_due > 0, np.minimum(1.0, to_creators / np.maximum(creators_due, 1e-12)), 1.0
    )
    standing = 1.0 - e.creator_contribution / (1.0 + e.creator_contribution) * (1.0 - covered)
    unrecouped = np.maximum(0.0, o["rd_cost"] - o["teacher"])
    access = o["consumers"] + o["student"] + o["royalties"] + o["externality"]
    return {
        "proportionality": proportionality,
        "takings": standing * unrecouped,
        "utilitarian": o["net_surplus"],
        "rawlsian": o["least_advantaged"],
        "lockean": proportionality * left_to_others,
        "deontological": access - standing * unrecouped,
    }


LENSES = ("utilitarian", "rawlsian", "lockean", "deontological")
