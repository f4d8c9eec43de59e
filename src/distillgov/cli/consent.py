"""Creators' consent from the command line: reserve works in the register (each reservation a
log entry), withdraw, list and prove reservations; read what a robots.txt, headers or a page say;
and check a crawl or dataset manifest against the register and its captured signals."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from distillgov.cli.common import DatabaseOpt, fail, progress
from distillgov.consent import manifest, register, tdmrep
from distillgov.consent.decide import Item, decide
from distillgov.consent.robots import RobotsFile
from distillgov.errors import DistillgovError
from distillgov.inputs import decode_text, parse_yaml, read_bytes
from distillgov.registry.registry import Registry
from distillgov.storage.db import open_database

consent_app = typer.Typer(
    help="Creators' reservations of their works from AI training, the signals they publish, "
    "and a distiller's check of what it collected.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _read(path: Path) -> Any:
    return parse_yaml(decode_text(read_bytes(path), str(path)), str(path))


@consent_app.command("reserve")
def reserve(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A reservation, YAML or JSON.")],
    filed_by: Annotated[str, typer.Option("--by", help="Who files it (the holder or its agent).")],
    database: DatabaseOpt = None,
) -> None:
    """Record a reservation of works (works, collections, domains or URL patterns) from AI
    training; it is appended to the transparency log and in force from today.

    Example: distillgov consent reserve examples/consent/reservation.yaml --by maria-ruiz
    """
    try:
        form = register.parse_reservation(_read(path), str(path))
        engine = open_database(database)
        done = register.file_reservation(
            engine, Registry(engine).log, form, filed_by, dt.date.today()
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(
        f"logged reservation '{done['id']}' as entry {done['entry']}, "
        f"in force from {done['filed_on']}"
    )


@consent_app.command("withdraw")
def withdraw(
    reservation: Annotated[str, typer.Argument(metavar="RESERVATION")],
    withdrawal_id: Annotated[str, typer.Option("--id", help="The withdrawal's own id.")],
    filed_by: Annotated[str, typer.Option("--by", help="Who withdraws it.")],
    database: DatabaseOpt = None,
) -> None:
    """Withdraw a reservation from today: a new log entry; the reservation stays in the log."""
    try:
        engine = open_database(database)
        done = register.withdraw(
            engine, Registry(engine).log, withdrawal_id, reservation, filed_by, dt.date.today()
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"logged withdrawal '{done['id']}' of '{reservation}' as entry {done['entry']}")


@consent_app.command("list")
def list_(
    holder: Annotated[str | None, typer.Option(help="Only this rights-holder's.")] = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Reservations in the register, with their scopes, dates and withdrawals."""
    try:
        rows = register.reservations(open_database(database), holder)
    except DistillgovError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for r in rows:
        scope = ", ".join(f"{s['kind']} {s['value']}" for s in r["scope"])
        state = f"withdrawn {r['withdrawn']['filed_on']}" if r["withdrawn"] else "in force"
        typer.echo(f"{r['id']} ({r['holder']}, from {r['filed_on']}, {state}): {scope}")


@consent_app.command("prove")
def prove(
    record: Annotated[str, typer.Argument(metavar="ID", help="A reservation or withdrawal.")],
    database: DatabaseOpt = None,
) -> None:
    """An offline proof bundle that the reservation is in the log (JSON): its entry, the audit
    path and a signed checkpoint, checkable with the log's public key alone."""
    try:
        engine = open_database(database)
        bundle = Registry(engine).log.prove(register.entry_of(engine, record), record=record)
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(bundle, indent=2, sort_keys=True))


