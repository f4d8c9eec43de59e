"""Which unknown facts matter, and what each answer would give.

A fact is *missing* when it is unknown and two of its possible values lead to different outcomes
(decision, compliance or an obligation's status), all other facts as given. Candidates come from
the evaluators (facts read by a decisive condition that came out unknown — by Kleene monotonicity
no other unknown fact can matter); each candidate is then confirmed by substituting its values.
Dates and counts have no finite domain, so we try values on each side of the boundaries the rules
draw (`probes`); both evaluators use the same boundaries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from distillgov.framework.case import FACTS
from distillgov.framework.logic import add_months

DAY = dt.timedelta(days=1)


def probes(name: str, env: Mapping[str, Any], params: Mapping[str, Any]) -> list[Any]:
    """Values to try for an unknown fact of one case."""
    spec = FACTS[name]
    if spec.domain:
        return list(spec.domain)
    on: dt.date = env["assessed_on"]
    if name == "volume.outputs":
        cap = int(params["de_minimis.max_outputs"])
        values: list[Any] = [0, cap, cap + 1]
    elif name == "teacher.release_date":
        e, w = int(params["exclusivity.months"]), int(params["licence_window.months"])
        inside = add_months(on, -e)
        values = [on + DAY, on, inside + DAY, inside, add_months(on, -(e + w + 1))]
    elif name == "commercial_release_date":
        values = [on + DAY, on]
        filed = env["transparency.filed_on"]
        if filed is not None:
            values += [filed - DAY, filed]
    elif name == "transparency.filed_on":
        release = env["commercial_release_date"]
        values = [on] if release is None else [release, release + DAY]
    else:  # pragma: no cover - every date or count fact the rules read is listed above
        raise KeyError(f"no probes defined for fact {name!r}")
    return list(dict.fromkeys(values))


def probes_vector(
    name: str, columns: Mapping[str, Any], params: Mapping[str, Any], n: int
) -> list[tuple[Any, Any]]:
    """The same probes for many rows: (values, valid) pairs, one per probe."""
    # NumPy is imported here so that assessing one case never pays for loading it.
    import numpy as np

    from distillgov.framework.vector import add_months as add_months_v

    spec = FACTS[name]
    everywhere = np.ones(n, dtype=bool)
    if spec.domain:
        return [(value, everywhere) for value in spec.domain]
    on = columns["assessed_on"]
    one = np.timedelta64(1, "D")
    if name == "volume.outputs":
        cap = float(params["de_minimis.max_outputs"])
        return [(np.full(n, v), everywhere) for v in (0.0, cap, cap + 1)]
    if name == "teacher.release_date":
        e, w = int(params["exclusivity.months"]), int(params["licence_window.months"])
        inside = add_months_v(on, -e)
        return [
            (on + one, everywhere),
            (on, everywhere),
            (inside + one, everywhere),
            (inside, everywhere),
            (add_months_v(on, -(e + w + 1)), everywhere),
        ]
    if name == "commercial_release_date":
        filed = columns["transparency.filed_on"]
        known = ~np.isnat(filed)
        return [(on + one, everywhere), (on, everywhere), (filed - one, known), (filed, known)]
    if name == "transparency.filed_on":
        release = columns["commercial_release_date"]
        known = ~np.isnat(release)
        return [(np.where(known, release, on), everywhere), (release + one, known)]
    raise KeyError(f"no probes defined for fact {name!r}")  # pragma: no cover
