"""Calibration from data: the demand and substitution parameters the clearinghouse's settled
usage and the registry's disclosures reveal, each with its uncertainty, written as lab
assumptions that `lab uncertainty` and `lab report` draw from (docs/policylab.md, 7).

Pure functions over plain numbers; the doors read the rows (`licensing.settlement.settlements`,
`registry.queries.declared_teacher_shares`) and hand them in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from distillgov.errors import DistillgovError
from distillgov.licensing.settlement import settlements
from distillgov.policylab.model import ECONOMY_DOMAINS, Economy
from distillgov.registry.queries import declared_teacher_shares
from distillgov.storage.db import open_database

MIN_OBSERVATIONS = 4  # licence-months with a price, for a slope and its standard error


class NotEnoughData(DistillgovError):
    """The data cannot support an estimate."""


@dataclass(frozen=True)
class Estimate:
    parameter: str
    value: float
    standard_error: float
    observations: int
    method: str

    def as_distribution(self) -> dict[str, Any]:
        """A normal draw around the estimate, kept inside the parameter's domain."""
        domain = ECONOMY_DOMAINS[self.parameter]
        spec: dict[str, Any] = {"normal": [round(self.value, 6), round(self.standard_error, 6)]}
        spec["min"] = domain.low if not domain.low_open else domain.low + 1e-6
        if not math.isinf(domain.high):
            spec["max"] = domain.high if not domain.high_open else domain.high - 1e-6
        return spec


def _slope(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> tuple[float, float]:
    """Least squares slope of y on x (both already demeaned) and its standard error."""
    sxx = float(x @ x)
    if sxx <= 0:
        raise NotEnoughData("the data show no variation to estimate from")
    slope = float(x @ y) / sxx
    residual = y - slope * x
    dof = x.size - 1
    se = math.sqrt(float(residual @ residual) / dof / sxx) if dof > 0 else math.inf
    return slope, se


def _within(groups: Sequence[str], values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Values less their group's mean: each licence compared only with itself."""
    out = values.astype(float).copy()
    keys = np.asarray(groups)
    for g in np.unique(keys):
        rows = keys == g
        out[rows] -= out[rows].mean()
    return out


def demand(usage: Sequence[dict[str, Any]], e: Economy) -> list[Estimate]:
    """From each settled licence-month's units and revenue: the price elasticity of demand
    (log units on log price, within each licence), mapped to the model's demand slope at its
    reference point (b = p_c / (Q0 |elasticity|)); and the yearly fall in price per unit (log
    price on time, within each licence), read as the rent's decay."""
    rows = [r for r in usage if r["units"] > 0 and r["revenue_minor"] > 0]
    if len(rows) < MIN_OBSERVATIONS:
        raise NotEnoughData(
            f"settled usage: {len(rows)} licence-months with units and revenue; the demand "
            f"estimate needs at least {MIN_OBSERVATIONS} (settle some usage first)"
        )
    licences = [str(r["licence"]) for r in rows]
    price = np.array([r["revenue_minor"] / r["units"] for r in rows], dtype=float)
    units = np.array([float(r["units"]) for r in rows])
    months = np.array([_month_index(str(r["period"])) for r in rows], dtype=float)
    estimates: list[Estimate] = []
    log_p, log_q = _within(licences, np.log(price)), _within(licences, np.log(units))
    try:
        elasticity, se = _slope(log_p, log_q)
    except NotEnoughData:
        raise NotEnoughData(
            "settled usage: the price per unit never varies within a licence, so demand "
            "cannot be estimated"
        ) from None
    if elasticity < 0:
        slope = float(e.competitive_price) / (float(e.quantity) * -elasticity)
        # Delta method: d b / d eta = b / |eta|.
        estimates.append(
            Estimate(
                "demand_slope",
                slope,
                slope * se / -elasticity,
                len(rows),
                f"price elasticity {elasticity:.3f} (se {se:.3f}), log units on log price "
                "within licences, at the model's reference point",
            )
        )
    trend, trend_se = _slope(_within(licences, months), _within(licences, np.log(price)))
    yearly = 12.0 * trend
    if yearly < 0:
        decay = 1.0 - math.exp(yearly)
        estimates.append(
            Estimate(
                "rent_decay",
                decay,
                math.exp(yearly) * 12.0 * trend_se,
                len(rows),
                f"price per unit falls {100 * decay:.1f} % a year (log price on month within "
                "licences)",
            )
        )
    return estimates


def substitution(shares: Sequence[float]) -> Estimate:
    """The registry's declared shares of a student's training signal from one teacher, read as
    how closely students reproduce their teachers: a proxy for substitution, with its mean's
    standard error. A proxy only: disclosures do not report market shares."""
    if len(shares) < 2:
        raise NotEnoughData(
            f"registry: {len(shares)} declared teacher shares; substitution needs at least 2"
        )
    values = np.asarray(shares, dtype=float)
    return Estimate(
        "substitution",
        float(values.mean()),
        float(values.std(ddof=1) / math.sqrt(values.size)),
        int(values.size),
        "mean declared share of a student's training signal from one teacher (a proxy)",
    )


def assumptions_from(estimates: Sequence[Estimate], seed: int) -> dict[str, Any]:
    """A lab assumptions document that draws each estimated parameter around its estimate."""
    return {
        "seed": seed,
        "economy": {est.parameter: est.as_distribution() for est in estimates},
    }


def _month_index(period: str) -> int:
    year, month = period.split("-")[:2]
    return int(year) * 12 + int(month)


def calibrate_database(database: str | None, base: Any, output: Path, seed: int) -> dict[str, Any]:
    """Read the settled usage and the disclosures from a database, estimate, and write the
    assumptions file. What cannot be estimated is skipped and said, not guessed."""
    engine = open_database(database)
    estimates: list[Estimate] = []
    skipped: list[str] = []
    try:
        estimates += demand(settlements(engine), base.economy_point())
    except NotEnoughData as exc:
        skipped.append(exc.message)
    try:
        estimates.append(substitution(declared_teacher_shares(engine)))
    except NotEnoughData as exc:
        skipped.append(exc.message)
    if not estimates:
        raise NotEnoughData("nothing to calibrate from: " + "; ".join(skipped))
    document = assumptions_from(estimates, seed)
    document["calibration"] = base.calibration
    header = (
        "# Written by `distillgov lab calibrate`: each parameter drawn around its estimate\n"
        "# from the database's settled usage and disclosures (docs/policylab.md, 7).\n"
    )
    for est in estimates:
        header += f"# {est.parameter}: n {est.observations}; {est.method}\n"
    output.write_text(header + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return {"estimates": [est.__dict__ for est in estimates], "skipped": skipped}
