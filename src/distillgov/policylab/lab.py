"""Lab operations: sweep the levers, find the best, score profiles, and all that under uncertainty.

Lab assumptions the framework does not fix (the royalty rate each kind of rate-setter would set,
the chance that abuse is proven where the licence needs it, the creators' share of royalties where
the profile shares them) live in an assumptions file with documented defaults.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from distillgov.errors import DistillgovError, InputFileError, problems_from
from distillgov.inputs import read_document
from distillgov.jurisdictions.profile import Profile
from distillgov.policylab.model import (
    ECONOMY_DOMAINS,
    FRONTIER,
    LENSES,
    LEVER_DOMAINS,
    Domain,
    Economy,
    Levers,
    outcomes,
)

RateSetterName = Literal["negotiated", "tribunal", "state", "collective_body"]


# Illustrative rates (share of the student's margin) by who sets them; see docs/policylab.md.
DEFAULT_ROYALTY_RATES: dict[RateSetterName, float] = {
    "negotiated": 0.5,
    "tribunal": 0.3,
    "state": 0.2,
    "collective_body": 0.25,
}


class InvalidAssumptions(DistillgovError):
    """A lab assumptions file is malformed."""


class OutOfDomain(DistillgovError):
    """A lever or parameter given a value the model has no meaning for."""


def check_in(domain: Domain, field: str, value: float) -> None:
    """One clear line naming the field, the value and the range it must lie in."""
    if not domain.holds(float(value)):
        raise OutOfDomain(f"field '{field}', value {value!r}: must lie in {domain}")


def check_levers(lv: Levers, where: str = "") -> None:
    for name, domain in LEVER_DOMAINS.items():
        for v in np.atleast_1d(np.asarray(getattr(lv, name), dtype=float)).ravel():
            check_in(domain, f"{where}{name}", float(v))


class Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uniform: tuple[float, float] | None = None
    normal: tuple[float, float] | None = None  # mean, standard deviation
    lognormal: tuple[float, float] | None = None  # mu, sigma of the underlying normal
    min: float | None = None
    max: float | None = None

    @field_validator("uniform", "normal", "lognormal", "min", "max", mode="after")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        values = v if isinstance(v, tuple) else (v,)
        if any(x is not None and not np.isfinite(x) for x in values):
            raise ValueError("must be finite numbers (no nan or inf)")
        return v

    @field_validator("uniform")
    @classmethod
    def _ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and v[0] > v[1]:
            raise ValueError("uniform bounds must be [low, high]")
        return v

    @field_validator("normal", "lognormal")
    @classmethod
    def _spread(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and v[1] < 0:
            raise ValueError("the spread (second number) must be 0 or more")
        return v

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
        if self.uniform is not None:
            values = rng.uniform(*self.uniform, n)
        elif self.normal is not None:
            values = rng.normal(*self.normal, n)
        elif self.lognormal is not None:
            values = rng.lognormal(*self.lognormal, n)
        else:
            raise ValueError("give one of uniform, normal or lognormal")
        return (
            np.clip(values, self.min, self.max) if (self.min, self.max) != (None, None) else values
        )


class Assumptions(BaseModel):
    """What the lab assumes beyond the profiles. Every field has a documented default."""

    model_config = ConfigDict(extra="forbid")

    calibration: Literal["frontier", "textbook"] = "frontier"
    economy: dict[str, float | Distribution] = Field(default_factory=dict)
    royalty_rate: dict[RateSetterName, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: dict(DEFAULT_ROYALTY_RATES)
    )
    abuse_proven_probability: float = Field(0.2, ge=0, le=1)
    creator_royalty_share: float = Field(0.3, ge=0, le=1)
    seed: int = 20261123
    draws: int = Field(10_000, ge=1, le=10_000_000)

    @field_validator("economy")
    @classmethod
    def _known(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name, spec in v.items():
            if name not in Economy.names():
                close = difflib.get_close_matches(name, Economy.names(), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"unknown parameter '{name}'{hint}")
            domain = ECONOMY_DOMAINS[name]
            # A distribution's draws are clipped to the domain; its centre must lie in it.
            centre = spec if isinstance(spec, float) else _centre(spec)
            if not domain.holds(centre):
                what = "value" if isinstance(spec, float) else "centre of the distribution"
                raise ValueError(f"parameter '{name}', {what} {centre!r}: must lie in {domain}")
        return v

    def base(self) -> Economy:
        """The economy before the file's own values: the textbook, or the frontier calibration."""
        return Economy() if self.calibration == "textbook" else Economy().with_values(**FRONTIER)

    def economy_point(self) -> Economy:
        """The economy with fixed values and each distribution's mean-ish centre."""
        values = {k: (v if isinstance(v, float) else _centre(v)) for k, v in self.economy.items()}
        return self.base().with_values(**values)

    def economy_draws(self, n: int, seed: int) -> Economy:
        rng = np.random.default_rng(seed)
        values: dict[str, Any] = {}
        for name in Economy.names():  # a fixed order, so a seed always gives the same draws
            spec = self.economy.get(name)
            if isinstance(spec, Distribution):
                drawn = ECONOMY_DOMAINS[name].clip(spec.draw(rng, n))
                values[name] = drawn[:, None]  # draws down, the grid across
            elif spec is not None:
                values[name] = spec
        return self.base().with_values(**values)


