"""Run by test_crash_safety in a subprocess that is killed with SIGKILL at random moments:
ingest every usage report in a folder (in name order), then settle. Prints DONE at the end."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from distillgov.licensing.settlement import settle
from distillgov.licensing.usage import ingest, report_files
from distillgov.storage.db import connect, migrate


def main() -> None:
    url, data, reports = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    engine = connect(url)
    migrate(engine)
    for report in sorted(reports.glob("*.csv")):
        ingest(engine, report, folder=data)
    settle(engine, report_files(engine, data), dt.date(2025, 7, 1))
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
