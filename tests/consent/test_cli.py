"""The consent commands as a user runs them (subprocesses on a real SQLite file): reserve, list,
withdraw, where, a check written as Parquet and read back with Polars, a pool claim that names a
reservation, and a disclosure that carries its consent-check summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from distillgov.consent import register
from distillgov.licensing.pool import Claim, PoolError, holder_claims, register_claims
from distillgov.registry.records import parse_record
from distillgov.storage.db import open_database

ROOT = Path(__file__).resolve().parents[2]


def _run(folder: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISTILLGOV_DATABASE_URL": f"sqlite:///{folder / 'c.sqlite'}"}
    done = subprocess.run(
        [sys.executable, "-m", "distillgov", *args], cwd=folder, env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    assert (done.returncode == 0) is ok, done.stderr
    return done


def test_the_consent_commands_end_to_end(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    _run(tmp_path, "registry", "init", "--origin", "cli.example/log", "--key-file", "k.key")
    _run(tmp_path, "registry", "add-org", "maria-ruiz", "--name", "Maria Ruiz")
    _run(tmp_path, "consent", "reserve", "examples/consent/reservation.yaml", "--by", "maria-ruiz")
    again = _run(
        tmp_path, "consent", "reserve", "examples/consent/reservation.yaml", "--by", "x", ok=False
    )
    assert "a reservation with this id exists" in again.stderr
    listed = json.loads(_run(tmp_path, "consent", "list", "--json").stdout)
    assert [r["id"] for r in listed] == ["res-maria-ruiz-poems"] and listed[0]["withdrawn"] is None
    out = tmp_path / "report.parquet"
    summary = json.loads(
        _run(tmp_path, "consent", "check", "examples/consent/manifest.jsonl", "-o", str(out)).stdout
    )
    table = pl.read_parquet(out)
    assert table.height == summary["items"] == 5
    assert table.filter(pl.col("status") == "reserved").height == summary["totals"]["reserved"]
    _run(
        tmp_path,
        "consent",
        "withdraw",
        "res-maria-ruiz-poems",
        "--id",
        "wd-1",
        "--by",
        "maria-ruiz",
    )
    listed = json.loads(_run(tmp_path, "consent", "list", "--json").stdout)
    assert listed[0]["withdrawn"]["id"] == "wd-1"
    assert json.loads(_run(tmp_path, "consent", "where", "maria-ruiz", "--json").stdout) == []
    bad = _run(tmp_path, "consent", "check", "examples/consent/missing.jsonl", ok=False)
    assert "no such file" in bad.stderr and "Traceback" not in bad.stderr


def test_a_pool_claim_may_name_only_its_holders_reservation(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from distillgov.registry.records import Organisation
    from distillgov.registry.registry import Registry

    engine = open_database(f"sqlite:///{tmp_path / 'p.sqlite'}")
    reg = Registry(engine)
    reg.log.initialise("pool.example/log", Ed25519PrivateKey.generate())
    reg.add_many([Organisation(id="maria-ruiz", name="M"), Organisation(id="news", name="N")])
    form = register.parse_reservation(
        {"id": "res-poems", "holder": "maria-ruiz", "scope": [{"kind": "work", "value": "w1"}]}
    )
    register.file_reservation(engine, reg.log, form, "maria-ruiz", dt.date(2026, 11, 1))
    day = dt.date(2026, 11, 2)
    with pytest.raises(PoolError, match="reserved by 'maria-ruiz'"):
        register_claims(
            engine, "global_south", [Claim("c1", "news", "Poems", 3, True, "res-poems")], day
        )
    with pytest.raises(PoolError, match="no such reservation"):
        register_claims(
            engine, "global_south", [Claim("c1", "news", "Poems", 3, True, "res-x")], day
        )
    assert (
        register_claims(
            engine, "global_south", [Claim("c2", "maria-ruiz", "Poems", 3, True, "res-poems")], day
        )
        == 1
    )
    assert holder_claims(engine, "maria-ruiz")[0]["reservation"] == "res-poems"
    assert holder_claims(engine, "news") == []


def test_a_disclosure_carries_a_consent_check_summary_that_adds_up() -> None:
    base = {
        "id": "d-1", "student": "s", "teachers": [{"model": "t", "signal": "logits"}],
        "method_summary": "m", "data_sources_summary": "x", "filed_on": "2026-11-30",
    }  # fmt: skip
    check = {"report": "lab/crawl@374d37f9c554", "manifest_sha256": "a" * 64,
             "checked_on": "2026-11-26", "items": 5, "reserved": 1, "not_reserved": 2, "unknown": 2}  # fmt: skip
    record = parse_record("disclosure", {**base, "consent_check": check})
    assert record.model_dump(mode="json")["consent_check"]["reserved"] == 1
    assert "consent_check" not in parse_record("disclosure", base).model_dump(mode="json")
    with pytest.raises(Exception, match="add up to items"):
        parse_record("disclosure", {**base, "consent_check": {**check, "unknown": 3}})
