"""Killing ingestion or settlement with SIGKILL at any moment, then running again, gives exactly
the totals of one clean run: for real, with a subprocess."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from distillgov.licensing import ledger
from distillgov.storage.db import connect, migrate
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
        reports = c.execute(
            text("SELECT id, content_hash, voided_at IS NULL FROM lic_reports ORDER BY id")
        ).all()
        money = c.execute(
            text(
                "SELECT 'invoice', number, amount_minor FROM lic_invoices UNION ALL "
                "SELECT 'payment', id, amount_minor FROM lic_payments UNION ALL "
                "SELECT status, id, total_minor FROM lic_remittances ORDER BY 1, 2"
            )
        ).all()
    balances = [(b["account"], b["balance_minor"]) for b in ledger.accounts(engine)]
    problems = ledger.check(engine)
    engine.dispose()
    return tuple(settled), tuple(reports), tuple(balances), tuple(problems), tuple(money)


def recorded(database: Path, table: str = "lic_reports") -> int:
    """How far the run has got (rows in `table`), read the way another process would see it."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.05) as c:
            return int(c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:  # locked by the writer for a moment, or not made yet: not there yet
        return -1


def run(
    url: str,
    data: Path,
    reports: Path,
    kill_at: tuple[int, float, str] | tuple[int, float] | None = None,
) -> bool:
    """Run the driver to the end, or kill it with SIGKILL once `kill_at[0]` rows are in the
    table `kill_at[2]` (default: reports) and `kill_at[1]` more seconds have passed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [*DRIVER, url, str(data), str(reports)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if kill_at is None:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        return "DONE" in out
    needed, delay = kill_at[0], kill_at[1]
    table = kill_at[2] if len(kill_at) > 2 else "lic_reports"  # type: ignore[misc]
    database = Path(url.removeprefix("sqlite:///"))
    while process.poll() is None and recorded(database, table) < needed:
        time.sleep(0.002)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return process.returncode == 0


@pytest.mark.slow
def test_sigkill_at_any_moment_then_rerun_gives_the_clean_totals(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_reports(reports, count=12, rows=4_000)
    clean_url = fresh_database(tmp_path / "clean.sqlite")
    assert run(clean_url, tmp_path / "clean-data", reports)
    clean = outcome(clean_url)
    assert clean[3] == () and len(clean[1]) == 12 and clean[0]
    assert {row[0] for row in clean[4]} == {"invoice", "payment", "paid"}  # money moved
    # Kill points over the whole run: during start-up, among the ingestions (between writing a
    # report's file and recording it, or mid-file), during the settlements, the void, the
    # invoicing, the payments and the remittance.
    rng = random.Random(5)
    kill_points = [(0, 0.0), (2, rng.uniform(0, 0.05)), (5, rng.uniform(0, 0.05)),
                   (9, rng.uniform(0, 0.05)), (12, 0.0), (12, rng.uniform(0.02, 0.2)),
                   (1, 0.0, "lic_invoices"), (1, 0.0, "lic_payments"),
                   (1, 0.0, "lic_remittances")]  # fmt: skip
    interrupted = []
    for trial, point in enumerate(kill_points):
        url = fresh_database(tmp_path / f"trial-{trial}.sqlite")
        data = tmp_path / f"trial-{trial}-data"
        run(url, data, reports, point)
        found = outcome(url)
        interrupted.append((found[0], found[1], found[4]))
        assert run(url, data, reports), f"the re-run after a kill at {point} failed"
        assert outcome(url) == clean, f"a kill at {point} changed the totals"
        shutil.rmtree(data)
    # The kills did land part-way: some runs stopped among the reports, before settling.
    assert any(0 < len(reports_in) < 12 for _, reports_in, _ in interrupted), interrupted
    assert any(not settled for settled, _, _ in interrupted)
    assert any(money and len(money) < len(clean[4]) for _, _, money in interrupted), interrupted
