"""Figures and an HTML report a person would rather look at than read.

Three figures, each as PNG and SVG: net surplus against the licence window with its uncertainty
band, the profiles' lens scores side by side, and a tornado chart of how far each parameter moves
the optimal window. The HTML report embeds the SVGs (no external requests) and records the
parameters, seed and versions, so a report can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import numpy as np

from distillgov import __version__
from distillgov.policylab.lab import (
    HELD_LICENCE_WINDOW,
    Assumptions,
    Distribution,
    compare,
    uncertainty,
    window_levers,
)
from distillgov.policylab.model import LENSES, Economy, Levers, outcomes

# Parameters varied in the tornado chart when the assumptions give no distribution for them.
TORNADO = (
    "rd_elasticity",
    "interest",
    "substitution",
    "student_quality",
    "student_margin",
    "distillation_cost",
    "access_externality",
    "rent_decay",
    "pass_through",
)

SHARES = frozenset(
    {"rd_elasticity", "substitution", "student_quality", "student_margin", "pass_through"}
)
BELOW_ONE = frozenset({"rent_decay"})  # a share that must stay under 1


def _optimal_window(
    e: Economy, windows: np.ndarray[Any, Any], royalty: float, kind: str, held: float
) -> float:
    surplus = outcomes(e, window_levers(kind, windows, royalty, held))["net_surplus"]
    return float(windows[int(np.argmax(np.broadcast_to(surplus, windows.shape)))])


def _range(name: str, centre: float, spec: Any, seed: int) -> tuple[float, float]:
    if isinstance(spec, Distribution):
        sample = spec.draw(np.random.default_rng(seed), 4000)
        return float(np.quantile(sample, 0.1)), float(np.quantile(sample, 0.9))
    if name == "access_externality" and centre == 0:
        return 0.0, 5.0
    if name in ("rent_decay", "pass_through") and centre == 0:
        return 0.0, 0.5
    low, high = centre * 0.5, centre * 1.5
    if name in SHARES:
        return low, min(high, 1.0)
    return (low, min(high, 0.95)) if name in BELOW_ONE else (low, high)


def sensitivity(
    a: Assumptions,
    windows: np.ndarray[Any, Any],
    royalty: float,
    seed: int,
    kind: str,
    held: float = HELD_LICENCE_WINDOW,
) -> list[dict[str, float | str]]:
    """The optimal window at each parameter's low and high value, all else at its centre, with
    the same held lever as the report's optimum (so the distillation parameters can move it)."""
    centre = a.economy_point()
    base = _optimal_window(centre, windows, royalty, kind, held)
    names = list(
        dict.fromkeys([*TORNADO, *(k for k, v in a.economy.items() if isinstance(v, Distribution))])
    )
    rows: list[dict[str, float | str]] = []
    for name in names:
        low, high = _range(name, float(getattr(centre, name)), a.economy.get(name), seed)
        at_low = _optimal_window(centre.with_values(**{name: low}), windows, royalty, kind, held)
        at_high = _optimal_window(centre.with_values(**{name: high}), windows, royalty, kind, held)
        rows.append(
            {
                "parameter": name,
                "low": low,
                "high": high,
                "at_low": at_low,
                "at_high": at_high,
                "base": base,
                "swing": abs(at_high - at_low),
            }
        )
    return sorted(rows, key=lambda r: float(r["swing"]), reverse=True)


LENS_UNITS = {
    "utilitarian": "net surplus (PV)",
    "rawlsian": "priced-out users' gain (PV)",
    "lockean": "proportionality x public's gain (PV)",
    "deontological": "access less takings (PV)",
}


def _save(fig: Any, folder: Path, name: str) -> dict[str, str]:
    paths = {}
    for ext in ("png", "svg"):
        path = folder / f"{name}.{ext}"
        # No creation date in the files, so the same inputs give the same figures.
        fig.savefig(
            path,
            format=ext,
            dpi=110,
            bbox_inches="tight",
            metadata={"Date": None} if ext == "svg" else {"Software": None},
        )
        paths[ext] = str(path)
    return paths


