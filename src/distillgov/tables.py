"""Reading tables in one place: CSV, JSON Lines and Parquet, by the file's ending. CSV comes in
as text (the callers parse and report every cell themselves); errors name the file and why."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from distillgov.errors import InputFileError
from distillgov.inputs import decode_text, parse_json

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(
            f"{path}: unknown file type '{path.suffix}'; use one of {', '.join(sorted(FORMATS))}"
        )
    return fmt


def place_name(path: Path) -> str:
    """How a person names a record's place in the file: a line of text, or a row of Parquet."""
    return "row" if format_of(path) == "parquet" else "line"


def read_table(path: Path, origin: str | None = None) -> pl.DataFrame:
    """The table; errors name it as `origin` (e.g. the uploaded file's own name, never the
    server's temporary path) or else by its path."""
    name = origin or str(path)
    fmt = format_of(path)
    if not path.exists():
        raise InputFileError(f"{name}: no such file")
    try:
        if fmt == "csv":
            return pl.read_csv(path, infer_schema=False)
        if fmt == "jsonl":
            return pl.read_ndjson(path)
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InputFileError(
            _diagnosis(path, fmt, name) or f"{name}: cannot read as {fmt}: {_clean(exc, path)}"
        ) from None


def _clean(exc: Exception, path: Path) -> str:
    """The reading library's words, without the file's path (which may be a server's)."""
    return str(exc).replace(str(path), "the file").splitlines()[0][:200]


def _diagnosis(path: Path, fmt: str, name: str) -> str | None:
    """Why a text table could not be read, in the file's own terms (its encoding, the first
    line that is not JSON), rather than in the reading library's."""
    if fmt == "parquet":
        return None
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = decode_text(raw, f"{name}: line {number}")
            except InputFileError as exc:
                return exc.message
            if fmt == "jsonl" and line.strip():
                try:
                    parse_json(line, f"{name}: line {number}")
                except InputFileError as exc:
                    return exc.message
    return None
