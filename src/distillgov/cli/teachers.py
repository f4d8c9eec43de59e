"""The catalogue of real teacher models, and how far their terms reach (`terms review`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from distillgov.cli.common import (
    Format,
    JurisdictionOpt,
    OnOpt,
    ProfileOpt,
    fail,
    parse_day,
    profile_for,
)
from distillgov.errors import DistillgovError
from distillgov.teachers.catalogue import catalogue, diff, find, validate
from distillgov.teachers.review import column_of, review_clause

teachers_app = typer.Typer(help="The catalogue of real teacher models and their dated terms.")
terms_app = typer.Typer(
    help="How far a teacher's terms reach under a jurisdiction.", no_args_is_help=True
)


@teachers_app.callback(invoke_without_command=True)
def teachers_list(ctx: typer.Context) -> None:
    """List the catalogue: every teacher model, its family and its latest terms."""
    if ctx.invoked_subcommand is not None:
        return

    for teacher in catalogue().values():
        versions = teacher.versions()
        latest = f"{versions[-1].name}" if versions else "no terms recorded"
        typer.echo(f"{teacher.id:<26} {teacher.family.name:<20} {latest}")


@teachers_app.command("validate")
def teachers_validate(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of catalogue files.")],
) -> None:
    """Check a folder of catalogue files as `--catalogue DIR` would read them: the same schema
    and messages, every amended family checked whole. Exit 2 naming the file and field."""
    try:
        report = validate(folder)
    except DistillgovError as exc:
        fail(exc)
    for what, models in report.items():
        typer.echo(f"{what}: {', '.join(models)}")
    typer.echo(f"ok: {len(report)} file(s) checked against the shipped catalogue")


@teachers_app.command("diff")
def teachers_diff(
    teacher_id: Annotated[str, typer.Argument(metavar="TEACHER")],
    start: Annotated[str, typer.Option("--from", help="YYYY-MM-DD: the terms then.")],
    end: Annotated[str, typer.Option("--to", help="YYYY-MM-DD: the terms then.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """How a teacher's terms changed between two days, clause by clause.

    Example: distillgov teachers diff gpt-4o --from 2023-06-01 --to 2024-06-01
    """
    try:
        a, b = parse_day(start, "--from"), parse_day(end, "--to")
        assert a is not None and b is not None
        found = diff(find(teacher_id), a, b)
    except DistillgovError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    typer.echo(
        f"{found['teacher']}: {found['from']['terms'] or 'no terms'} ({start}) -> "
        f"{found['to']['terms'] or 'no terms'} ({end})"
    )
    for c in found["changes"]:
        sign = {"added": "+", "removed": "-", "changed": "~"}[c["change"]]
        typer.echo(f"  {sign} {c['type']}: {c['after'] or c['before']}")
    if not found["changes"]:
        typer.echo("  no clause changed")


@teachers_app.command("show")
def teachers_show(
    teacher_id: Annotated[
        str, typer.Argument(help="Catalogue id, e.g. llama-3.1-70b.", metavar="ID")
    ],
) -> None:
    """One teacher with every terms version and clause, each with its source and confidence."""

    try:
        teacher = find(teacher_id)
    except DistillgovError as exc:
        fail(exc)
    m = teacher.model
    out = {
        **m.model_dump(mode="json"),
        "family": teacher.family.family,
        "owner": teacher.family.owner,
        "terms": [t.model_dump(mode="json") for t in teacher.versions()],
    }
    typer.echo(json.dumps(out, indent=2))


@terms_app.command("review")
def terms_review(
    teacher_id: Annotated[
        str, typer.Argument(help="Catalogue id of the teacher.", metavar="TEACHER")
    ],
    jurisdiction: JurisdictionOpt = None,
    profile: ProfileOpt = None,
    on: OnOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """Which clauses of a teacher's terms bind as written here, which are limited or void.

    Example: distillgov terms review gemini-1.5-pro -j global_south
    """

    day = parse_day(on, "--on") or dt.date.today()
    try:
        teacher = find(teacher_id)
        chosen = profile_for(jurisdiction, profile)
        levers = chosen.as_of(day).values
    except DistillgovError as exc:
        fail(exc)
    terms = teacher.terms_on(day)
    if terms is None:
        fail(f"no terms of '{teacher.id}' in the catalogue were in force on {day.isoformat()}")
    findings = [review_clause(c, levers, column_of(chosen.id)) for c in terms.clauses]
    if fmt is Format.json:
        body = {
            "teacher": teacher.id,
            "jurisdiction": chosen.id,
            "on": day.isoformat(),
            "terms": {"id": terms.id, "name": terms.name, "effective": terms.effective.isoformat()},
            "clauses": [f.as_dict() for f in findings],
        }
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(f"{teacher.model.name}: {terms.name}, under {chosen.name}, on {day.isoformat()}\n")
    for f in findings:
        c = f.clause
        where = f" {c.section}" if c.section else ""
        typer.echo(f"[{f.effect}] {c.type.value}{where} ({c.confidence.value}: {c.source})")
        typer.echo(f"    {c.summary}")
        typer.echo(f"    {f.why}  [{f.cite.table} table, row {f.cite.row}]")
