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
)

SHARES = frozenset({"rd_elasticity", "substitution", "student_quality", "student_margin"})


def _optimal_window(e: Economy, windows: np.ndarray[Any, Any], royalty: float, kind: str) -> float:
    surplus = outcomes(e, window_levers(kind, windows, royalty))["net_surplus"]
    return float(windows[int(np.argmax(np.broadcast_to(surplus, windows.shape)))])


def _range(name: str, centre: float, spec: Any, seed: int) -> tuple[float, float]:
    if isinstance(spec, Distribution):
        sample = spec.draw(np.random.default_rng(seed), 4000)
        return float(np.quantile(sample, 0.1)), float(np.quantile(sample, 0.9))
    if name == "access_externality" and centre == 0:
        return 0.0, 5.0
    low, high = centre * 0.5, centre * 1.5
    return (low, min(high, 1.0)) if name in SHARES else (low, high)


def sensitivity(
    a: Assumptions, windows: np.ndarray[Any, Any], royalty: float, seed: int, kind: str
) -> list[dict[str, float | str]]:
    """The optimal window at each parameter's low and high value, all else at its centre."""
    centre = a.economy_point()
    base = _optimal_window(centre, windows, royalty, kind)
    names = list(
        dict.fromkeys([*TORNADO, *(k for k, v in a.economy.items() if isinstance(v, Distribution))])
    )
    rows: list[dict[str, float | str]] = []
    for name in names:
        low, high = _range(name, float(getattr(centre, name)), a.economy.get(name), seed)
        at_low = _optimal_window(centre.with_values(**{name: low}), windows, royalty, kind)
        at_high = _optimal_window(centre.with_values(**{name: high}), windows, royalty, kind)
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
    kind = result["window_kind"]
    ax.set_xlabel(f"{kind} window (years; the other lever at zero)")
    ax.set_ylabel("net social surplus (present value)")
    ax.set_title("Welfare against window length")
    ax.legend()
    out["welfare_vs_window"] = _save(fig, folder, "welfare_vs_window")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(scores)
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        # Lenses have different units: each is shown relative to the best profile on it.
        values = [
            scores[name][lens] / (max(abs(scores[n][lens]) for n in names) or 1.0)
            for lens in LENSES
        ]
        ax.bar(np.arange(len(LENSES)) + i * width, values, width, label=name)
    ax.set_xticks(np.arange(len(LENSES)) + width * (len(names) - 1) / 2, LENSES)
    ax.set_ylabel("score relative to the best profile")
    ax.set_title("Lens scores of each profile")
    ax.legend()
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
) -> Path:
    """Compute, draw and write the report; returns the HTML file."""
    # Matplotlib takes 0.4 s to load: only the report, which draws, pays for it.
    import matplotlib

    folder.mkdir(parents=True, exist_ok=True)
    result = uncertainty(a, levers, windows, draws, seed, royalty, kind)
    scores = compare(a.economy_point(), levers)
    tornado = sensitivity(a, windows, royalty, seed, kind)
    paths = figures(result, scores, tornado, folder)
    record = {
        "distillgov": __version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "seed": seed,
        "draws": draws,
        "royalty_rate_for_optimum": royalty,
        "window_kind": kind,
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
