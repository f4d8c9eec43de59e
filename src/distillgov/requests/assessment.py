"""What the requests register tells an assessment: for a case that names its data sources
(`data_sources`), whether data subjects' requests against them, or the duties
they put on models, are open or overdue on the assessment date, and the earliest deadline. The
rule program's `answer_rights_requests` obligation (privacy row) reads the two facts filled
here; like the catalogue, the register fills only what the case itself leaves unsaid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from distillgov.errors import InvalidCase, problems_from
from distillgov.framework import Case
from distillgov.requests.store import standing


def with_rights_requests(engine: Engine, case: Case, day: dt.date) -> tuple[Case, dict[str, Any]]:
    """The case with its rights-request facts filled from the register, and what was found."""
    sources = list(case.data_sources)
    if not sources:
        return case, {"standing": "none", "due": None, "requests": [], "duties": []}
    found = standing(engine, sources, day)
    given = case.personal_data.model_fields_set
    changes: dict[str, Any] = {}
    if "rights_requests" not in given:
        changes["rights_requests"] = found["standing"]
    if "rights_requests_due" not in given and found["due"] is not None:
        changes["rights_requests_due"] = found["due"]
    if not changes:
        return case, found
    data = case.model_dump()
    data["personal_data"].update(changes)
    if found["standing"] != "none" and case.personal_data.involved is None:
        data["personal_data"]["involved"] = True  # a request on record concerns personal data
    try:
        return Case.model_validate(data), found
    except ValidationError as exc:
        raise InvalidCase(
            f"the requests register has {found['standing']} requests against the case's data "
            f"sources ({', '.join(found['requests'] + found['duties'])}), which the case "
            "contradicts",
            problems_from(exc, Case),
        ) from None
