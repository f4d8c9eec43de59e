"""What the consent register tells an assessment: for a case that names its `data_sources`,
whether their newest consent-check reports (up to the assessment date) found works their
rights-holders had reserved from AI training. The rule program's `respect_reservations` and
`reserved_works_licence` obligations read the fact filled here, per the profile's
`consent.reserved_works` lever; like the catalogue, the register fills only what the case
leaves unsaid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from distillgov.consent.register import latest_reports
from distillgov.errors import InvalidCase, problems_from
from distillgov.framework import Case


def with_consent_check(
    engine: Engine, case: Case, day: dt.date
) -> tuple[Case, list[dict[str, Any]]]:
    """The case with `reserved_works` filled from its data sources' reports, and the reports."""
    if not case.data_sources or "reserved_works" in case.model_fields_set:
        return case, []
    reports = latest_reports(engine, list(case.data_sources), day)
    if not reports:
        return case, []
    found = "included" if any(r["reserved"] > 0 for r in reports) else "none"
    data = case.model_dump()
    data["reserved_works"] = found
    try:
        return Case.model_validate(data), reports
    except ValidationError as exc:  # pragma: no cover - the fact constrains nothing else
        raise InvalidCase(
            "the consent reports contradict the case", problems_from(exc, Case)
        ) from None