def figures(
    result: dict[str, Any],
    scores: dict[str, dict[str, float]],
    tornado: list[dict[str, float | str]],
    folder: Path,
) -> dict[str, dict[str, str]]:
    # Matplotlib takes 0.4 s to load and must be given its backend before pyplot is imported:
    # only the report, which draws, pays for it.
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "distillgov"
    # pyplot after the backend is set (above).
    import matplotlib.pyplot as plt

    out: dict[str, dict[str, str]] = {}
    band = result["welfare_by_window"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.fill_between(band["window"], band["p05"], band["p95"], alpha=0.25, label="5–95 % of draws")
    ax.plot(band["window"], band["median"], linewidth=2, label="median")
    best = result["optimum_of_median"]
    ax.axvline(best["window"], color="black", linestyle="--", linewidth=1)
    ax.text(
        best["window"],
        0.98,
        f" optimum of the median: {best['window']:.1f} y",
        transform=ax.get_xaxis_transform(),
        va="top",
        fontsize=8,
    )
    for name, point in result["profiles"].items():
        ax.plot([point["window"]], [point["median"]], marker="o", linestyle="none", label=name)
    kind = result["window_kind"]
    held = result["held_licence_window"]
    other = f"then a {held:g}-year licence window" if held is not None else "no exclusivity"
    ax.set_xlabel(f"{kind} window (years; {other}; profiles at their own levers)")
    ax.set_ylabel("net social surplus (present value)")
    ax.set_title("Welfare against window length")
    ax.legend(loc="lower right", fontsize=8)
    out["welfare_vs_window"] = _save(fig, folder, "welfare_vs_window")
    plt.close(fig)

    # One panel per lens, each on its own absolute scale from zero: the lenses' units differ
    # (all present values, of different things), so no bar is rescaled to its best profile.
    names = list(scores)
    fig, axes = plt.subplots(1, len(LENSES), figsize=(10, 3.6))
    for ax, lens in zip(axes, LENSES, strict=True):
        values = [scores[n][lens] for n in names]
        ax.bar(names, values, color=[f"C{i}" for i in range(len(names))])
        ax.set_title(lens, fontsize=10)
        ax.set_ylabel(LENS_UNITS[lens], fontsize=8)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.set_ylim(min(0.0, *values) * 1.1, max(0.0, *values) * 1.1 or 1.0)
    fig.suptitle("Lens scores of each profile (absolute; each panel its own scale)")
    fig.tight_layout()
    out["lens_scores"] = _save(fig, folder, "lens_scores")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 0.5 * len(tornado) + 1.5))
    base = float(tornado[0]["base"]) if tornado else 0.0
    labels = [str(r["parameter"]) for r in tornado][::-1]
    lows = [float(r["at_low"]) - base for r in tornado][::-1]
    highs = [float(r["at_high"]) - base for r in tornado][::-1]
    ax.barh(labels, lows, left=base, label="parameter low")
    ax.barh(labels, highs, left=base, alpha=0.7, label="parameter high")
    ax.axvline(base, color="black", linewidth=1)
    ax.set_xlabel(f"optimal {kind} window (years)")
    ax.set_title("Sensitivity of the optimal window")
    ax.legend()
    out["tornado"] = _save(fig, folder, "tornado")
    plt.close(fig)
    return out


def build(
    a: Assumptions,
    levers: dict[str, Levers],
    folder: Path,
    windows: np.ndarray[Any, Any],
    royalty: float,
    draws: int,
    seed: int,
    on: dt.date,
    kind: str = "exclusivity",
    held: float = HELD_LICENCE_WINDOW,
) -> Path:
    """Compute, draw and write the report; returns the HTML file."""
    # Matplotlib takes 0.4 s to load: only the report, which draws, pays for it.
    import matplotlib

    folder.mkdir(parents=True, exist_ok=True)
    result = uncertainty(a, levers, windows, draws, seed, royalty, kind, held)
    scores = compare(a.economy_point(), levers)
    tornado = sensitivity(a, windows, royalty, seed, kind, held)
    paths = figures(result, scores, tornado, folder)
    record = {
        "distillgov": __version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "seed": seed,
        "draws": draws,
        "royalty_rate_for_optimum": royalty,
        "window_kind": kind,
        "held_licence_window": held if kind == "exclusivity" else None,
        "calibration": a.calibration,
        "lens_units": LENS_UNITS,
        "profiles_as_of": on.isoformat(),
        "assumptions": a.model_dump(mode="json"),
        "levers": {k: {f: float(v) for f, v in asdict(lv).items()} for k, lv in levers.items()},
    }
    (folder / "report.json").write_text(
        json.dumps(
            {"record": record, "uncertainty": result, "scores": scores, "sensitivity": tornado},
            indent=2,
        )
    )
    svg = {name: Path(p["svg"]).read_text() for name, p in paths.items()}
    page = _html(record, result, scores, tornado, svg)
    target = folder / "report.html"
    target.write_text(page, encoding="utf-8")
    return target


def _html(
    record: dict[str, Any],
    result: dict[str, Any],
    scores: dict[str, dict[str, float]],
    tornado: list[dict[str, float | str]],
    svg: dict[str, str],
) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("distillgov", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",)),
    )
    return env.get_template("lab_report.html").render(
        record=record,
        record_json=json.dumps(record, indent=2),
        result=result,
        scores=scores,
        tornado=tornado,
        lenses=LENSES,
        # The figures are our own SVG, embedded as markup.
        svg={k: markupsafe.Markup(v) for k, v in svg.items()},
    )
