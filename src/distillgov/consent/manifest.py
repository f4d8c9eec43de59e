"""A distiller's consent check: every item of a crawl or dataset manifest decided against the
register and the signals captured with it, streamed (bounded memory however long the manifest),
written as CSV, JSONL or Parquet, with totals.

A manifest is JSONL or CSV, one item a line: `url` and `captured_at` (a date or an ISO
timestamp) are required; `agent` (the crawler's robots token), `work` and `collection` (ids the
register can name) are optional, and so are the captured signals, each the path of a file
relative to the manifest (`robots`, `tdmrep`, `html`) or, for `headers`, a JSON object or the
path of one. A WARC file is read with warcio: its robots.txt and tdmrep.json responses are kept
per host as they stood at each later capture (a single pass, so in capture order), and every other
response is an item, its headers and HTML read from the record.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import itertools
import json
import multiprocessing
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from distillgov.consent import tdmrep
from distillgov.consent.decide import Item, Status, Verdict, decide
from distillgov.consent.register import Index
from distillgov.consent.robots import RobotsFile
from distillgov.errors import InputFileError

COLUMNS = ("line", "url", "captured_on", "status", "decided_by", "signals", "unknown_terms",
           "reservations")  # fmt: skip
MAX_SIGNAL_FILE = 5 * 1024 * 1024
MAX_HTML = 2 * 1024 * 1024


class ManifestError(InputFileError):
    """A manifest line cannot be read; the lines before it were checked."""


@dataclass
class Totals:
    items: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_signal: Counter[str] = field(default_factory=Counter)
    unknown_terms: Counter[str] = field(default_factory=Counter)
    reservations: Counter[str] = field(default_factory=Counter)

    def add(self, v: Verdict) -> None:
        self.items += 1
        self.by_status[v.status.value] += 1
        if v.decided_by:
            self.by_signal[_signal_kind(v.decided_by)] += 1
        self.unknown_terms.update(v.unknown_terms)
        self.reservations.update(v.reservations)

    def merge(self, other: Totals) -> None:
        self.items += other.items
        self.by_status.update(other.by_status)
        self.by_signal.update(other.by_signal)
        self.unknown_terms.update(other.unknown_terms)
        self.reservations.update(other.reservations)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "totals": {s.value: self.by_status.get(s.value, 0) for s in Status},
            "decided_by": dict(sorted(self.by_signal.items())),
            "unknown_terms": dict(sorted(self.unknown_terms.items())),
            "register": {"reservations": dict(sorted(self.reservations.items()))},
        }


def _signal_kind(why: str) -> str:
    head = why.split(":", 1)[0]
    return "robots.txt" if head.startswith("robots.txt") else head


def _day(value: Any, line: int) -> dt.date:
    text = str(value or "").strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise ManifestError(
            f"line {line}: field 'captured_at', value {text!r}: a date (YYYY-MM-DD) or an ISO "
            "timestamp"
        ) from None


class _Files:
    """The captured signal files a manifest names, read once each (bounded cache)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.robots = lru_cache(maxsize=4096)(self._robots)
        self.tdm = lru_cache(maxsize=4096)(self._tdm)
        self.headers = lru_cache(maxsize=4096)(self._headers)

    def _read(self, name: str, limit: int) -> str:
        path = (self.base / name).resolve()
        if not path.is_relative_to(self.base.resolve()):
            raise ManifestError(f"file {name!r}: outside the manifest's folder")
        if not path.exists() and (self.base / Path(name).name).is_file():
            # Files uploaded from a browser arrive without their folders: match by file name.
            path = self.base / Path(name).name
        try:
            with path.open("rb") as f:
                raw = f.read(limit + 1)
        except OSError as why:
            raise ManifestError(f"file {name!r}: cannot be read ({why.strerror})") from None
        return raw[:limit].decode("utf-8", errors="replace")

    def _robots(self, name: str) -> RobotsFile:
        return RobotsFile(self._read(name, MAX_SIGNAL_FILE))

    def _tdm(self, name: str) -> tuple[tdmrep.Rule, ...]:
        return tuple(tdmrep.parse_file(self._read(name, MAX_SIGNAL_FILE))[0])

    def _headers(self, value: str) -> tuple[tuple[str, str], ...]:
        text = value if value.lstrip().startswith("{") else self._read(value, MAX_SIGNAL_FILE)
        try:
            data = json.loads(text)
        except ValueError:
            raise ManifestError(f"headers {value[:60]!r}: not a JSON object") from None
        if not isinstance(data, dict):
            raise ManifestError(f"headers {value[:60]!r}: not a JSON object")
        return tuple((str(k), str(v)) for k, v in data.items())

    def html(self, name: str) -> str:
        return self._read(name, MAX_HTML)


