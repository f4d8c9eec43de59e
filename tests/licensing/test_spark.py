"""The Spark path (local mode) settles a sample exactly as the DuckDB path does."""

from __future__ import annotations

import datetime as dt
import sqlite3
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


def test_report_uris_keep_the_scheme_and_refuse_a_bare_path() -> None:
    from distillgov.licensing.spark import SparkError, report_uris

    files = [Path("/local/distillgov-data/usage/ab12.parquet")]
    assert report_uris(files, "s3a://bucket/distillgov-data/") == [
        "s3a://bucket/distillgov-data/usage/ab12.parquet"
    ]
    assert report_uris(files, "hdfs://namenode:8020/dg") == [
        "hdfs://namenode:8020/dg/usage/ab12.parquet"
    ]
    assert report_uris(files) == ["/local/distillgov-data/usage/ab12.parquet"]
    with pytest.raises(SparkError, match="a URI with a scheme"):
        report_uris(files, "bucket/dir")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_sums_past_2_to_the_63_agree_on_both_engines_read_through_a_file_uri(
    licensed: Engine, tmp_path: Path
) -> None:
    from distillgov.licensing.spark import spark_totals

    rows = 10_000  # of the largest units a row may hold: the month sums to about 10^19
    big = tmp_path / "big.csv"
    big.write_text(
        "licence,period,units,revenue,currency\n"
        + "lic-cheap-chat-cn,2025-01,999999999999999,9999999999999.99,CNY\n" * rows
    )
    ingest(licensed, big, folder=tmp_path / "data")
    files, licences = report_files(licensed, tmp_path / "data"), all_licences(licensed)
    by_duckdb = duckdb_totals(files, licences)
    by_spark = spark_totals(files, licences, f"file://{tmp_path / 'data'}")
    assert by_spark == by_duckdb
    assert by_duckdb[0].units == 999_999_999_999_999 * rows > 2**63
    assert by_duckdb[0].revenue_minor == 999_999_999_999_999 * rows
    tariffs = {lic.id: lic.tariff for lic in licences}
    # CNY 8 a million tokens: exact, in minor units, on both.
    assert royalties(by_spark, tariffs)[0].royalty_minor == 999_999_999_999_999 * rows * 8 // 10_000


def _spark_bin(name: str) -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / name)


def _job_env() -> dict[str, str]:
    import os
    import sys

    root = Path(__file__).resolve().parents[2]
    return {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONPATH": f"{root / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }


def _submit(master: str, url: str, data: Path) -> str:
    import subprocess

    from distillgov.licensing import spark_job

    done = subprocess.run(
        [_spark_bin("spark-submit"), "--master", master, "--conf", "spark.ui.enabled=false",
         spark_job.__file__, "--database", url, "--on", "2025-07-01", "--data-dir", str(data),
         "--spark-data-uri", f"file://{data}"],
        capture_output=True, text=True, env=_job_env(), timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_spark_submit_in_local_mode_and_on_a_standalone_master(
    licensed: Engine, tmp_path: Path
) -> None:
    import socket
    import subprocess
    import time

    from distillgov.licensing import ledger
    from distillgov.licensing.settlement import settle, settlements
    from distillgov.storage.db import connect

    write_reports(tmp_path / "reports", count=2, rows=2_000)
    for report in sorted((tmp_path / "reports").glob("*.csv")):
        ingest(licensed, report, folder=tmp_path / "data")
    url = licensed.url.render_as_string(hide_password=False)
    # A copy of the database as it stands (reports in, nothing settled), for the cluster run.
    cluster_db = tmp_path / "cluster.sqlite"
    with sqlite3.connect(licensed.url.database or "") as src, sqlite3.connect(cluster_db) as dst:
        src.backup(dst)  # the live file and its write-ahead log, as one copy
    out = _submit("local[1]", url, tmp_path / "data")
    assert out.startswith("settled 16 licence-month(s) from 2 report(s) on Spark"), out
    by_job = settlements(licensed)
    # The same months from DuckDB on the same data: nothing changes.
    _, posted = settle(licensed, report_files(licensed, tmp_path / "data"), dt.date(2025, 7, 1))
    assert posted.changed == 0 and settlements(licensed) == by_job
    # A standalone master and one worker, started here; the job runs there.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**_job_env(), "SPARK_LOCAL_IP": "127.0.0.1"}
    master = subprocess.Popen(
        [_spark_bin("spark-class"), "org.apache.spark.deploy.master.Master", "--host",
         "127.0.0.1", "--port", str(port), "--webui-port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    worker = None
    try:
        deadline = time.monotonic() + 90
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the Spark master did not start"
            time.sleep(0.5)
        worker = subprocess.Popen(
            [_spark_bin("spark-class"), "org.apache.spark.deploy.worker.Worker",
             f"spark://127.0.0.1:{port}", "--cores", "1", "--memory", "1g", "--webui-port", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        cluster = f"sqlite:///{cluster_db}"
        ran = _submit(f"spark://127.0.0.1:{port}", cluster, tmp_path / "data")
        assert "from 2 report(s) on Spark" in ran
        copy = connect(cluster)
        assert settlements(copy) == by_job and ledger.check(copy) == []
        assert ledger.totals(copy) == ledger.totals(licensed)
        copy.dispose()
    finally:
        for process in (worker, master):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
