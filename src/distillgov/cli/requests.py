"""Data subjects' requests from the command line: file one, take each step on it, apply a batch
of steps, and see the overdue screen, the downstream duties and the trail's check."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from distillgov.cli.common import DatabaseOpt, fail, parse_day, progress
from distillgov.errors import DistillgovError, InputFileError
from distillgov.inputs import read_bytes
from distillgov.jurisdictions import load_profile
from distillgov.requests import access, store
from distillgov.requests.workflow import Action
from distillgov.storage.db import open_database

requests_app = typer.Typer(
    help="Data subjects' access, deletion, correction and opt-out requests, with each "
    "profile's clocks and the duties they put on models downstream.",
    no_args_is_help=True,
)

ActorOpt = Annotated[
    str, typer.Option("--actor", help="Who takes the step (an account or a team), for the trail.")
]
OnDayOpt = Annotated[
    str | None, typer.Option("--on", help="The day the step took effect, YYYY-MM-DD (today).")
]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--key", help="An idempotency key: the same step retried with it is written once."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _today() -> dt.date:
    return dt.date.today()


def _show(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(view, indent=2, sort_keys=True))
        return
    due = view.get("response_due") or "starts at verification"
    typer.echo(f"{view['id']}  {view['kind']}  to {view['organisation']}  [{view['status']}]")
    typer.echo(f"  received {view['received_on']}; identity {view['identity']}; answer by {due}")
    if view.get("acknowledge_due"):
        typer.echo(f"  acknowledge by {view['acknowledge_due']}")
    if view.get("overdue"):
        typer.echo(f"  OVERDUE: {', '.join(view['overdue'])}")
    for d in view.get("duties", []) if isinstance(view.get("duties"), list) else []:
        typer.echo(
            f"  duty {d['id']}: {d['duty']} by {d['due_on']} ({d['owner']}, depth {d['depth']}) "
            f"[{d['status']}]"
        )


@requests_app.command("file")
def file_(
    kind: Annotated[str, typer.Option(help="access, deletion, correction or opt_out.")],
    organisation: Annotated[str, typer.Option("--org", help="The organisation addressed.")],
    request_id: Annotated[
        str | None, typer.Option("--id", help="Your own reference for it (else one is made).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="The data subject's email.")] = None,
    reference: Annotated[
        str | None, typer.Option(help="The subject's id at the organisation.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="The data subject's name.")] = None,
    dataset: Annotated[str | None, typer.Option(help="A dataset the request concerns.")] = None,
    model: Annotated[str | None, typer.Option(help="A registered model it concerns.")] = None,
    jurisdiction: Annotated[
        str, typer.Option("--jurisdiction", "-j", help="Profile whose clocks apply.")
    ] = "us",
    profile: Annotated[Path | None, typer.Option(help="A profile file of your own.")] = None,
    received_on: Annotated[str | None, typer.Option(help="Day of receipt (today).")] = None,
    channel: Annotated[
        str, typer.Option(help="web, api, email, post, phone or in_person.")
    ] = "api",
    on_behalf: Annotated[bool, typer.Option(help="Filed by an authorised agent.")] = False,
    key: KeyOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Record a request received by an organisation; prints its id and deadlines.

    Example: distillgov requests file --kind deletion --org acme --email ada@example.org
    --dataset acme/forum-posts -j us
    """
    form_data = {
        "id": request_id,
        "kind": kind,
        "organisation": organisation,
        "dataset": dataset,
        "model": model,
        "jurisdiction": jurisdiction,
        "received_on": received_on,
        "channel": channel,
        "on_behalf": on_behalf,
        "subject": {"name": name, "email": email, "reference": reference},
    }
    try:
        form = store.parse_form(form_data, "options")
        chosen = load_profile(None if profile else jurisdiction, profile)
        engine = open_database(database)
        view = store.file_request(engine, form, chosen, None, _today(), key)
    except DistillgovError as exc:
        fail(exc)
    _show(view, as_json)


