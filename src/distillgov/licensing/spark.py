"""The settlement aggregation on Apache Spark, for clearinghouses beyond one machine.

The same SQL as the DuckDB path (`aggregate.AGGREGATE`, Spark's dialect), over the same Parquet
report files; the tariff is applied afterwards by the same Python, so both paths give identical
royalties. Local mode by default (`local[2]`); point `DISTILLGOV_SPARK_MASTER` at a cluster
(`spark://host:7077`, `yarn`, `k8s://...`) and keep the report files where every executor can
read them (a shared file system or object storage). PySpark is an optional dependency:
`pip install 'distillgov[spark]'`, and Spark needs Java 17 or newer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from distillgov.errors import DistillgovError
from distillgov.licensing.aggregate import PeriodTotal, aggregate_sql
from distillgov.licensing.licences import Licence

MASTER_ENV = "DISTILLGOV_SPARK_MASTER"


def session() -> Any:
    # PySpark is an optional dependency (the `spark` extra).
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DistillgovError(
            "Spark settlement needs PySpark: pip install 'distillgov[spark]' (and Java 17+)"
        ) from None
    return (
        SparkSession.builder.master(os.environ.get(MASTER_ENV, "local[2]"))
        .appName("distillgov-settlement")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )


def spark_totals(files: list[Path], licences: list[Licence]) -> list[PeriodTotal]:
    # PySpark is an optional dependency (the `spark` extra).
    from pyspark.sql.types import DateType, StringType, StructField, StructType

    spark = session()
    if files:
        spark.read.parquet(*[str(f) for f in files]).createOrReplaceTempView("usage")
    else:
        return []
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
    return [PeriodTotal(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]
