"""A lab optimum written as a jurisdiction profile: it extends a built-in profile, takes effect on
a date, and records the run that produced it, so `assess`, `lab compare` and the clearinghouse
(through `royalty.revenue_percent`) read the optimum as they read any profile."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from distillgov.errors import DistillgovError
from distillgov.jurisdictions.profile import load_builtin, load_file
from distillgov.policylab.lab import Assumptions, revenue_percent

LENS_ROW = {
    "utilitarian": "lenses/utilitarianism",
    "rawlsian": "lenses/rawlsian",
    "lockean": "lenses/lockean",
    "deontological": "lenses/deontology",
}


@dataclass(frozen=True)
class LabRun:
    """An optimum and the run that found it: what the written profile records."""

    chosen: dict[str, float]
    objective: str
    assumptions: Assumptions
    grids: dict[str, str]  # the exclusivity, window and royalty grids, as given
    assumptions_file: Path | None


def profile_document(run: LabRun, base: str, on: dt.date) -> dict[str, Any]:
    """The profile as a YAML-ready mapping. Windows are rounded to whole months (the levers'
    unit); the lab's rate becomes a percentage of revenue through the student's operating
    margin."""
    parent = load_builtin(base)  # an unknown base is refused here, naming the built-in ones
    chosen, objective, a, grids = run.chosen, run.objective, run.assumptions, run.grids
    e = a.economy_point()
    cite = LENS_ROW[objective]
    how = (
        f"lab optimise --objective {objective}; calibration {a.calibration}; seed {a.seed}; "
        f"grids exclusivity {grids['exclusivity']}, window {grids['window']}, royalty "
        f"{grids['royalty']}; assumptions {run.assumptions_file or 'defaults'}"
    )
    percent = revenue_percent(chosen["royalty_rate"], e)

    def entry(value: Any, note: str) -> list[dict[str, Any]]:
        return [{"from": on, "value": value, "cite": cite, "note": f"{note}. {how}"}]

    return {
        "id": _slug(f"{base}-lab-{objective}"),
        "name": f"{parent.name}, with the policy lab's {objective} optimum from {on.isoformat()}",
        "summary": (
            f"Exclusivity {chosen['exclusivity']:g} y, licence window "
            f"{chosen['licence_window']:g} y, royalty {chosen['royalty_rate']:g} of the "
            f"student's margin ({percent:g} % of revenue): the {objective} optimum of a lab run."
        ),
        "extends": base,
        "levers": {
            "exclusivity.months": entry(
                round(chosen["exclusivity"] * 12), "The lab's optimal exclusivity"
            ),
            "exclusivity.model": entry(
                "precedes_licence_window", "The lab models exclusivity, then the licence window"
            ),
            "licence_window.months": entry(
                round(chosen["licence_window"] * 12), "The lab's optimal licence window"
            ),
            "royalty.revenue_percent": entry(
                f"{percent:g}",
                f"The lab's optimal rate {chosen['royalty_rate']:g} of the student's margin, at "
                f"an operating margin of {float(e.student_operating_margin):g}",
            ),
        },
    }


def write_profile(path: Path, run: LabRun, base: str, on: dt.date) -> None:
    """Write the profile, then load it back as any user's file is loaded: a profile this writes
    that the loader would refuse is an error here, not a surprise later."""
    document = profile_document(run, base, on)
    text = (
        "# Written by `distillgov lab optimise --as-profile`: a model's optimum, not a finding\n"
        "# of the framework (docs/policylab.md, 8). Edit it like any profile.\n"
        + yaml.dump(document, Dumper=_Plain, sort_keys=False, allow_unicode=True, width=100)
    )
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DistillgovError(f"{path}: cannot write the profile: {exc.strerror}") from None
    load_file(path)


class _Plain(yaml.SafeDumper):
    """YAML without anchors: every lever's date written out, as a person would write it."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_\-]", "-", text.lower())[:40]