def _centre(d: Distribution) -> float:
    if d.uniform is not None:
        return (d.uniform[0] + d.uniform[1]) / 2
    if d.normal is not None:
        return d.normal[0]
    assert d.lognormal is not None
    return float(np.exp(d.lognormal[0] + d.lognormal[1] ** 2 / 2))


def load_assumptions(path: Path | None) -> Assumptions:
    if path is None:
        return Assumptions()
    try:
        raw = read_document(path) or {}
    except InputFileError as exc:
        raise InvalidAssumptions(exc.message) from None
    try:
        return Assumptions.model_validate(raw)
    except ValidationError as exc:
        problems = problems_from(exc, Assumptions)
        raise InvalidAssumptions(f"{path}: invalid assumptions", problems) from None


def levers_for(profile: Profile, on: dt.date, a: Assumptions) -> Levers:
    """A profile's levers in force on a date, as the model's numbers."""
    v = profile.as_of(on).values
    exclusivity = v["exclusivity.months"] / 12
    if v["exclusivity.model"] == "is_licence_window":
        t1, t2 = 0.0, exclusivity
    else:
        t1, t2 = exclusivity, v["licence_window.months"] / 12
    always = v["royalty.compulsory_licence_trigger"] == "always"
    fixed = v.get("royalty.revenue_percent")
    if fixed is not None:  # the profile fixes the rate: back from revenue to the student's margin
        margin = float(a.economy_point().student_operating_margin)
        rate = min(1.0, float(fixed) / 100.0 / margin)
    else:
        rate = a.royalty_rate[v["royalty.rate_setter"]]
    return Levers(
        exclusivity=t1,
        licence_window=t2,
        royalty_rate=rate,
        licence_probability=1.0 if always else a.abuse_proven_probability,
        creator_royalty_share=a.creator_royalty_share if v["royalty.shared_with_creators"] else 0.0,
    )


MAX_GRID = 100_000  # points on one axis: a grid is materialised in memory


def grid(spec: str, name: str, domain: Domain | None = None) -> np.ndarray[Any, Any]:
    """'a:b:n' -> n evenly spaced values from a to b; 'v' -> the single value v. Every value
    must lie in the lever's domain."""
    try:
        parts = [float(p) for p in spec.split(":")]
    except ValueError:
        raise DistillgovError(
            f"option --{name}, value {spec!r}: write START:STOP:COUNT or a number"
        ) from None
    if len(parts) not in (1, 3) or (
        len(parts) == 3 and (not 1 <= parts[2] <= MAX_GRID or parts[2] != int(parts[2]))
    ):
        raise DistillgovError(
            f"option --{name}, value {spec!r}: write START:STOP:COUNT, COUNT 1 to {MAX_GRID:,}"
        )
    ends = parts[:2] if len(parts) == 3 else parts
    if domain is not None:
        for v in ends:
            if not domain.holds(v):
                raise OutOfDomain(f"option --{name}, value {v:g}: must lie in {domain}")
    if len(parts) == 1:
        return np.array(parts)
    return np.linspace(parts[0], parts[1], int(parts[2]))


def on_edge(table: dict[str, np.ndarray[Any, Any]], chosen: dict[str, float]) -> list[str]:
    """A warning for each lever whose optimum sits on the edge of a grid that varied it: the
    true optimum may lie beyond it, or (at the lever's own limit) it is a corner solution."""
    warnings = []
    for lever in ("exclusivity", "licence_window", "royalty_rate"):
        values = np.unique(table[lever])
        v = chosen[lever]
        if values.size < 2 or v not in (values[0], values[-1]):
            continue
        side = "lowest" if v == values[0] else "highest"
        domain = LEVER_DOMAINS[lever]
        if v in (domain.low, domain.high):
            warnings.append(
                f"{lever}: the optimum {v:g} is the {side} value the lever can take: a corner "
                "solution, which the lens prefers to every value inside"
            )
        else:
            warnings.append(
                f"{lever}: the optimum {v:g} is the {side} value of the grid "
                f"[{values[0]:g}, {values[-1]:g}]; widen it to see whether it lies beyond"
            )
    return warnings


def sweep(
    e: Economy,
    t1: np.ndarray[Any, Any],
    t2: np.ndarray[Any, Any],
    rho: np.ndarray[Any, Any],
    base: Levers,
) -> dict[str, np.ndarray[Any, Any]]:
    """Every combination of the three grids, flattened, with every outcome and lens."""
    g1, g2, g3 = (m.ravel() for m in np.meshgrid(t1, t2, rho, indexing="ij"))
    lv = Levers(g1, g2, g3, base.licence_probability, base.creator_royalty_share)
    out = outcomes(e, lv)
    table = {"exclusivity": g1, "licence_window": g2, "royalty_rate": g3}
    for key in ("x", "teacher", "student", "consumers", "royalties", "net_surplus", *LENSES):
        table[key] = np.broadcast_to(np.asarray(out[key], dtype=float), g1.shape)
    return table