def _step(action: Action, help_text: str) -> None:
    def command(
        request: Annotated[str, typer.Argument(metavar="REQUEST", help="The request's id.")],
        actor: ActorOpt = "operator",
        on: OnDayOpt = None,
        reason: Annotated[str | None, typer.Option(help="Why it is refused (refuse only).")] = None,
        basis: Annotated[
            str | None, typer.Option(help="The legal basis or notice text (no personal data).")
        ] = None,
        evidence_file: Annotated[
            Path | None,
            typer.Option(help="Identity evidence (verify): only its SHA-256 is kept."),
        ] = None,
        key: KeyOpt = None,
        as_json: JsonOpt = False,
        database: DatabaseOpt = None,
    ) -> None:
        try:
            digest = store.evidence_digest(read_bytes(evidence_file)) if evidence_file else None
            engine = open_database(database)
            view = store.act(
                engine, request, action, actor, _today(), parse_day(on, "--on"), key, reason,
                basis, digest,
            )  # fmt: skip
        except DistillgovError as exc:
            fail(exc)
        _show(view, as_json)

    command.__doc__ = help_text
    requests_app.command(action.value.replace("_", "-"))(command)


for _action, _help in (
    (Action.ACKNOWLEDGE, "Confirm receipt of a request."),
    (Action.REQUEST_EVIDENCE, "Ask the requester for evidence of identity."),
    (Action.VERIFY, "Record that the requester's identity is verified (--evidence-file)."),
    (Action.FAIL_VERIFICATION, "Record that the identity could not be verified."),
    (Action.EXTEND, "Extend the response period, by notice before the first deadline."),
    (Action.FULFIL, "Record the request as carried out (a deletion then reaches downstream)."),
    (Action.REFUSE, "Refuse the request, with --reason and --basis."),
    (Action.WITHDRAW, "Record that the requester withdrew the request."),
):
    _step(_action, _help)


