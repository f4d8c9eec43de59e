"""The settlement aggregation on Apache Spark, for clearinghouses beyond one machine.

The same SQL as the DuckDB path (`aggregate.AGGREGATE`, Spark's dialect), over the same Parquet
report files; the tariff is applied afterwards by the same Python, so both paths give identical
royalties. Sums are DECIMAL(38, 0) under Spark's ANSI mode: exact past 2^63, and an overflow of
38 digits is refused with a clear error rather than wrapped or turned into NULL.

Where the executors read the reports: by default the data directory's own path (local mode, or a
file system mounted at the same path everywhere); `DISTILLGOV_SPARK_DATA_URI` (or `settle
--spark-data-uri`) names the same directory as the cluster sees it — any Hadoop URI, `s3a://`,
`hdfs://`, `abfs://`, `gs://`, `file://` — and file names are joined to it as text, never through
a local path (which would collapse `//`). Local mode by default (`local[2]`); point
`DISTILLGOV_SPARK_MASTER` at a cluster (`spark://host:7077`, `yarn`, `k8s://...`). For a cluster
job, `spark-submit` runs `distillgov/licensing/spark_job.py` (docs/licensing.md). PySpark is an
optional dependency: `pip install 'distillgov[spark]'`; Spark needs Java 17 or newer.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from distillgov.errors import DistillgovError
from distillgov.licensing.aggregate import PeriodTotal, aggregate_sql
from distillgov.licensing.licences import Licence

MASTER_ENV = "DISTILLGOV_SPARK_MASTER"
DATA_URI_ENV = "DISTILLGOV_SPARK_DATA_URI"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class SparkError(DistillgovError):
    """Spark could not settle; nothing was posted."""


def session() -> Any:
    # PySpark is an optional dependency (the `spark` extra).
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkError(
            "Spark settlement needs PySpark: pip install 'distillgov[spark]' (and Java 17+)"
        ) from None
    builder = SparkSession.builder
    if not os.environ.get("DISTILLGOV_SPARK_SUBMITTED"):  # spark-submit sets its own master
        builder = builder.master(os.environ.get(MASTER_ENV, "local[2]"))
    return (
        builder.appName("distillgov-settlement")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.ansi.enabled", "true")
        .getOrCreate()
    )


def report_uris(files: list[Path], data_uri: str | None = None) -> list[str]:
    """Where the executors read each report: under `data_uri` (a Hadoop URI naming the data
    directory as the cluster sees it) by file name, else the files' own paths."""
    base = data_uri or os.environ.get(DATA_URI_ENV)
    if not base:
        return [str(f) for f in files]
    if not _URI.match(base):
        raise SparkError(
            f"field 'spark data URI', value {base!r}: a URI with a scheme (s3a://bucket/dir, "
            "hdfs://namenode/dir, file:///dir)"
        )
    # Text, not a Path: Path('s3a://b/x') would collapse the '//' after the scheme.
    return [f"{base.rstrip('/')}/usage/{f.name}" for f in files]


def spark_totals(
    files: list[Path], licences: list[Licence], data_uri: str | None = None
) -> list[PeriodTotal]:
    # PySpark is an optional dependency (the `spark` extra).
    from pyspark.sql.types import DateType, StringType, StructField, StructType

    if not files:
        return []
    spark = session()
    try:
        spark.read.parquet(*report_uris(files, data_uri)).createOrReplaceTempView("usage")
        schema = StructType(
            [
                StructField("id", StringType()),
                StructField("window_start", DateType()),
                StructField("window_end", DateType()),
            ]
        )
        spark.createDataFrame(
            [(lic.id, lic.window_start, lic.window_end) for lic in licences], schema
        ).createOrReplaceTempView("licences")
        rows = spark.sql(aggregate_sql("spark")).collect()
    except Exception as exc:  # Spark's errors come from the JVM: one line naming what failed
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "NUMERIC_VALUE_OUT_OF_RANGE" in str(exc) or "overflow" in str(exc).lower():
            raise SparkError(
                "field 'units' or 'revenue': a licence-month's sum exceeds 38 digits; nothing was "
                "settled"
            ) from None
        raise SparkError(f"Spark could not read or aggregate the reports: {first}") from None
    return [PeriodTotal(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]
