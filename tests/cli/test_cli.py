"""The command line, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import CASE_FILES, EXAMPLES

CLI = [sys.executable, "-m", "distillgov"]
CLONE = EXAMPLES / "cases" / "startup-clones-chat-model-via-public-api.yaml"


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    inherited = {k: v for k, v in os.environ.items() if not k.startswith("DISTILLGOV_")}
    full_env = {**inherited, **(env or {})}
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, env=full_env, timeout=120
    )


def test_assess_text_and_json() -> None:
    text = run("assess", CLONE, "-j", "cn")
    assert text.returncode == 0, text.stderr
    assert (
        "OUTCOME: Independent commercial cloning (direct market substitute): lawful under a compulsory licence — compliant."
        in text.stdout
    )
    as_json = run("assess", CLONE, "-j", "us", "--format", "json")
    d = json.loads(as_json.stdout)
    assert (d["category"], d["rule"], d["violations"]) == (
        "commercial_cloning",
        "prohibited",
        ["owner_licence"],
    )


def test_assess_is_byte_identical_across_runs() -> None:
    first = run("assess", CLONE, "-j", "global_south", "-f", "json").stdout
    assert first == run("assess", CLONE, "-j", "global_south", "-f", "json").stdout


def test_assess_date_and_profile_options(tmp_path: Path) -> None:
    later = json.loads(run("assess", CLONE, "-j", "cn", "--on", "2027-01-01", "-f", "json").stdout)
    assert (later["assessed_on"], later["rule"]) == ("2027-01-01", "permitted")
    amended = run(
        "assess",
        CLONE,
        "--profile",
        EXAMPLES / "profiles" / "us-2027-amendment.yaml",
        "--on",
        "2027-02-01",
        "-f",
        "json",
    )
    d = json.loads(amended.stdout)
    assert (d["profile"]["id"], d["rule"]) == ("us-2027-amendment", "compulsory_license")


def test_case_jurisdiction_then_environment(tmp_path: Path) -> None:
    case = EXAMPLES / "cases" / "us-cloner-after-proven-abuse.yaml"  # says jurisdiction: us
    assert json.loads(run("assess", case, "-f", "json").stdout)["profile"]["id"] == "us"
    plain = tmp_path / "c.yaml"
    plain.write_text(CLONE.read_text())
    via_env = run("assess", plain, "-f", "json", env={"DISTILLGOV_JURISDICTION": "global_south"})
    assert json.loads(via_env.stdout)["profile"]["id"] == "global_south"


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_letter_written_to_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"letter.{fmt}"
    r = run("assess", CLONE, "-j", "us", "-f", fmt, "-o", out)
    assert r.returncode == 0 and f"wrote {out}" in r.stderr
    assert "owner_licence" in out.read_text()


def test_strict_exit_code_follows_compliance() -> None:
    assert run("assess", CLONE, "-j", "cn", "--strict").returncode == 0
    assert run("assess", CLONE, "-j", "us", "--strict").returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("assess", "nope.yaml", "-j", "us"), "error: nope.yaml: no such file"),
        (
            ("assess", CLONE, "-j", "eu"),
            "error: unknown jurisdiction 'eu'; built-in profiles: us, cn, global_south",
        ),
        (
            ("assess", CLONE, "-j", "us", "--on", "01/02/2025"),
            "error: option --on, value '01/02/2025': a date must be written as YYYY-MM-DD",
        ),
    ],
)
def test_errors_are_one_clear_line_and_no_traceback(args: tuple[str, ...], message: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert r.stderr.strip() == message
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_invalid_case_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("access: hacking\nteacher:\n  relase_date: 2024-01-01\n")
    r = run("assess", bad, "-j", "us")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0] == f"error: {bad}: invalid case"
    assert any("field 'access', value 'hacking': not one of:" in line for line in lines)
    assert any("did you mean 'release_date'?" in line for line in lines)


def test_malformed_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("access: [unclosed\n")
    r = run("assess", bad, "-j", "us")
    assert r.returncode == 2 and "not valid YAML (line 2)" in r.stderr


def test_schema_case_is_a_json_schema() -> None:
    schema = json.loads(run("schema", "case").stdout)
    assert schema["title"] == "Case"
    assert "access" in schema["properties"]
    json.loads(run("schema", "profile").stdout)


def test_jurisdictions_list_show_compare() -> None:
    listed = run("jurisdictions").stdout
    assert listed.index("us") < listed.index("cn") < listed.index("global_south")
    shown = json.loads(run("jurisdictions", "show", "cn").stdout)
    assert shown["levers"]["exclusivity.months"][0]["value"] == 6
    compared = json.loads(
        run("jurisdictions", "compare", "--on", "2025-01-01", "-f", "json").stdout
    )
    assert compared["levers"]["exclusivity.months"] == {"us": "24", "cn": "6", "global_south": "0"}
    table = run("jurisdictions", "compare", "--on", "2025-01-01").stdout
    assert "contract.anti_distillation_clauses" in table and "subordinated" in table


def _batch_input(tmp_path: Path) -> Path:
    from distillgov.assessment.casefiles import load_case
    from tests.strategies import flat_row

    rows = [flat_row(load_case(p)) for p in CASE_FILES]
    lists = {"output_use": pl.List(pl.String), "base_models": pl.List(pl.String)}
    frame = pl.DataFrame(rows, infer_schema_length=None, schema_overrides=lists)
    csv = tmp_path / "cases.csv"
    frame.with_columns(pl.col(list(lists)).list.join("; ")).write_csv(csv)
    return csv


@pytest.mark.parametrize("out_name", ["results.csv", "results.jsonl", "results.parquet"])
def test_assess_batch_writes_each_format(tmp_path: Path, out_name: str) -> None:
    out = tmp_path / out_name
    r = run("assess-batch", _batch_input(tmp_path), "-j", "cn", "-o", out)
    assert r.returncode == 0, r.stderr
    assert f"assessed {len(CASE_FILES)} case(s) -> {out}" in r.stderr
    frame = {"csv": pl.read_csv, "jsonl": pl.read_ndjson, "parquet": pl.read_parquet}[
        out.suffix[1:]
    ](out)
    by_id = {row["case_id"]: row for row in frame.to_dicts()}
    assert by_id["startup-clones-chat-model-via-public-api"]["rule"] == "compulsory_license"
    assert by_id["startup-unsure-how-outputs-were-collected"]["missing_facts"] == "access"


def test_assess_batch_from_nested_jsonl(tmp_path: Path) -> None:
    import yaml

    lines = []
    for p in CASE_FILES:
        data = yaml.safe_load(p.read_text())
        lines.append(json.dumps(data, default=str))
    src = tmp_path / "cases.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.csv"
    r = run("assess-batch", src, "-j", "us", "-o", out)
    assert r.returncode == 0, r.stderr
    results = {row["case_id"]: row for row in pl.read_csv(out).to_dicts()}
    assert results["leaked-weights-distilled-into-product"]["category"] == "illicit"


def test_assess_batch_refuses_a_bad_file_whole(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text(
        "id,access,teacher.release_date,assessed_on\n"
        "ok,public_api_within_terms,2024-01-01,2025-01-01\n"
        "bad1,hacking,2024-01-01,2025-01-01\n"
        "bad2,intrusion,January 2024,2025-01-01\n"
    )
    out = tmp_path / "out.csv"
    r = run("assess-batch", src, "-j", "us", "-o", out)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "error: 2 bad row(s); nothing was assessed" in r.stderr
    assert "row 3: field 'access', value 'hacking': not one of:" in r.stderr
    assert (
        "row 4: field 'teacher.release_date', value 'January 2024': a date must be written as YYYY-MM-DD"
        in r.stderr
    )
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]


def test_assess_batch_unknown_column_and_type(tmp_path: Path) -> None:
    src = tmp_path / "cols.csv"
    src.write_text("id,acess\nx,internal\n")
    r = run("assess-batch", src, "-j", "us", "--on", "2025-01-01", "-o", tmp_path / "o.csv")
    assert (
        "header: field 'acess', value (missing): unknown column; did you mean 'access'?" in r.stderr
    )
    r = run("assess-batch", tmp_path / "cases.xlsx", "-j", "us", "-o", tmp_path / "o.csv")
    assert r.returncode == 2 and "unknown file type '.xlsx'" in r.stderr


def test_rules_lists_the_decision_table_in_priority_order() -> None:
    out = run("rules").stdout
    assert out.index("1. illicit_improper_means") < out.index("2. authorized_by_consent")
    assert out.index("2. authorized_by_consent") < out.index("cloning_compulsory_licence")
    assert "transparency_disclosure (due by commercial_release_date)" in out
    assert "source: types table, row illicit" in out


def test_teachers_list_and_show() -> None:
    listed = run("teachers").stdout
    assert "llama-3.1-70b" in listed and "Llama 3.1 Community License" in listed
    shown = json.loads(run("teachers", "show", "gpt-4").stdout)
    assert [t["id"] for t in shown["terms"]] == [
        "openai-terms-2023-03-14",
        "openai-terms-2024-01-31",
    ]
    assert shown["terms"][0]["clauses"][0]["confidence"] == "secondary"
    missing = run("teachers", "show", "gpt-5x")
    assert missing.returncode == 2 and missing.stderr.startswith("error: unknown teacher 'gpt-5x'")


def test_terms_review_per_jurisdiction() -> None:
    us = run("terms", "review", "gemini-1.5-pro", "-j", "us", "--on", "2025-06-01").stdout
    assert "[enforceable] no_competing_models" in us
    gs = json.loads(
        run(
            "terms",
            "review",
            "gemini-1.5-pro",
            "-j",
            "global_south",
            "--on",
            "2025-06-01",
            "-f",
            "json",
        ).stdout
    )
    assert {c["effect"] for c in gs["clauses"]} == {"void"}
    assert gs["terms"]["id"] == "gemini-additional-terms-2025-05-20"
    early = run("terms", "review", "gemma-2-9b", "-j", "us", "--on", "2024-12-01")
    assert (
        early.returncode == 2
        and "no terms of 'gemma-2-9b' in the catalogue were in force on 2024-12-01" in early.stderr
    )


def test_assess_uses_the_catalogue_and_suggests() -> None:
    d = json.loads(
        run(
            "assess",
            EXAMPLES / "cases" / "vicuna-13b-2023.yaml",
            "-j",
            "us",
            "-f",
            "json",
            "--suggest",
        ).stdout
    )
    assert d["teacher_terms"]["terms_version"]["id"] == "openai-terms-2023-03-14"
    assert {f["fact"] for f in d["teacher_terms"]["filled_facts"]} >= {"consent.granted"}
    assert d["suggestions"] and all(s["compliant"] for s in d["suggestions"])
    text = run(
        "assess", EXAMPLES / "cases" / "deepseek-r1-distill-llama-70b-2025.yaml", "-j", "cn"
    ).stdout
    assert (
        "inherited [enforceable, not met] name_prefix (Llama) via "
        "deepseek-r1-distill-llama-70b-2025 -> llama-3.3-70b" in text
    )
    assert "learnt from: deepseek-r1\n  starts from the weights of: llama-3.3-70b" in text


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://someone:hunter2@127.0.0.1:1/none", "Connection refused"),
        ("sqlite:////no/such/folder/x.sqlite", "unable to open database file"),
        ("not a url", "is not a URL"),
    ],
)
def test_a_database_that_cannot_be_opened_is_named_without_its_password(
    url: str, says: str
) -> None:
    for command in (["registry", "screen"], ["serve", "--workers", "2", "--port", "1"]):
        r = run(*command, "--database", url)
        assert r.returncode == 2, r.stderr
        assert says in r.stderr and "Traceback" not in r.stderr
        assert "hunter2" not in r.stderr