@requests_app.command("show")
def show(
    request: Annotated[str, typer.Argument(metavar="REQUEST")],
    on: OnDayOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """A request with its deadlines, its trail of steps and its downstream duties."""
    try:
        view = store.get(open_database(database), request, parse_day(on, "--on") or _today())
    except DistillgovError as exc:
        fail(exc)
    _show(view, as_json)
    if not as_json:
        for e in view["events"]:
            typer.echo(f"  #{e['seq']} {e['on']} {e['action']} by {e['actor']}")


@requests_app.command("list")
def list_(
    organisation: Annotated[
        str | None, typer.Option("--org", help="Only those addressed to it (its queue).")
    ] = None,
    status: Annotated[str | None, typer.Option(help="open, or one status.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (up to 10,000).")] = 1000,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    on: OnDayOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Requests, newest first, with their deadlines (an organisation's queue with --org)."""
    try:
        day = parse_day(on, "--on") or _today()
        engine = open_database(database)
        rows = store.listing(engine, day, organisation, None, status, limit, offset)
    except DistillgovError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for r in rows:
        _show(r, False)
    typer.echo(f"{len(rows)} request(s)", err=True)


@requests_app.command("overdue")
def overdue(
    on: OnDayOpt = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The regulator's screen: open requests past a deadline and overdue downstream duties."""
    try:
        screen = store.overdue_screen(open_database(database), parse_day(on, "--on") or _today())
    except DistillgovError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(screen, indent=2, sort_keys=True))
        return
    if as_csv:
        typer.echo(overdue_csv(screen), nl=False)
        return
    for r in screen["requests"]:
        _show(r, False)
    for d in screen["duties"]:
        typer.echo(f"duty {d['id']}: {d['duty']} was due {d['due_on']} ({d['owner']})")
    typer.echo(f"{len(screen['requests'])} request(s), {len(screen['duties'])} duty(ies)", err=True)


def overdue_csv(screen: dict[str, list[dict[str, Any]]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["type", "id", "organisation", "kind_or_duty", "due", "late"])
    for r in screen["requests"]:
        w.writerow(
            [
                "request",
                r["id"],
                r["organisation"],
                r["kind"],
                r["response_due"],
                ";".join(r["overdue"]),
            ]
        )
    for d in screen["duties"]:
        w.writerow(["duty", d["id"], d["owner"], d["duty"], d["due_on"], "due"])
    return out.getvalue()


@requests_app.command("duties")
def duties(
    owner: Annotated[str, typer.Argument(metavar="ORG", help="The models' owner.")],
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The downstream duties on an organisation's models, open first."""
    try:
        rows = store.duties_of(open_database(database), owner)
    except DistillgovError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for d in rows:
        typer.echo(f"{d['id']}: {d['duty']} by {d['due_on']} [{d['status']}]")


@requests_app.command("close-duty")
def close_duty(
    duty: Annotated[str, typer.Argument(metavar="DUTY")],
    outcome: Annotated[str, typer.Option(help="carried_out or not_affected.")],
    actor: ActorOpt = "operator",
    on: OnDayOpt = None,
    basis: Annotated[str | None, typer.Option(help="What was done, or why not needed.")] = None,
    evidence_file: Annotated[
        Path | None, typer.Option(help="Evidence: its SHA-256 is kept.")
    ] = None,
    key: KeyOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Close a downstream duty: the data was excluded, filtered or unlearnt, or never there."""
    try:
        digest = store.evidence_digest(read_bytes(evidence_file)) if evidence_file else None
        engine = open_database(database)
        done = store.close_duty(
            engine, duty, outcome, actor, _today(), parse_day(on, "--on"), basis, digest, key
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"{done['id']}: {done['status']} ({done['outcome']}) on {done['closed_on']}")


@requests_app.command("propagate")
def propagate(
    request: Annotated[str, typer.Argument(metavar="REQUEST")],
    actor: ActorOpt = "operator",
    database: DatabaseOpt = None,
) -> None:
    """Reach models registered downstream since a deletion or opt-out was fulfilled."""
    try:
        opened = store.propagate(open_database(database), request, actor, _today())
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"{opened} new downstream duty(ies)")


@requests_app.command("export")
def export(
    request: Annotated[str, typer.Argument(metavar="REQUEST")],
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: stdout).")] = None,
    database: DatabaseOpt = None,
) -> None:
    """The answer to a verified access request: what distillgov holds about the person (JSON)."""
    try:
        doc = access.access_export(open_database(database), request, _today())
    except DistillgovError as exc:
        fail(exc)
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


@requests_app.command("apply")
def apply_batch(
    steps: Annotated[Path, typer.Argument(metavar="FILE", help="CSV or JSONL of steps.")],
    actor: ActorOpt = "operator",
    database: DatabaseOpt = None,
) -> None:
    """Apply a batch of steps (columns: request, action, on, key, reason, basis), each in its
    own transaction. A step's key defaults to the file's digest and line, so a batch that was
    stopped can be run again: the steps already written are skipped, none is written twice.

    Example: distillgov requests apply steps.csv
    """
    try:
        raw = read_bytes(steps)
        rows = _steps(raw, steps)
        engine = open_database(database)
        written = _run(engine, rows, actor, hashlib.sha256(raw).hexdigest()[:16])
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"{written} step(s) applied from {steps}")


def _steps(raw: bytes, path: Path) -> list[dict[str, Any]]:
    text = raw.decode("utf-8-sig", errors="strict")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            rows = list(csv.DictReader(io.StringIO(text)))
    except (ValueError, csv.Error) as why:
        raise InputFileError(f"{path}: not readable as steps: {why}") from None
    for i, r in enumerate(rows, start=1):
        if not isinstance(r, dict) or not r.get("request") or r.get("action") not in set(Action):
            raise InputFileError(
                f"{path}: step {i}: needs 'request' and an 'action' of {', '.join(Action)}"
            )
    return rows


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise InputFileError(f"field 'on', value {text!r}: a date is YYYY-MM-DD") from None


def _run(engine: Any, rows: list[dict[str, Any]], actor: str, digest: str) -> int:
    today = _today()
    with progress(len(rows), "steps") as bar:
        for i, r in enumerate(rows, start=1):
            try:
                store.act(
                    engine, r["request"], Action(r["action"]), r.get("actor") or actor, today,
                    _day(r.get("on")), r.get("key") or f"{digest}:{i}", r.get("reason") or None,
                    r.get("basis") or None,
                )  # fmt: skip
            except DistillgovError as exc:
                raise type(exc)(
                    f"step {i} ({r['action']} on {r['request']}): {exc}; the {i - 1} step(s) "
                    "before it are applied, and running the file again skips them",
                    exc.problems,
                ) from None
            if bar:
                bar.advance(1)
            sys.stdout.flush()
    return len(rows)


@requests_app.command("check")
def check(database: DatabaseOpt = None) -> None:
    """Check the trail's hash chain and that every request and duty matches its events."""
    try:
        problems = store.check(open_database(database))
    except DistillgovError as exc:
        fail(exc)
    for p in problems:
        typer.echo(f"problem: {p}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("ok: the requests trail is intact and every projection matches it")


@requests_app.command("purge")
def purge(on: OnDayOpt = None, database: DatabaseOpt = None) -> None:
    """Erase the identifiers of requests closed longer ago than their profile keeps records."""
    try:
        done = store.purge(open_database(database), parse_day(on, "--on") or _today())
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"{len(done)} request(s) purged of identifiers")
