"""The determination: reproducible to the byte, complete, cited, and readable."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from distillgov.assessment import determine
from distillgov.assessment.casefiles import load_case
from distillgov.assessment.render import render
from distillgov.framework import FRAMEWORK_VERSION
from distillgov.framework.citations import ROWS, TABLES
from distillgov.jurisdictions import load_builtin
from tests.conftest import CASE_FILES, EXAMPLES

CLONE = EXAMPLES / "cases" / "startup-clones-chat-model-via-public-api.yaml"


def test_same_input_gives_byte_identical_json() -> None:
    first = determine(load_case(CLONE), load_builtin("cn")).to_json()
    load_builtin.cache_clear()
    second = determine(load_case(CLONE), load_builtin("cn")).to_json()
    assert first == second


def test_json_has_every_required_field() -> None:
    d = json.loads(determine(load_case(CLONE), load_builtin("cn")).to_json())
    for key in (
        "category",
        "rule",
        "compliant",
        "obligations",
        "violations",
        "royalty",
        "trace",
        "lenses",
        "missing_facts",
        "framework_version",
        "profile",
    ):
        assert key in d
    assert d["framework_version"] == FRAMEWORK_VERSION
    assert d["profile"]["id"] == "cn" and d["profile"]["hash"].startswith("sha256:")
    assert set(d["royalty"]) >= {"due", "window_start", "window_end", "rate_setter", "basis"}
    assert set(d["lenses"]) == {"utilitarian", "deontological", "lockean", "rawlsian"}
    ids = {o["id"] for o in d["obligations"]}
    assert {"transparency_disclosure", "royalty_payment"} <= ids
    for o in d["obligations"]:
        assert set(o) >= {"id", "what", "due", "source"}


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_every_trace_line_is_cited_and_uses_facts(path: object) -> None:
    d = determine(load_case(path), load_builtin("us"))  # type: ignore[arg-type]
    assert d.trace
    for line in d.trace:
        src = line["source"]
        assert src["table"] in TABLES and src["row"] in ROWS[src["table"]]
        assert "facts" in line and line["note"]


def test_trace_stops_at_the_first_row_that_applies() -> None:
    d = determine(load_case(CLONE), load_builtin("cn"))
    rows = [t for t in d.trace if t["outcome"] in ("applies", "does not apply", "unknown")]
    assert rows[-1]["rule"] == "cloning_compulsory_licence" and rows[-1]["outcome"] == "applies"
    assert all(t["outcome"] == "does not apply" for t in rows[:-1])


def test_profile_hash_changes_with_any_lever(tmp_path: object) -> None:
    from pathlib import Path

    f = Path(str(tmp_path)) / "p.yaml"
    f.write_text(
        "id: us\nname: same id, other value\nextends: us\nlevers:\n"
        "  de_minimis.max_outputs:\n    - {from: 2000-01-01, value: 101, cite: policies/de_minimis}\n"
    )
    from distillgov.jurisdictions import load_file

    assert load_file(f).content_hash != load_builtin("us").content_hash


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_letters_name_the_outcome_and_cite_the_framework(fmt: str) -> None:
    d = determine(load_case(CLONE), load_builtin("us"), dt.date(2025, 3, 1))
    out = render(d, fmt)
    assert "prohibited" in out and "owner_licence" in out
    assert "exclusivity_time" in out and "not legal advice" in out
    if fmt == "html":
        assert out.startswith("<!doctype html>") and "<details>" in out


def test_html_escapes_case_text() -> None:
    case = load_case(CLONE).model_copy(update={"title": "<script>alert(1)</script>"})
    out = render(determine(case, load_builtin("us")), "html")
    assert "<script>alert" not in out and "&lt;script&gt;" in out
