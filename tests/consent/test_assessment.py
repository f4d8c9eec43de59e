"""A case that names its data sources reads their consent-check reports: reserved works in the
data are a breach where the profile makes reservations binding (cn), a licence to pay through
the collective where it routes them there (global_south), and nothing where they have no legal
effect (us); a case that left them out, or names none, is unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from distillgov.assessment import determine
from distillgov.consent import manifest, register
from distillgov.consent.assessment import with_consent_check
from distillgov.jurisdictions import load_builtin
from distillgov.registry.records import Organisation
from distillgov.registry.registry import Registry
from tests.conftest import make_case

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "consent"
DAY = dt.date(2026, 11, 30)


def _report(engine: Engine) -> None:
    reg = Registry(engine)
    reg.log.initialise("consent.example/log", Ed25519PrivateKey.generate())
    reg.add(Organisation(id="maria-ruiz", name="Maria Ruiz"))
    form = register.parse_reservation(
        {"id": "res-poems", "holder": "maria-ruiz",
         "scope": [{"kind": "url_pattern", "value": "https://poems.example/poems/*"}]}
    )  # fmt: skip
    register.file_reservation(engine, reg.log, form, "maria-ruiz", dt.date(2026, 11, 1))
    summary = manifest.check(EXAMPLES / "manifest.jsonl", register.load_index(engine), None)
    register.record_report(engine, {**summary, "id": "rep-1", "dataset": "acme/crawl-2026-11",
                                    "checked_on": "2026-11-26",
                                    "manifest_sha256": summary["manifest"]["sha256"]})  # fmt: skip


def _obligations(engine: Engine, profile: str, **case: object) -> dict[str, str | None]:
    filled, _ = with_consent_check(engine, make_case(**case), DAY)
    d = determine(filled, load_builtin(profile), DAY)
    return {o.id: o.status for o in d.obligations if "reserv" in o.id}


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("cn", {"respect_reservations": "breached"}),
        ("global_south", {"reserved_works_licence": "ongoing"}),
        ("us", {}),
    ],
)
def test_reserved_works_in_the_data_under_each_profile(
    engine: Engine, profile: str, expected: dict[str, str]
) -> None:
    _report(engine)
    assert _obligations(engine, profile, data_sources=["acme/crawl-2026-11"]) == expected
    assert _obligations(engine, profile, data_sources=["another/dataset"]) == {}
    assert _obligations(engine, profile) == {}


def test_what_the_case_says_itself_is_kept(engine: Engine) -> None:
    _report(engine)
    kept = _obligations(
        engine, "cn", data_sources=["acme/crawl-2026-11"], reserved_works="excluded"
    )
    assert kept == {"respect_reservations": "met"}


def test_a_report_made_after_the_assessment_date_is_not_read(engine: Engine) -> None:
    _report(engine)
    filled, reports = with_consent_check(
        engine, make_case(data_sources=["acme/crawl-2026-11"]), dt.date(2026, 11, 25)
    )
    assert reports == [] and filled.reserved_works == "none"
