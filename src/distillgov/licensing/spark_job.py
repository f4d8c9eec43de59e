"""The settlement as a Spark application, for `spark-submit` on a cluster:

    spark-submit --master spark://host:7077 "$(python -m distillgov.licensing.spark_job --path)" \
        --database postgresql+psycopg://... --on 2025-07-01 \
        --data-dir /mnt/distillgov-data --spark-data-uri s3a://bucket/distillgov-data

The driver reads the recorded reports from the clearinghouse's database, the executors aggregate
them where they lie (`--spark-data-uri`), and the driver applies the tariffs and posts to the
ledger through the clearinghouse, exactly as `distillgov settle --engine spark` does. The master
comes from spark-submit, not from DISTILLGOV_SPARK_MASTER.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from distillgov.errors import DistillgovError
from distillgov.licensing.money import format_minor
from distillgov.licensing.settlement import settle
from distillgov.licensing.usage import report_files
from distillgov.storage.db import open_database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spark_job.py", description=__doc__.split("\n")[0])
    parser.add_argument("--path", action="store_true", help="Print this file's path and stop.")
    parser.add_argument("--database", help="The clearinghouse's database URL.")
    parser.add_argument("--on", help="The settlement date, YYYY-MM-DD (default: today).")
    parser.add_argument("--data-dir", type=Path, help="The reports' directory, for the driver.")
    parser.add_argument("--spark-data-uri", help="The same directory as the executors see it.")
    parser.add_argument("--by", default="spark-job", help="Who runs it, for the trail.")
    args = parser.parse_args(argv)
    if args.path:
        print(Path(__file__).resolve())
        return 0
    os.environ["DISTILLGOV_SPARK_SUBMITTED"] = "1"
    try:
        on = dt.date.fromisoformat(args.on) if args.on else dt.date.today()
    except ValueError:
        print(f"error: field 'on', value {args.on!r}: not a date YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        engine = open_database(args.database)
        files = report_files(engine, args.data_dir)
        _, posted = settle(
            engine, files, on, "spark", actor=args.by, spark_data_uri=args.spark_data_uri
        )
    except DistillgovError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    totals = "; ".join(f"{format_minor(v, c)} {c}" for c, v in sorted(posted.royalty_minor.items()))
    print(
        f"settled {posted.periods} licence-month(s) from {len(files)} report(s) on Spark: "
        f"{posted.changed} changed, {posted.transfers} transfer(s) posted; royalties to date: "
        f"{totals or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
