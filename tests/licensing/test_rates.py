"""Rates in time (issue #15 item 5): a rate period that begins while a licence is open reaches
it, each month settling under the rate in force on its first day; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.jurisdictions import load_builtin
from distillgov.licensing import ledger
from distillgov.licensing.licences import LicenceError, add_rate_periods, get, open_licence
from distillgov.licensing.settlement import settle, settlements
from distillgov.licensing.tariffs import TariffError, load
from distillgov.licensing.usage import ingest, report_files
from tests.licensing.conftest import CLONE_CASE, ROOT, USAGE

RATES = ROOT / "examples" / "tariffs" / "cn-2025-rate-period.yaml"
SPRING = (  # April and May, 50 M and 70 M tokens
    "licence,period,units,revenue,currency\n"
    "lic-cheap-chat-cn,2025-04,50000000,1.00,CNY\n"
    "lic-cheap-chat-cn,2025-05,70000000,1.00,CNY\n"
)


def _cn(engine: Engine) -> dict[str, int]:
    return {r["period"]: r["royalty_minor"] for r in settlements(engine) if "cn" in r["licence"]}


def test_a_rate_period_begun_mid_licence_applies_from_the_next_month_it_covers(
    licensed: Engine, tmp_path: Path
) -> None:
    ingest(licensed, USAGE / "cheap-chat-cn-2025-q1.csv", folder=tmp_path)
    (tmp_path / "spring.csv").write_text(SPRING)
    ingest(licensed, tmp_path / "spring.csv", folder=tmp_path)
    settle(licensed, report_files(licensed, tmp_path), dt.date(2025, 6, 1))
    before = _cn(licensed)
    assert before["2025-04"] == 50_000 and before["2025-05"] == 56_000  # CNY 8 a million
    added = add_rate_periods(licensed, load(RATES), str(RATES))
    assert added == [("lic-cheap-chat-cn", dt.date(2025, 4, 16))]  # only the cn licence
    assert add_rate_periods(licensed, load(RATES), str(RATES)) == []  # once
    settle(licensed, report_files(licensed, tmp_path), dt.date(2025, 6, 1))
    after = _cn(licensed)
    # April began before 16 April: CNY 8 a million (400.00), so the minimum, 500.00. May:
    # CNY 10 a million on 70 M tokens, 700.00 (over the new minimum of 600.00).
    assert after == {**before, "2025-05": 70_000}
    assert ledger.balance(licensed, "developer:frontier-labs:CNY")["balance_minor"] == sum(
        after.values()
    )
    lic = get(licensed, "lic-cheap-chat-cn")
    assert lic.tariff_for(dt.date(2025, 4, 1)).minimum_per_period == 500
    assert lic.tariff_for(dt.date(2025, 5, 1)).minimum_per_period == 600
    assert [p["from"] for p in lic.as_dict()["rate_periods"]] == ["2025-04-16"]


def test_a_rate_in_force_is_not_rewritten_and_one_before_opening_is_refused(
    licensed: Engine, tmp_path: Path
) -> None:
    add_rate_periods(licensed, load(RATES), str(RATES))
    changed = tmp_path / "changed.yaml"
    changed.write_text(RATES.read_text().replace('"10.00"', '"12.00"'))
    with pytest.raises(LicenceError, match="the rate period from 2025-04-16 differs"):
        add_rate_periods(licensed, load(changed), str(changed))
    early = tmp_path / "early.yaml"
    early.write_text(RATES.read_text().replace("2025-04-16", "2025-02-01"))
    with pytest.raises(LicenceError, match="on or before licence lic-cheap-chat-cn opened"):
        add_rate_periods(licensed, load(early), str(early))


def test_a_licence_opened_with_a_tariff_file_keeps_its_later_periods(engine: Engine) -> None:
    case = load_case(CLONE_CASE)
    cn = load_builtin("cn")
    day = dt.date(2025, 3, 1)
    lic = open_licence(
        engine, assess_case(case, cn, day), case, cn, day, "s-1", "lic-file", load(RATES)
    )
    assert [r.from_ for r in lic.rates] == [dt.date(2025, 4, 16)]
    assert get(engine, "lic-file").tariff_for(dt.date(2025, 5, 1)).minimum_per_period == 600
    gs = load_builtin("global_south")
    with pytest.raises(TariffError, match="the tariff file is for another profile than"):
        open_licence(engine, assess_case(case, gs, day), case, gs, day, "s-2", "x", load(RATES))


def test_the_commands_take_a_tariff_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distillgov", *args, "--database", url],
            capture_output=True,
            text=True,
            timeout=120,
        )

    opened = cli(
        "license", "open", str(CLONE_CASE), "-j", "cn", "--id", "lic-cheap-chat-cn",
        "--on", "2025-03-01", "--tariffs", str(RATES),
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    (tmp_path / "spring.csv").write_text(SPRING)
    data = ["--data-dir", str(tmp_path / "data")]
    assert cli("usage", "ingest", str(tmp_path / "spring.csv"), *data).returncode == 0
    settled = cli("settle", "--on", "2025-06-01", "--tariffs", str(RATES), *data)
    assert settled.returncode == 0, settled.stderr
    assert "royalties to date: 1200.00 CNY" in settled.stdout  # 500.00 + 700.00
    bad = tmp_path / "bad.yaml"
    bad.write_text(RATES.read_text().replace("set_by: state", "set_by: mood", 1))
    refused = cli("settle", "--tariffs", str(bad), *data)
    assert refused.returncode == 2 and "set_by" in refused.stderr
    assert "Traceback" not in refused.stderr
