"""The register on SQLite and PostgreSQL (reservations and withdrawals in the log, provable,
in force from the day filed), and the manifest check: each item decided by the signal a reader
would expect, totals, a WARC read with warcio, and the creator's view of where their works were
reported."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from distillgov.consent import manifest, register
from distillgov.consent.decide import Item, Status, decide
from distillgov.consent.robots import RobotsFile
from distillgov.registry.checkpoint import Checkpoint, parse_verifier_key, verify
from distillgov.registry.merkle import leaf_hash, verify_inclusion
from distillgov.registry.records import Disclosure, Model, Organisation
from distillgov.registry.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "consent"
DAY = dt.date(2026, 11, 1)
RESERVATION = {
    "id": "res-poems",
    "holder": "maria-ruiz",
    "scope": [
        {"kind": "work", "value": "iswc:T-345.246.800-1"},
        {"kind": "url_pattern", "value": "https://poems.example/poems/*"},
        {"kind": "domain", "value": "ruiz.example"},
    ],
}


KEY = Ed25519PrivateKey.generate()


def _setup(db: Engine) -> Registry:
    reg = Registry(db)
    reg.log.initialise("consent.example/log", KEY)
    reg.add_many(
        [Organisation(id="maria-ruiz", name="Maria Ruiz"), Organisation(id="lab", name="Lab")]
    )
    return reg


def test_a_reservation_is_logged_provable_and_in_force_from_its_filing_day(engine: Engine) -> None:
    reg = _setup(engine)
    form = register.parse_reservation({**RESERVATION, "claimed_from": "2025-01-01"})
    done = register.file_reservation(engine, reg.log, form, "maria-ruiz", DAY)
    assert done["entry"] == 2 and done["filed_on"] == "2026-11-01"
    reg.log.checkpoint(KEY)
    bundle = json.loads(json.dumps(reg.log.prove(register.entry_of(engine, "res-poems"))))
    # An outsider checks it with the public key alone.
    name, public = parse_verifier_key(bundle["verifier_key"])
    head = Checkpoint.parse(verify(bundle["checkpoint"], name, public))
    proof = [bytes.fromhex(h) for h in bundle["proof"]]
    verify_inclusion(
        leaf_hash(bundle["entry"].encode()), bundle["index"], head.size, proof, head.root
    )
    entry = json.loads(bundle["entry"])
    assert entry["kind"] == "reservation"
    assert entry["data"]["filed_on"] == "2026-11-01"
    assert entry["data"]["claimed_from"] == "2025-01-01"  # kept as a claim
    assert reg.log.verify() is None
    index = register.load_index(engine)
    before, on = DAY - dt.timedelta(days=1), DAY
    assert index.matching("https://poems.example/poems/sea", None, None, before) == []
    assert [r.id for r in index.matching("https://poems.example/poems/sea", None, None, on)] == [
        "res-poems"
    ]
    assert [r.id for r in index.matching(None, "iswc:T-345.246.800-1", None, on)] == ["res-poems"]
    assert [r.id for r in index.matching("https://www.ruiz.example/x", None, None, on)] == [
        "res-poems"
    ]
    assert index.matching("https://poems.example/essays/x", None, None, on) == []


def test_a_withdrawal_is_a_new_entry_and_ends_the_reservation_from_its_day(engine: Engine) -> None:
    reg = _setup(engine)
    register.file_reservation(
        engine, reg.log, register.parse_reservation(RESERVATION), "maria-ruiz", DAY
    )
    later = DAY + dt.timedelta(days=30)
    register.withdraw(engine, reg.log, "wd-poems", "res-poems", "maria-ruiz", later)
    index = register.load_index(engine)
    url = "https://poems.example/poems/sea"
    assert [r.id for r in index.matching(url, None, None, later - dt.timedelta(days=1))] == [
        "res-poems"
    ]
    assert index.matching(url, None, None, later) == []
    with pytest.raises(register.ReservationExists, match="withdrawn already"):
        register.withdraw(engine, reg.log, "wd-2", "res-poems", "maria-ruiz", later)
    listed = register.reservations(engine, "maria-ruiz")
    assert listed[0]["withdrawn"] == {"id": "wd-poems", "filed_on": later.isoformat()}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**RESERVATION, "holder": "nobody"}, "holder"),
        ({**RESERVATION, "preferences": {"Train-AI": "n"}}, "preferences"),
        ({**RESERVATION, "preferences": {"train-ai": "no"}}, "preferences.train-ai"),
        ({**RESERVATION, "scope": [{"kind": "url_pattern", "value": "poems.example/*"}]}, "scope"),
        ({**RESERVATION, "scope": []}, "scope"),
        ({**RESERVATION, "tdm_reservation": 2}, "tdm_reservation"),
    ],
)
def test_a_bad_reservation_names_its_field_and_writes_nothing(
    engine: Engine,
    data: dict[str, object],
    field: str,
) -> None:
    reg = _setup(engine)
    with pytest.raises(register.ConsentError) as caught:
        register.file_reservation(engine, reg.log, register.parse_reservation(data), "x", DAY)
    text = "\n".join(caught.value.lines())
    assert f"'{field}" in text or f"field '{field}'" in text, text
    assert register.reservations(engine) == []


def test_the_example_manifest_is_decided_as_a_reader_would(engine: Engine) -> None:
    reg = _setup(engine)
    register.file_reservation(
        engine, reg.log, register.parse_reservation(RESERVATION), "maria-ruiz", dt.date(2026, 11, 1)
    )
    out = io.StringIO()
    summary = manifest.check(EXAMPLES / "manifest.jsonl", register.load_index(engine), out, "jsonl")
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    by_url = {r["url"]: r for r in rows}
    story = by_url["https://news.example/2026/11/harbour-story"]
    assert story["status"] == "reserved"
    assert (
        story["decided_by"] == "robots.txt line 6: Content-Usage; robots.txt line 8: Content-Signal"
    )
    assert "TDMRep HTML meta: tdm-reservation=1" in story["signals"]  # the page supersedes the file
    tides = by_url["https://news.example/open-data/tides.csv"]
    # Explicit statements allow it (Content-Usage for /open-data/, TDMRep rule 1); the site's
    # block of AI crawlers is about their acquisition, not this use.
    assert tides["status"] == "not_reserved"
    assert "GPTBot" not in tides["signals"]  # an explicit statement decides; the block is not read
    poem = by_url["https://poems.example/poems/sea"]
    assert (poem["status"], poem["reservations"]) == ("reserved", "res-poems")
    assert by_url["https://blog.example/post/1"]["status"] == "not_reserved"
    forum = by_url["https://forum.example/t/42"]
    assert forum["status"] == "unknown"
    assert "Content-Usage header could not be read" in forum["signals"]
    assert summary["totals"] == {"reserved": 2, "not_reserved": 2, "unknown": 1}
    assert summary["register"]["reservations"] == {"res-poems": 1}


def test_a_reservation_filed_after_the_capture_is_a_note_not_a_verdict(engine: Engine) -> None:
    reg = _setup(engine)
    register.file_reservation(
        engine, reg.log, register.parse_reservation(RESERVATION), "maria-ruiz", dt.date(2026, 12, 1)
    )
    verdict = decide(
        Item("https://poems.example/poems/sea", dt.date(2026, 11, 21)), register.load_index(engine)
    )
    assert verdict.status is Status.UNKNOWN
    assert verdict.signals == [
        "note: reservation res-poems by maria-ruiz was filed on 2026-12-01, after the capture"
    ]


def test_a_warc_is_read_with_warcio_robots_as_it_stood_at_each_capture(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as f:
        w = WARCWriter(f, gzip=True)

        def response(url: str, when: str, body: bytes, headers: list[tuple[str, str]]) -> None:
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            rec = w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                       warc_headers_dict={"WARC-Date": when})  # fmt: skip
            w.write_record(rec)

        response("https://site.example/robots.txt", "2026-11-01T00:00:00Z",
                 b"User-agent: *\nContent-Usage: train-ai=y\n", [("Content-Type", "text/plain")])  # fmt: skip
        response(
            "https://site.example/a",
            "2026-11-02T00:00:00Z",
            b"<p>a</p>",
            [("Content-Type", "text/html")],
        )
        response("https://site.example/robots.txt", "2026-11-03T00:00:00Z",
                 b"User-agent: *\nContent-Usage: train-ai=n\n", [("Content-Type", "text/plain")])  # fmt: skip
        response(
            "https://site.example/b",
            "2026-11-04T00:00:00Z",
            b"<p>b</p>",
            [("Content-Type", "text/html")],
        )
        response("https://other.example/c", "2026-11-04T00:00:00Z", b"x",
                 [("Content-Type", "text/plain"), ("tdm-reservation", "1")])  # fmt: skip
    out = io.StringIO()
    summary = manifest.check(path, None, out, "jsonl")
    rows = {json.loads(x)["url"]: json.loads(x) for x in out.getvalue().splitlines()}
    assert rows["https://site.example/a"]["status"] == "not_reserved"  # the robots.txt of 1 Nov
    assert rows["https://site.example/b"]["status"] == "reserved"  # the robots.txt of 3 Nov
    assert (
        rows["https://other.example/c"]["decided_by"]
        == "TDMRep tdm-reservation header: tdm-reservation=1"
    )
    assert summary["items"] == 3


def test_a_bad_manifest_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "m.jsonl"
    bad.write_text(
        '{"url": "https://a.example/", "captured_at": "2026-11-01"}\n{"url": "https://b/", "captured_at": "last week"}\n'
    )
    with pytest.raises(
        manifest.ManifestError, match=r"line 2: field 'captured_at', value 'last week'"
    ):
        manifest.check(bad, None, None)
    escape = tmp_path / "e.jsonl"
    escape.write_text(
        '{"url": "https://a.example/", "captured_at": "2026-11-01", "robots": "../../etc/passwd"}\n'
    )
    with pytest.raises(manifest.ManifestError, match="outside the manifest's folder"):
        manifest.check(escape, None, None)


def test_a_creator_sees_which_registered_datasets_held_their_reserved_works(engine: Engine) -> None:
    reg = _setup(engine)
    register.file_reservation(
        engine, reg.log, register.parse_reservation(RESERVATION), "maria-ruiz", dt.date(2026, 11, 1)
    )
    reg.add(Model(id="lab-student", name="Student", owner="lab"))
    reg.add(Model(id="lab-teacher", name="Teacher", owner="lab", datasets=["lab/crawl-2026-11"]))
    reg.add(Disclosure.model_validate({
        "id": "d-student", "student": "lab-student", "teachers": [{"model": "lab-teacher", "signal": "logits"}],
        "method_summary": "Logit distillation.", "data_sources_summary": "The lab's crawl.",
        "datasets": ["lab/crawl-2026-11"], "filed_on": "2026-11-25",
    }))  # fmt: skip
    summary = manifest.check(EXAMPLES / "manifest.jsonl", register.load_index(engine), None)
    register.record_report(engine, {**summary, "id": "rep-1", "dataset": "lab/crawl-2026-11",
                                    "checked_on": "2026-11-26", "manifest_sha256": summary["manifest"]["sha256"]})  # fmt: skip
    seen = register.where_reported(engine, "maria-ruiz")
    assert [(s["dataset"], s["reservations"]) for s in seen] == [
        ("lab/crawl-2026-11", {"res-poems": 1})
    ]
    assert seen[0]["declared_by"] == [
        {"record": "d-student", "model": "lab-student"},
        {"record": "lab-teacher", "model": "lab-teacher"},
    ]
    assert register.where_reported(engine, "lab") == []


def test_robots_files_are_parsed_once_per_manifest(tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_text("User-agent: *\nContent-Usage: train-ai=n\n")
    lines = "".join(
        json.dumps(
            {"url": f"https://s.example/{i}", "captured_at": "2026-11-01", "robots": "robots.txt"}
        )
        + "\n"
        for i in range(50)
    )
    (tmp_path / "m.jsonl").write_text(lines)
    items = [i for _, i in manifest.items_of_manifest(tmp_path / "m.jsonl")]
    assert len({id(i.robots) for i in items}) == 1 and isinstance(items[0].robots, RobotsFile)


def test_a_manifest_checked_in_parallel_gives_the_same_rows_in_the_same_order(
    tmp_path: Path,
) -> None:
    robots = ["User-agent: *\nContent-Usage: train-ai=n\nContent-Usage: /open/ train-ai=y\n",
              "User-agent: GPTBot\nDisallow: /\n", "User-agent: *\nAllow: /\n"]  # fmt: skip
    for i, text in enumerate(robots):
        (tmp_path / f"{i}.txt").write_text(text)
    with (tmp_path / "m.jsonl").open("w") as f:
        for i in range(6000):
            row = {"url": f"https://s{i % 7}.example/{'open/' if i % 3 else ''}{i}",
                   "captured_at": "2026-11-01", "robots": f"{i % 3}.txt"}  # fmt: skip
            if i % 5 == 0:
                row["headers"] = {"Content-Usage": "train-ai=y"}
            f.write(json.dumps(row) + "\n")
    one, two = io.StringIO(), io.StringIO()
    a = manifest.check(tmp_path / "m.jsonl", None, one, "csv", workers=1)
    b = manifest.check(tmp_path / "m.jsonl", None, two, "csv", workers=2, min_parallel_bytes=0)
    assert one.getvalue() == two.getvalue()
    assert a == b and a["items"] == 6000
    lines = one.getvalue().splitlines()
    assert (
        lines[0].startswith("line,url")
        and lines[1].startswith("1,")
        and lines[-1].startswith("6000,")
    )
    parts = manifest.chunks(tmp_path / "m.jsonl", 4)
    assert parts[0].start == 0 and parts[-1].end == (tmp_path / "m.jsonl").stat().st_size
    assert all(
        a.end == b.start and a.first_line < b.first_line for a, b in itertools.pairwise(parts)
    )
