"""The watch's chart: the shares of tracked teachers whose terms restrict or grant distillation
over time, with the tightening and loosening events marked, as PNG and SVG."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any


def draw(report: dict[str, Any], folder: Path, name: str = "watch-terms") -> dict[str, str]:
    """Write `name`.png and `name`.svg into `folder`; the same report gives the same files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for ext in ("png", "svg"):
        path = folder / f"{name}.{ext}"
        path.write_bytes(render(report, ext))
        paths[ext] = str(path)
    return paths


def render(report: dict[str, Any], ext: str) -> bytes:
    """The chart as PNG or SVG bytes."""
    # Matplotlib takes 0.4 s to load and must be given its backend before pyplot is imported:
    # only a caller that draws pays for it.
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "distillgov"
    # pyplot after the backend is set (above).
    import matplotlib.pyplot as plt

    rows = [r for r in report["series"] if r["tracked"]]
    # Matplotlib's date axis takes dates; its stubs say numbers.
    days: Any = [dt.date.fromisoformat(r["as_of"]) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for key, label in (
        ("share_restrictive", "forbid distillation"),
        ("share_permissive", "grant it"),
    ):
        ax.step(days, [float(r[key]) for r in rows], where="post", linewidth=2, label=label)
    for e in report["events"]:
        style = {"tightening": "tab:red", "loosening": "tab:green"}.get(e["direction"], "grey")
        at: Any = dt.date.fromisoformat(e["date"])
        ax.axvline(at, color=style, linestyle=":", linewidth=1)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"share of tracked {report['unit']}s")
    source = report["computed_from"]
    ax.set_title(
        f"Teacher terms, {rows[0]['as_of'] if rows else ''} to {report['as_of']} "
        f"({source['teachers']} teachers, {source['catalogue']} catalogue)",
        fontsize=9,
    )
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    out = io.BytesIO()
    # No creation date in the files, so the same report gives the same bytes.
    fig.savefig(
        out,
        format=ext,
        dpi=110,
        bbox_inches="tight",
        metadata={"Date": None} if ext == "svg" else {"Software": None},
    )
    plt.close(fig)
    return out.getvalue()