@dataclass(frozen=True)
class Chunk:
    """A run of whole lines of a manifest: from byte `start` to byte `end`, the first being
    line `first_line` of the file."""

    start: int
    end: int
    first_line: int


def _kind(path: Path) -> str:
    name = path.name.removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    raise ManifestError(f"{path}: a manifest is .jsonl, .csv (optionally .gz) or .warc(.gz)")


def _lines(path: Path, chunk: Chunk | None) -> Iterator[tuple[int, str]]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            yield from enumerate(f, start=1)
        return
    with path.open("rb") as f:
        start, end, number = (
            (0, None, 1) if chunk is None else (chunk.start, chunk.end, chunk.first_line)
        )
        f.seek(start)
        at = start
        while end is None or at < end:
            raw = f.readline()
            if not raw:
                return
            at += len(raw)
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ManifestError(f"line {number}: not UTF-8 text") from None
            number += 1


def _rows(path: Path, chunk: Chunk | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    kind = _kind(path)
    lines = _lines(path, chunk)
    if kind == "jsonl":
        for number, line in lines:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as why:
                raise ManifestError(f"line {number}: not JSON ({why})") from None
            if not isinstance(row, dict):
                raise ManifestError(f"line {number}: not a JSON object")
            yield number, row
        return
    header = _csv_header(path)
    for number, line in lines:
        if number == 1 or not line.strip():
            continue
        values = next(csv.reader([line]))
        yield number, {k: v for k, v in zip(header, values, strict=False) if v not in (None, "")}


def _csv_header(path: Path) -> list[str]:
    opener: Callable[..., IO[str]] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        return next(csv.reader(f), [])


def chunks(path: Path, parts: int) -> list[Chunk]:
    """`parts` runs of whole lines covering the file (fewer if it is small)."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as f:
        for i in range(1, parts):
            f.seek(max(cuts[-1], size * i // parts))
            f.readline()  # to the end of the line the cut fell in
            if f.tell() >= size:
                break
            cuts.append(f.tell())
        found, numbers = [], [1]
        for a, b in itertools.pairwise(cuts):
            f.seek(a)
            numbers.append(numbers[-1] + f.read(b - a).count(b"\n"))
    ends = [*cuts[1:], size]
    for a, b, n in zip(cuts, ends, numbers, strict=True):
        found.append(Chunk(a, b, n))
    return found


def items_of_manifest(path: Path, chunk: Chunk | None = None) -> Iterator[tuple[int, Item]]:
    files = _Files(path.parent)
    for number, row in _rows(path, chunk):
        url = row.get("url")
        if not url and not row.get("work"):
            raise ManifestError(f"line {number}: needs a 'url' (or a 'work' id)")
        item = Item(
            url=str(url) if url else None,
            captured_on=_day(row.get("captured_at"), number),
            agent=str(row.get("agent") or "*"),
            work=str(row["work"]) if row.get("work") else None,
            collection=str(row["collection"]) if row.get("collection") else None,
        )
        try:
            if row.get("robots"):
                item.robots = files.robots(str(row["robots"]))
            if row.get("tdmrep"):
                item.tdm_rules = list(files.tdm(str(row["tdmrep"])))
            if row.get("headers"):
                raw = row["headers"]
                value = json.dumps(raw) if isinstance(raw, dict) else str(raw)
                item.headers = dict(files.headers(value))
            if row.get("html"):
                item.html = files.html(str(row["html"]))
        except ManifestError as why:
            raise ManifestError(f"line {number}: {why}") from None
        yield number, item


def items_of_warc(path: Path, agent: str = "*") -> Iterator[tuple[int, Item]]:
    # warcio is read only for WARC input: a JSONL or CSV manifest never loads it.
    from warcio.archiveiterator import ArchiveIterator

    robots: dict[str, RobotsFile] = {}
    rules: dict[str, list[tdmrep.Rule]] = {}
    with path.open("rb") as f:
        for number, record in enumerate(ArchiveIterator(f), start=1):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            day = _day(record.rec_headers.get_header("WARC-Date"), number)
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            status = record.http_headers.get_statuscode()
            body = record.content_stream().read(MAX_SIGNAL_FILE)
            if parts.path == "/robots.txt":
                if status.startswith("2"):
                    robots[host] = RobotsFile(body.decode("utf-8", errors="replace"))
                continue
            if parts.path == "/.well-known/tdmrep.json":
                if status.startswith("2"):
                    rules[host] = tdmrep.parse_file(body.decode("utf-8", errors="replace"))[0]
                continue
            headers = {k: v for k, v in record.http_headers.headers}
            kind = record.http_headers.get_header("Content-Type") or ""
            html = body[:MAX_HTML].decode("utf-8", errors="replace") if "html" in kind else None
            yield number, Item(url, day, agent, None, None, robots.get(host), headers, html,
                               rules.get(host))  # fmt: skip


MIN_PARALLEL_BYTES = 4 * 1024 * 1024  # a smaller manifest is checked in one process


def check(
    source: Path,
    register: Index | None,
    out: IO[str] | None,
    fmt: str = "csv",
    agent: str = "*",
    on_item: Callable[[int], None] | None = None,
    workers: int = 1,
    min_parallel_bytes: int = MIN_PARALLEL_BYTES,
) -> dict[str, Any]:
    """Decide every item, write one row each to `out` (CSV or JSONL), and return the summary.
    Memory stays bounded: items stream through, only counts are kept. With `workers` > 1 a
    large JSONL or CSV manifest is split into runs of whole lines checked in parallel
    processes (forked, so the register is shared), their rows written back in file order."""
    warc = source.name.endswith((".warc", ".warc.gz"))
    if not warc:
        _kind(source)
    parallel = (
        workers > 1 and not warc and source.suffix != ".gz"
        and source.stat().st_size >= min_parallel_bytes
    )  # fmt: skip
    if out is not None and fmt == "csv":
        out.write(",".join(COLUMNS) + "\n")
    if parallel:
        totals = _parallel(source, register, out, fmt, agent, on_item, workers)
    else:
        items = items_of_warc(source, agent) if warc else items_of_manifest(source)
        totals = _check_items(items, register, out, fmt, on_item)
    summary = totals.as_dict()
    summary["manifest"] = {"file": source.name, "sha256": _digest(source)}
    summary["register"]["size"] = register.size if register is not None else None
    return summary


def _check_items(
    items: Iterator[tuple[int, Item]],
    register: Index | None,
    out: IO[str] | None,
    fmt: str,
    on_item: Callable[[int], None] | None,
) -> Totals:
    totals = Totals()
    writer = csv.writer(out, lineterminator="\n") if out is not None and fmt == "csv" else None
    for number, item in items:
        verdict = decide(item, register)
        totals.add(verdict)
        if out is not None:
            row = _row(number, item, verdict)
            if writer is not None:
                writer.writerow(row)
            else:
                line = json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False)
                out.write(line + "\n")
        if on_item is not None:
            on_item(1)
    return totals


# What a forked worker needs, set by the parent just before it forks.
_WORK: dict[str, Any] = {}


def _work(chunk: Chunk) -> tuple[str | None, Totals]:
    source, register, fmt, keep = _WORK["source"], _WORK["register"], _WORK["fmt"], _WORK["keep"]
    if not keep:
        return None, _check_items(items_of_manifest(source, chunk), register, None, fmt, None)
    fd, name = tempfile.mkstemp(prefix="consent-", suffix=f".{fmt}", dir=_WORK["folder"])
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        totals = _check_items(items_of_manifest(source, chunk), register, handle, fmt, None)
    return name, totals


def _parallel(
    source: Path,
    register: Index | None,
    out: IO[str] | None,
    fmt: str,
    agent: str,
    on_item: Callable[[int], None] | None,
    workers: int,
) -> Totals:
    parts = chunks(source, workers * 8)  # several per worker: the progress bar moves
    totals = Totals()
    with tempfile.TemporaryDirectory() as folder:
        _WORK.update(source=source, register=register, fmt=fmt, keep=out is not None, folder=folder)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for name, part in pool.imap(_work, parts):
                    totals.merge(part)
                    if name is not None and out is not None:
                        with open(name, encoding="utf-8", newline="") as f:
                            shutil.copyfileobj(f, out)
                        os.unlink(name)
                    if on_item is not None:
                        on_item(part.items)
        finally:
            _WORK.clear()
    return totals


def _row(number: int, item: Item, v: Verdict) -> tuple[Any, ...]:
    return (
        number, item.url or item.work, item.captured_on.isoformat(), v.status.value,
        v.decided_by or "", " | ".join(v.signals), ";".join(v.unknown_terms),
        ";".join(v.reservations),
    )  # fmt: skip


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def to_parquet(csv_path: Path, parquet_path: Path) -> None:
    """The CSV results as Parquet, streamed by Polars (never the whole table in memory)."""
    # Polars loads only when Parquet is asked for.
    import polars as pl

    schema = {c: pl.String for c in COLUMNS} | {"line": pl.Int64}
    pl.scan_csv(csv_path, schema=schema).sink_parquet(parquet_path)
