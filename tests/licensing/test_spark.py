"""The Spark path (local mode) settles a sample exactly as the DuckDB path does."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from distillgov.licensing.licences import all_licences
from distillgov.licensing.settlement import duckdb_totals, royalties
from distillgov.licensing.usage import ingest, report_files
from tests.licensing.crash_safety_data import write_reports

pytest.importorskip("pyspark", reason="PySpark is part of the dev install (make setup)")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_spark_and_duckdb_give_identical_totals_and_royalties(
    licensed: Engine, tmp_path: Path
) -> None:
    from distillgov.licensing.spark import spark_totals

    write_reports(tmp_path / "reports", count=4, rows=3_000)
    for report in sorted((tmp_path / "reports").glob("*.csv")):
        ingest(licensed, report, folder=tmp_path / "data")
    files, licences = report_files(licensed, tmp_path / "data"), all_licences(licensed)
    by_duckdb = duckdb_totals(files, licences)
    by_spark = spark_totals(files, licences)
    assert by_spark == by_duckdb and len(by_duckdb) == 16
    assert any(t.days_inside not in (0, t.days) for t in by_spark)  # a pro-rated month
    tariffs = {lic.id: lic.tariff for lic in licences}
    assert royalties(by_spark, tariffs) == royalties(by_duckdb, tariffs)
