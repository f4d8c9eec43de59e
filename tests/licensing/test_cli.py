"""The clearinghouse commands, run as a user runs them (SQLite; storage on both databases is
covered by the other tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.licensing.conftest import CLONE_CASE, ROOT, USAGE


def test_from_a_determination_to_a_creators_statement(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distillgov", *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    opened = cli(
        "license", "open", str(CLONE_CASE), "-j", "global_south", "--id", "lic-cheap-chat-gs"
    )
    assert opened.returncode == 0, opened.stderr
    assert (
        "from 2024-05-13 to 2025-05-13; royalties in USD, rate set by collective_body"
        in opened.stdout
    )
    refused = cli("license", "open", str(CLONE_CASE), "-j", "us")
    assert refused.returncode == 2
    assert "rule is 'prohibited', not 'compulsory_license'" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert cli("usage", "ingest", str(USAGE / "cheap-chat-gs-2025.jsonl")).stdout.startswith(
        "ingested report 'cheap-chat-gs-2025': 4 row(s)"
    )
    bad = cli("usage", "ingest", str(USAGE / "with-bad-rows.csv"))
    assert bad.returncode == 2 and "line 4: field 'licence', value 'lic-unknown'" in bad.stderr
    settled = cli("settle", "--on", "2025-07-01")
    assert "royalties to date: 2665.73 USD" in settled.stdout, settled.stderr
    assert "0 changed" in cli("settle", "--on", "2025-07-01").stdout
    assert "-2665.73 USD" in cli("ledger", "balance", "licensee:cheap-chat-inc:USD").stdout
    issued = cli("invoice", "issue", "--on", "2025-07-01")
    assert "INV-000001 invoice to Cheap Chat Inc for 2025-03: 1025.00 USD, due 2025-07-31" in (
        issued.stdout
    )
    for number, amount in (("INV-000001", "1025.00"), ("INV-000002", "1137.50"),
                           ("INV-000003", "503.23")):  # fmt: skip
        paid = cli("payment", "record", number, amount, "--id", f"bank-{number}", "--on",
                   "2025-07-01")  # fmt: skip
        assert paid.returncode == 0, paid.stderr
    assert (
        cli(
            "pool", "claims", str(ROOT / "examples" / "pool-claims.csv"), "--pool", "global_south"
        ).returncode
        == 0
    )
    run = cli("pool", "distribute", "global_south", "--on", "2025-07-01")
    # What was collected for the pool: its 25 % and the creators' 15 % of 2,665.73 (cash).
    assert "1066.29 USD to distribute over 5 claim(s): administration 85.30 USD" in run.stdout
    checked = cli("ledger", "check")
    assert checked.returncode == 0 and checked.stdout.startswith("ok: debits equal credits")
    statement = cli("statement", "holder", "maria-ruiz")
    assert statement.stdout.splitlines()[1].startswith("2025-07-01,c-ruiz-poems,22.66,")
    page = cli("statement", "licensee", "Cheap Chat Inc", "-f", "html", "-o", "s.html")
    assert page.returncode == 0 and "2665.73 USD" in (tmp_path / "s.html").read_text()
    assert "0.00 USD" in cli("ledger", "balance", "licensee:cheap-chat-inc:USD").stdout  # paid
    unknown = cli("ledger", "balance", "nobody")
    assert unknown.returncode == 2 and unknown.stderr.strip() == "error: no account 'nobody'"