def best(table: dict[str, np.ndarray[Any, Any]], objective: str) -> dict[str, float]:
    i = int(np.argmax(table[objective]))
    return {k: float(v[i]) for k, v in table.items()}


def revenue_percent(royalty_rate: float, e: Economy) -> float:
    """The model's rate (a share of the student's profit) as the clearinghouse's tariff form, a
    percentage of the licensee's revenue: profit is `student_operating_margin` of revenue. A
    per-unit tariff is that percentage of the price per unit."""
    return round(100.0 * royalty_rate * float(e.student_operating_margin), 4)


def compare(e: Economy, levers: dict[str, Levers]) -> dict[str, dict[str, float]]:
    scores: dict[str, dict[str, float]] = {}
    for name, lv in levers.items():
        out = outcomes(e, lv)
        scores[name] = {
            "exclusivity": float(lv.exclusivity),
            "licence_window": float(lv.licence_window),
            "royalty_rate": float(lv.royalty_rate),
            **{lens: float(out[lens]) for lens in LENSES},
        }
    return scores


WINDOWS = ("exclusivity", "licence")
HELD_LICENCE_WINDOW = 2.0  # years: the middle of the cloning row's one-to-three-year window


def window_levers(
    kind: str, windows: Any, royalty_rate: float, held: float = HELD_LICENCE_WINDOW
) -> Levers:
    """Levers that vary one window over the given lengths and hold the other: an exclusivity
    followed by a licence window of `held` years, or a licence window with no exclusivity
    (`held` is then ignored: the exclusivity-is-the-window model has none)."""
    if kind == "exclusivity":
        return Levers(windows, held, royalty_rate, 1.0, 0.0)
    if kind == "licence":
        return Levers(0.0, windows, royalty_rate, 1.0, 0.0)
    raise DistillgovError(f"option --window-kind, value {kind!r}: choose exclusivity or licence")


def uncertainty(
    a: Assumptions,
    levers: dict[str, Levers],
    windows: np.ndarray[Any, Any],
    draws: int,
    seed: int,
    royalty_rate: float,
    kind: str = "exclusivity",
    held: float = HELD_LICENCE_WINDOW,
) -> dict[str, Any]:
    """Monte Carlo: per draw, the window (of the given kind, the other held) that maximises net
    surplus, and each profile's regret against that optimum."""
    e = a.economy_draws(draws, seed)
    lv = window_levers(kind, windows[None, :], royalty_rate, held)
    surplus = np.broadcast_to(outcomes(e, lv)["net_surplus"], (draws, windows.size))
    best_index = np.argmax(surplus, axis=1)
    optimum = surplus[np.arange(draws), best_index]
    regret = {
        name: optimum - np.broadcast_to(outcomes(e, p)["net_surplus"], (draws, 1))[:, 0]
        for name, p in levers.items()
    }
    chosen = windows[best_index]
    median = np.quantile(surplus, 0.5, axis=0)
    varied = "exclusivity" if kind == "exclusivity" else "licence_window"
    return {
        "draws": draws,
        "seed": seed,
        "window_kind": kind,
        "held_licence_window": held if kind == "exclusivity" else None,
        "calibration": a.calibration,
        "optimal_window_quantiles": {
            f"p{round(q * 100):02d}": float(np.quantile(chosen, q))
            for q in (0.05, 0.25, 0.5, 0.75, 0.95)
        },
        "optimal_window_mean": float(chosen.mean()),
        "welfare_by_window": {
            "window": windows.tolist(),
            "p05": np.quantile(surplus, 0.05, axis=0).tolist(),
            "median": np.quantile(surplus, 0.5, axis=0).tolist(),
            "p95": np.quantile(surplus, 0.95, axis=0).tolist(),
        },
        "optimum_of_median": {
            "window": float(windows[int(np.argmax(median))]),
            "median": float(median.max()),
        },
        "profiles": {
            name: {
                "window": float(getattr(p, varied)),
                "median": float(
                    np.quantile(np.broadcast_to(outcomes(e, p)["net_surplus"], (draws, 1)), 0.5)
                ),
            }
            for name, p in levers.items()
        },
        "regret": {
            name: {"mean": float(r.mean()), "p95": float(np.quantile(r, 0.95))}
            for name, r in regret.items()
        },
        "warnings": _edge_draws(chosen, windows, LEVER_DOMAINS[varied]),
    }


def _edge_draws(chosen: Any, windows: Any, domain: Domain) -> list[str]:
    """Say how many draws found their optimum on an edge of the window grid."""
    warnings: list[str] = []
    if windows.size < 2:
        return warnings
    for edge, side in ((windows[0], "lowest"), (windows[-1], "highest")):
        share = float(np.mean(chosen == edge))
        if share == 0:
            continue
        limit = edge in (domain.low, domain.high)
        where = "the lever's own limit" if limit else "the grid's edge; widen the grid"
        warnings.append(
            f"{100 * share:.1f} % of draws have their optimum at the {side} window, {edge:g} "
            f"years ({where})"
        )
    return warnings
