"""Killing ingestion or settlement with SIGKILL at any moment, then running again, gives exactly
the totals of one clean run: for real, with a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from distillgov.licensing import ledger
from distillgov.registry.db import connect, migrate
from tests.licensing.conftest import ROOT, open_example
from tests.licensing.crash_safety_data import write_reports

DRIVER = [sys.executable, "-m", "tests.licensing.crash_driver"]


def fresh_database(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = connect(url)
    migrate(engine)
    open_example(engine, "cn", "lic-cheap-chat-cn")
    open_example(engine, "global_south", "lic-cheap-chat-gs")
    engine.dispose()
    return url


def outcome(url: str) -> tuple[object, ...]:
    engine = connect(url)
    with engine.connect() as c:
        settled = c.execute(
            text("SELECT licence, period, royalty_minor FROM lic_settlements ORDER BY 1, 2")
        ).all()
        reports = c.execute(text("SELECT id, content_hash FROM lic_reports ORDER BY id")).all()
    balances = [(b["account"], b["balance_minor"]) for b in ledger.accounts(engine)]
    problems = ledger.check(engine)
    engine.dispose()
    return tuple(settled), tuple(reports), tuple(balances), tuple(problems)


def run(url: str, data: Path, reports: Path, kill_after: float | None) -> bool:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [*DRIVER, url, str(data), str(reports)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if kill_after is None:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        return "DONE" in out
    time.sleep(kill_after)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return process.returncode == 0


@pytest.mark.slow
def test_sigkill_at_any_moment_then_rerun_gives_the_clean_totals(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_reports(reports, count=12, rows=4_000)
    clean_url = fresh_database(tmp_path / "clean.sqlite")
    assert run(clean_url, tmp_path / "clean-data", reports, None)
    clean = outcome(clean_url)
    assert clean[3] == () and len(clean[1]) == 12 and clean[0]
    # Kill points spread over the whole run: start-up, the ingestions, the settlement.
    started = time.perf_counter()
    run(fresh_database(tmp_path / "timing.sqlite"), tmp_path / "timing-data", reports, None)
    whole = time.perf_counter() - started
    interrupted = []
    for trial, fraction in enumerate((0.35, 0.5, 0.65, 0.8, 0.9, 0.97)):
        url = fresh_database(tmp_path / f"trial-{trial}.sqlite")
        data = tmp_path / f"trial-{trial}-data"
        run(url, data, reports, whole * fraction)
        interrupted.append(outcome(url)[:2])
        assert run(url, data, reports, None), f"the re-run after a kill at {fraction:.0%} failed"
        assert outcome(url) == clean, f"kill at {fraction:.0%} of the run changed the totals"
        shutil.rmtree(data)
    # The kills did land part-way: some runs stopped among the reports, before settling.
    assert any(0 < len(reports_in) < 12 for _, reports_in in interrupted), interrupted
    assert any(not settled for settled, _ in interrupted)
