"""The clearinghouse's storage tests run on SQLite and PostgreSQL, like the registry's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from distillgov.licensing.licences import Licence, open_licence
from tests.registry.conftest import engine  # noqa: F401  (the fixture, shared)

ROOT = Path(__file__).resolve().parents[2]
CLONE_CASE = ROOT / "examples" / "cases" / "startup-clones-chat-model-via-public-api.yaml"
USAGE = ROOT / "examples" / "usage"


def open_example(engine: Engine, profile_id: str, licence_id: str) -> Licence:  # noqa: F811
    case = load_case(CLONE_CASE)
    profile = load_builtin(profile_id)
    day = dt.date(2025, 3, 1)
    return open_licence(
        engine, assess_case(case, profile, day), case, profile, day, "cheap-chat-1", licence_id
    )


@pytest.fixture
def licensed(engine: Engine) -> Engine:  # noqa: F811
    """Both example licences open: CNY under cn (window to 2026-11-13) and USD under
    global_south (window to 2025-05-13)."""
    open_example(engine, "cn", "lic-cheap-chat-cn")
    open_example(engine, "global_south", "lic-cheap-chat-gs")
    return engine


def pay_all(engine: Engine, on: dt.date) -> int:  # noqa: F811
    """Invoice what is settled and pay every invoice in full on `on` (cash follows collection:
    the pool shares out only what was paid). Returns the total paid, in minor units."""
    from distillgov.licensing import billing

    billing.issue_invoices(engine, on, "test")
    paid = 0
    for invoice in billing.invoices(engine):
        if invoice["outstanding_minor"] > 0:
            billing.record_payment(
                engine, f"pay-{invoice['number']}", invoice["number"],
                invoice["outstanding_minor"], on, "test",
            )  # fmt: skip
            paid += invoice["outstanding_minor"]
    return paid
