"""Hostile and careless files, as a new user sends them: each is refused with one clear line
(exit 2, no traceback), within bounded time and memory, and nothing else is done.

The corpus is `tests/inputs/nasty/` (text files) plus files made here that git should not hold
as text: other encodings and binary data."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillgov.assessment.batch import assess_frame, first_row_number, read_frame
from distillgov.assessment.casefiles import case_from_data
from distillgov.errors import DistillgovError
from distillgov.inputs import decode_text, parse_json, parse_yaml
from distillgov.jurisdictions import load_builtin
from distillgov.tables import read_table
from tests.conftest import EXAMPLES

CORPUS = sorted((Path(__file__).parent / "nasty").iterdir())
BASE = (EXAMPLES / "cases" / "startup-clones-chat-model-via-public-api.yaml").read_text()
MEMORY_BYTES = 1 << 30  # no file may make the process need more than 1 GiB
SECONDS = 10


def _made(tmp: Path) -> list[Path]:
    files = {
        "latin-1.yaml": BASE.replace("title: A", "title: Suporte Rápido: a").encode("latin-1"),
        "utf-16-no-mark.yaml": BASE.encode("utf-16-le"),
        "binary.yaml": bytes(range(256)) * 40,
        "gzip.json": b"\x1f\x8b\x08\x00" + bytes(500),
        "bell-character.yaml": BASE.replace("title: A", "title: \x07A").encode(),
    }
    out = []
    for name, data in files.items():
        (tmp / name).write_bytes(data)
        out.append(tmp / name)
    return out


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def test_every_nasty_file_is_refused_in_one_line(tmp_path: Path) -> None:
    for path in [*CORPUS, *_made(tmp_path)]:
        r = subprocess.run(
            [sys.executable, "-m", "distillgov", "assess", str(path), "-j", "us", "-f", "json"],
            capture_output=True,
            text=True,
            timeout=SECONDS,
            preexec_fn=_limited,
        )
        assert r.returncode == 2, (path.name, r.returncode, r.stderr[-500:])
        assert "Traceback" not in r.stderr and r.stdout == "", path.name
        first = r.stderr.splitlines()[0]
        assert first.startswith(f"error: {path}"), (path.name, first)


def test_the_utf_16_file_with_its_mark_is_read(tmp_path: Path) -> None:
    marked = tmp_path / "utf-16.yaml"
    marked.write_bytes(BASE.encode("utf-16"))  # with its byte-order mark
    r = subprocess.run(
        [sys.executable, "-m", "distillgov", "assess", str(marked), "-j", "cn", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=SECONDS,
    )
    assert r.returncode == 0 and '"category": "commercial_cloning"' in r.stdout, r.stderr


def test_a_latin_1_file_is_named_as_such(tmp_path: Path) -> None:
    path = next(p for p in _made(tmp_path) if p.name == "latin-1.yaml")
    with pytest.raises(DistillgovError, match=r"not valid UTF-8 at byte \d+ .*Windows-1252"):
        decode_text(path.read_bytes(), str(path))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_cleanly(raw: bytes) -> None:
    # Anything but a DistillgovError (a traceback for a user) fails the test.
    with contextlib.suppress(DistillgovError):
        case_from_data(parse_yaml(decode_text(raw, "fuzz"), "fuzz"), "fuzz")


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2024-02-30", "0000-00-00", "9999-12-31", "2025-01-01", "commercial"]),
)
_fields = st.sampled_from(
    [
        "id",
        "title",
        "assessed_on",
        "access",
        "purpose",
        "deployment",
        "market_relation",
        "output_use",
        "volume",
        "teacher",
        "safety",
        "transparency",
        "commercial_release_date",
    ]
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_fields, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_fields, _values, max_size=8))
def test_any_case_shaped_data_is_accepted_or_refused_cleanly(data: dict[str, object]) -> None:
    refusal = ""
    try:
        case_from_data(data, "fuzz")
    except DistillgovError as exc:
        refusal = str(exc)
        assert refusal.startswith("fuzz: ")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_json_is_read_or_refused_cleanly(text: str) -> None:
    with contextlib.suppress(DistillgovError):
        parse_json(text, "fuzz")


def test_usage_rows_too_large_to_sum_exactly_are_refused(tmp_path: Path) -> None:
    case = EXAMPLES / "cases" / "startup-clones-chat-model-via-public-api.yaml"
    cli = [sys.executable, "-m", "distillgov"]
    opened = subprocess.run(
        [*cli, "license", "open", str(case), "-j", "global_south", "--id", "lic-x"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert opened.returncode == 0, opened.stderr
    head = "licence,period,units,revenue,currency\n"
    for row, field in (
        ("lic-x,2025-03,12345678901234567890,10.00,USD", "units"),
        ("lic-x,2025-03,5,123456789012345678.00,USD", "revenue"),
    ):
        report = tmp_path / f"{field}.csv"
        report.write_text(head + row + "\n")
        r = subprocess.run(
            [*cli, "usage", "ingest", str(report)], cwd=tmp_path, capture_output=True, text=True
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert f"field '{field}'" in r.stderr


def test_a_table_error_names_the_file_as_sent_not_where_it_was_kept(tmp_path: Path) -> None:
    kept = tmp_path / "upload.csv"
    kept.write_bytes("licence,period\nlic,2025-03 r\xe1pido\n".encode("latin-1"))
    with pytest.raises(DistillgovError) as info:
        read_table(kept, "march-report.csv")
    assert str(info.value).startswith("march-report.csv: line 2") and str(tmp_path) not in str(
        info.value
    )


_COLUMNS = st.sampled_from(
    [
        "id",
        "assessed_on",
        "access",
        "purpose",
        "deployment",
        "market_relation",
        "output_use",
        "volume.outputs",
        "volume.one_off",
        "teacher.release_date",
        "teacher.id",
        "safety.evaluated",
        "commercial_release_date",
        "nonsense",
    ]
)
_CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "true",
            "no",
            "2024-02-30",
            "2025-01-01",
            "9" * 25,
            "-1",
            "1e400",
            "commercial",
            "training;judging",
            "llama-3.1-70b",
            '"',
            "\x00",
        ]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_COLUMNS, min_size=1, max_size=6, unique=True),
    st.lists(st.lists(_CELLS, min_size=6, max_size=6), min_size=1, max_size=5),
    st.sampled_from([".csv", ".jsonl"]),
)
def test_any_batch_file_is_assessed_or_refused_cleanly(
    columns: list[str], rows: list[list[str]], suffix: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cases{suffix}"
        if suffix == ".csv":
            lines = [",".join(columns)] + [",".join(r[: len(columns)]) for r in rows]
            path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
        else:
            records = [dict(zip(columns, r, strict=False)) for r in rows]
            path.write_text("\n".join(json.dumps(r) for r in records))
        with contextlib.suppress(DistillgovError):
            frame = read_frame(path)
            assess_frame(
                frame, load_builtin("us"), dt.date(2025, 3, 1), None, first_row_number(path)
            )
