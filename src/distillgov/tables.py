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


def read_table(path: Path) -> pl.DataFrame:
    fmt = format_of(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    try:
        if fmt == "csv":
            return pl.read_csv(path, infer_schema=False)
        if fmt == "jsonl":
            return pl.read_ndjson(path)
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InputFileError(
            _diagnosis(path, fmt) or f"{path}: cannot read as {fmt}: {exc}"
        ) from None


def _diagnosis(path: Path, fmt: str) -> str | None:
    """Why a text table could not be read, in the file's own terms (its encoding, the first
    line that is not JSON), rather than in the reading library's."""
    if fmt == "parquet":
        return None
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = decode_text(raw, f"{path}: line {number}")
            except InputFileError as exc:
                return exc.message
            if fmt == "jsonl" and line.strip():
                try:
                    parse_json(line, f"{path}: line {number}")
                except InputFileError as exc:
                    return exc.message
    return None
