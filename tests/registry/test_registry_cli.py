"""The registry commands, run as a user runs them, against SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.registry.conftest import PG_URL, in_schema, postgres_schema

CARDS = Path(__file__).resolve().parents[2] / "examples" / "cards"
# Filed today (by the log's clock too), for a release next quarter: neither late nor back-dated.
DISCLOSURE = """id: d-tiny-1
student: tiny-1
teachers:
  - {model: big-1, signal: output_sequences, share: 0.8}
method_summary: Supervised fine-tuning on teacher answers.
data_sources_summary: Teacher outputs only.
commercial_release_date: @RELEASE@
filed_on: @TODAY@
"""
_TODAY = dt.datetime.now(dt.UTC).date()
DISCLOSURE = DISCLOSURE.replace("@TODAY@", str(_TODAY)).replace(
    "@RELEASE@", str(_TODAY + dt.timedelta(days=90))
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reg.sqlite'}"
        return
    with postgres_schema("c") as schema:
        yield in_schema(PG_URL, schema)


def test_file_checkpoint_prove_verify_and_catch_tampering(database: str, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distillgov", *args, "--database", database],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    vkey = cli("registry", "init", "--origin", "registry.example.org/log")
    assert vkey.returncode == 0, vkey.stderr
    assert vkey.stdout.startswith("registry.example.org/log+")
    assert (tmp_path / "distillgov-log.key").stat().st_mode & 0o777 == 0o600
    assert cli("registry", "add-org", "lab", "--name", "A Lab").returncode == 0
    for m in ("big-1", "tiny-1"):
        assert cli("registry", "add-model", m, "--name", m, "--owner", "lab").returncode == 0
    (tmp_path / "d.yaml").write_text(DISCLOSURE)
    filed = cli("registry", "disclose", "d.yaml")
    assert filed.stdout.strip() == "logged disclosure 'd-tiny-1' as entry 3"
    assert cli("registry", "checkpoint").stdout.split("\n")[1] == "4"
    assert "ok: 4 entries" in cli("registry", "verify").stdout
    assert '"index": 3' in cli("registry", "prove", "d-tiny-1").stdout
    assert "learnt from big-1 (output_sequences" in cli("lineage", "tiny-1").stdout
    graph = cli("lineage", "tiny-1", "-f", "dot").stdout
    assert (
        graph.startswith("digraph lineage {")
        and '"tiny-1" -> "big-1" [label="output_sequences"];' in graph
    )
    assert (
        "-->|output_sequences|" in cli("lineage", "big-1", "--descendants", "-f", "mermaid").stdout
    )
    assert json.loads(cli("registry", "watch", "big-1").stdout)[0]["disclosure"] == "d-tiny-1"
    drawing = cli("lineage", "tiny-1", "-f", "svg").stdout
    assert drawing.startswith("<svg") and ">output_sequences</text>" in drawing
    imported = cli("registry", "import-cards", str(CARDS))
    assert imported.stdout.endswith("5 card(s) read, 13 record(s) added\n"), imported.stderr
    assert "'student-lab/tiny-reasoner-0.5b'" in imported.stdout
    built = cli("lineage", "acme-ai/acme-chat-1b-lora").stdout
    assert "built on meta-llama/llama-3.2-1b (adapter, via acme-ai/acme-chat-1b-lora)" in built
    assert cli("lineage", "acme-ai/acme-chat-1b-lora", "--no-bases").stdout.strip() == (
        "acme-ai/acme-chat-1b-lora"
    )
    (tmp_path / "a.yaml").write_text(
        "id: tiny-1.card\nmodel: tiny-1\nsource: its model card\nlicence: mit\n"
        "base_models: [{model: meta-llama/llama-3.2-1b, relation: finetune}]\n"
    )
    completed = cli("registry", "complete", "a.yaml")
    assert completed.stdout.startswith("logged model amendment 'tiny-1.card' as entry "), (
        completed.stderr
    )
    again = cli("registry", "complete", "a.yaml")
    assert again.returncode == 2 and "an amendment with this id is already filed" in again.stderr
    assert "built on meta-llama/llama-3.2-1b (finetune" in cli("lineage", "tiny-1").stdout
    dashed = cli("lineage", "meta-llama/llama-3.2-1b", "--descendants", "-f", "dot").stdout
    assert (
        '"acme-ai/acme-chat-1b-lora" -> "meta-llama/llama-3.2-1b" [label="adapter", style=dashed];'
        in dashed
    )
    exported = cli("registry", "export", "tiny-1", "--as", "cyclonedx", "-o", "tiny-1.cdx.json")
    assert exported.returncode == 0, exported.stderr
    bom = json.loads((tmp_path / "tiny-1.cdx.json").read_text())
    assert bom["metadata"]["component"]["pedigree"]["ancestors"][0]["name"] == "big-1"
    spdx = json.loads(cli("registry", "export", "tiny-1", "--as", "spdx").stdout)
    assert any(g.get("relationshipType") == "descendantOf" for g in spdx["@graph"])
    unknown = cli("registry", "export", "nope", "--as", "spdx")
    assert unknown.returncode == 2 and unknown.stderr.strip() == "error: no model with id 'nope'"
    assert (
        cli("lineage", "tiny-1", "--to", "big-1").stdout.strip()
        == "tiny-1 -> big-1 (output_sequences)"
    )
    assert {f["finding"] for f in json.loads(cli("registry", "screen").stdout)} == {
        "card_declares_distillation_without_disclosure"  # two imported cards say "distilled"
    }
    (tmp_path / "v2.yaml").write_text(
        DISCLOSURE.replace("id: d-tiny-1", "id: d-tiny-1-v2\nsupersedes: d-tiny-1")
    )
    assert (
        cli("registry", "amend", "v2.yaml").stdout.strip()
        == "logged disclosure 'd-tiny-1-v2' as entry 18"  # after 13 imported, 1 amendment
    )
    unnamed = cli("registry", "amend", "d.yaml")
    assert (
        unnamed.returncode == 2
        and "names the disclosure it replaces in 'supersedes'" in unnamed.stderr
    )
    again = cli("registry", "disclose", "d.yaml")
    assert again.returncode == 2
    assert (
        "field 'id', value 'd-tiny-1': a disclosure with this id is already filed" in again.stderr
    )
    (tmp_path / "bad.yaml").write_text(DISCLOSURE.replace("output_sequences", "vibes"))
    bad = cli("registry", "disclose", "bad.yaml")
    assert (
        bad.returncode == 2 and "teachers.0.signal" in bad.stderr and "Traceback" not in bad.stderr
    )
    engine = create_engine(database)
    with engine.begin() as c:
        c.execute(text("UPDATE log_entries SET body = REPLACE(body, '0.8', '0.1') WHERE idx = 3"))
    engine.dispose()
    tampered = cli("registry", "verify")
    assert tampered.returncode == 1
    assert (
        tampered.stderr.strip()
        == "error: the log does not verify: entry 3: its body does not match its stored hash (edited)"
    )


def test_init_with_a_bad_origin_is_one_line_and_leaves_no_key_or_database(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "distillgov", "registry", "init", "--origin", "my log+1",
         "--database", f"sqlite:///{tmp_path / 'r.sqlite'}", "--key-file", str(tmp_path / "k.key")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(
        "error: field 'origin', value 'my log+1': must not contain spaces"
    )
    assert list(tmp_path.iterdir()) == []
