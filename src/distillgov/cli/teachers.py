"""The catalogue of real teacher models, and how far their terms reach (`terms review`)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from distillgov.cli.common import (
    Format,
    JurisdictionOpt,
    OnOpt,
    ProfileFilesOpt,
    ProfileOpt,
    chosen_profiles,
    fail,
    parse_day,
    profile_for,
)
from distillgov.errors import DistillgovError
from distillgov.inputs import decode_text, read_bytes
from distillgov.teachers.catalogue import CATALOGUE_ENV, catalogue, diff, find, validate
from distillgov.teachers.review import column_of, review_clause
from distillgov.teachers.watch import (
    Every,
    Unit,
    csv_tables,
    first_terms,
    read_shares,
    watch,
    watch_text,
)
from distillgov.teachers.watch_chart import draw

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


commands = typer.Typer(help="The regulator's watch on restrictive terms.")


_From = Annotated[
    str | None, typer.Option("--from", help="YYYY-MM-DD. Default: the first catalogued terms.")
]
_To = Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD. Default: today.")]
_Every = Annotated[str, typer.Option("--every", help="The series' step: month, quarter or year.")]
_Unit = Annotated[
    str, typer.Option("--unit", help="Count teacher models (model) or product lines (family).")
]
_Jurisdictions = Annotated[
    list[str] | None,
    typer.Option("--jurisdiction", "-j", help="Profile id (repeatable; default: all)."),
]
_Shares = Annotated[
    Path | None,
    typer.Option(
        "--shares", help="CSV of market shares (supplier,share_percent,source,as_of): adds the HHI."
    ),
]
_CsvDir = Annotated[
    Path | None, typer.Option("--csv", help="Write series/events/binding CSV files here.")
]
_ChartDir = Annotated[
    Path | None, typer.Option("--chart", help="Write watch-terms.png and .svg here.")
]


@commands.command("watch-terms")
def watch_terms(
    start: _From = None,
    end: _To = None,
    every: _Every = "quarter",
    unit: _Unit = "model",
    jurisdictions: _Jurisdictions = None,
    profiles: ProfileFilesOpt = None,
    shares: _Shares = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    csv_dir: _CsvDir = None,
    chart_dir: _ChartDir = None,
) -> None:
    """Indicators over time from the dated catalogue: the share of teachers whose terms forbid
    distillation or grant it, tightening and loosening events (flagged within 90 days of a
    rival's release), how far the bans bind under each profile, and (--shares) concentration.

    Example: distillgov watch-terms --from 2023-01-01 --every year --chart out/
    """
    try:
        report = _watch_report(start, end, every, unit, jurisdictions, profiles, shares)
    except DistillgovError as exc:
        fail(exc)
    for folder, write in ((csv_dir, _write_csv), (chart_dir, _write_chart)):
        if folder is not None:
            for path in write(report, folder):
                typer.echo(f"wrote {path}", err=True)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for line in watch_text(report):
        typer.echo(line)


def _watch_report(
    start: str | None,
    end: str | None,
    every: str,
    unit: str,
    jurisdictions: list[str] | None,
    profiles: list[Path] | None,
    shares: Path | None,
) -> dict[str, Any]:
    if every not in ("month", "quarter", "year"):
        fail(f"option --every, value {every!r}: use month, quarter or year")
    if unit not in ("model", "family"):
        fail(f"option --unit, value {unit!r}: use model or family")
    teachers = list(catalogue().values())
    day_to = parse_day(end, "--to") or dt.date.today()
    day_from = parse_day(start, "--from") or first_terms(teachers)
    chosen = chosen_profiles(jurisdictions, profiles)
    read = None
    if shares is not None:
        by_id = {t.id: t for t in teachers}
        read = read_shares(decode_text(read_bytes(shares), str(shares)), by_id, str(shares))
    return watch(
        teachers, chosen, day_from, day_to, cast(Every, every), cast(Unit, unit), read,
        overlay=os.environ.get(CATALOGUE_ENV) or None,
    )  # fmt: skip


def _write_csv(report: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, body in csv_tables(report).items():
        path = folder / f"watch-terms-{name}.csv"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


def _write_chart(report: dict[str, Any], folder: Path) -> list[Path]:
    return [Path(p) for p in draw(report, folder).values()]