@consent_app.command("where")
def where(
    holder: Annotated[str, typer.Argument(metavar="HOLDER")],
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """For a rights-holder: the checked datasets that contained its reserved works, and the
    registered models (and disclosures) that declare training on them."""
    try:
        rows = register.where_reported(open_database(database), holder)
    except DistillgovError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for r in rows:
        met = ", ".join(f"{k} ({v} items)" for k, v in r["reservations"].items())
        models = (
            ", ".join(f"{d['model']} (record {d['record']})" for d in r["declared_by"])
            or "none registered"
        )
        typer.echo(f"{r['dataset']} (checked {r['checked_on']}): {met}; declared by {models}")


@consent_app.command("signals")
def signals(
    url: Annotated[str, typer.Argument(metavar="URL")],
    robots: Annotated[Path | None, typer.Option(help="The site's robots.txt as captured.")] = None,
    tdm_file: Annotated[Path | None, typer.Option("--tdmrep", help="Its tdmrep.json.")] = None,
    headers: Annotated[Path | None, typer.Option(help="Response headers, a JSON object.")] = None,
    html: Annotated[Path | None, typer.Option(help="The page, for its <meta> elements.")] = None,
    agent: Annotated[str, typer.Option(help="The crawler's robots token.")] = "*",
    database: Annotated[
        str | None, typer.Option("--database", help="Also read the register in this database.")
    ] = None,
) -> None:
    """What each signal says of one URL, and the verdict for AI training.

    Example: distillgov consent signals https://news.example/2026/story --robots
    examples/consent/site/robots.txt --tdmrep examples/consent/site/tdmrep.json
    """
    try:
        item = Item(url, dt.date.today(), agent)
        if robots:
            item.robots = RobotsFile(decode_text(read_bytes(robots), str(robots)))
        if tdm_file:
            item.tdm_rules = tdmrep.parse_file(decode_text(read_bytes(tdm_file), str(tdm_file)))[0]
        if headers:
            item.headers = {str(k): str(v) for k, v in json.loads(read_bytes(headers)).items()}
        if html:
            item.html = decode_text(read_bytes(html), str(html))
        index = register.load_index(open_database(database)) if database else None
        verdict = decide(item, index)
    except (DistillgovError, ValueError, AttributeError) as exc:
        fail(
            exc
            if isinstance(exc, DistillgovError)
            else DistillgovError(f"could not read a signal: {exc}")
        )
    typer.echo(f"{verdict.status.value}: {verdict.decided_by or 'no signal decides'}")
    for s in verdict.signals:
        typer.echo(f"  {s}")
    if verdict.unknown_terms:
        typer.echo(f"  unknown vocabulary (kept, not read): {', '.join(verdict.unknown_terms)}")


@consent_app.command("check")
def check(
    source: Annotated[
        Path, typer.Argument(metavar="MANIFEST", help=".jsonl, .csv (or .gz) or .warc(.gz).")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Per-item results: .csv, .jsonl or .parquet."),
    ] = None,
    summary: Annotated[Path | None, typer.Option(help="Write the totals as JSON here too.")] = None,
    agent: Annotated[str, typer.Option(help="The crawler that made a WARC's captures.")] = "*",
    dataset: Annotated[
        str | None, typer.Option(help="Record the totals in the register as this dataset's report.")
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Check a crawl or dataset manifest, item by item, against the register and the signals
    captured with it (as they stood at capture time): reserved / not reserved / unknown, with
    the signal that decided. Prints the totals (JSON).

    Example: distillgov consent check examples/consent/manifest.jsonl -o report.csv
    """
    try:
        engine = open_database(database)
        index = register.load_index(engine)
        doc = _run_check(source, output, index, agent)
        if dataset:
            doc["id"] = f"{dataset}@{doc['manifest']['sha256'][:12]}"
            doc["dataset"], doc["checked_on"] = dataset, dt.date.today().isoformat()
            doc["manifest_sha256"] = doc["manifest"]["sha256"]
            register.record_report(engine, doc)
    except DistillgovError as exc:
        fail(exc)
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if summary:
        summary.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


def _run_check(
    source: Path, output: Path | None, index: register.Index, agent: str
) -> dict[str, Any]:
    if not source.exists():
        raise manifest.ManifestError(f"{source}: no such file")
    fmt = "jsonl" if output is not None and output.suffix == ".jsonl" else "csv"
    with progress(_lines(source), "items") as bar, tempfile.TemporaryDirectory() as tmp:
        parquet = output is not None and output.suffix == ".parquet"
        target = Path(tmp) / "results.csv" if parquet else output
        handle = target.open("w", encoding="utf-8", newline="") if target else None
        try:
            doc = manifest.check(source, index, handle, fmt, agent, bar.advance if bar else None)
        finally:
            if handle:
                handle.close()
        if parquet and output is not None and target is not None:
            manifest.to_parquet(target, output)
    return doc


def _lines(source: Path) -> int:
    """Roughly how many items, for the progress bar: a manifest's lines (a WARC's are unknown)."""
    if source.name.endswith((".warc", ".warc.gz", ".gz")):
        return 0
    with source.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
