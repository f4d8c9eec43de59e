"""Assessing cases: one (`assess`), many (`assess-batch`); the rules, the schemas, the version."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from distillgov import __version__
from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import essential_marked, load_case
from distillgov.assessment.render import cite_text, render
from distillgov.cli.common import (
    Format,
    JurisdictionOpt,
    OnOpt,
    ProfileOpt,
    fail,
    parse_day,
    profile_for,
    progress,
)
from distillgov.errors import DistillgovError
from distillgov.framework.case import Case
from distillgov.framework.rules import DECISION, FRAMEWORK_VERSION, OBLIGATIONS, OUTCOMES
from distillgov.jurisdictions.profile import ProfileFile

commands = typer.Typer()
schema_app = typer.Typer(help="Print JSON Schemas of the input files.", no_args_is_help=True)


@commands.command()
def assess(
    case_file: Annotated[Path, typer.Argument(help="Case file, YAML or JSON.", metavar="CASE")],
    jurisdiction: JurisdictionOpt = None,
    profile: ProfileOpt = None,
    on: OnOpt = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.", envvar="DISTILLGOV_FORMAT")
    ] = Format.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(help="Exit with status 1 unless the case is determined and compliant."),
    ] = False,
    suggest: Annotated[
        bool,
        typer.Option(help="Propose the nearest compliant variants of a non-compliant case."),
    ] = False,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Read data subjects' requests against the case's data_sources "
            "from this database (default $DISTILLGOV_DATABASE_URL; none read if unset).",
            envvar="DISTILLGOV_DATABASE_URL",
        ),
    ] = None,
) -> None:
    """Assess one case: category, rule, obligations, royalty window, trace and lens notes.

    Example: distillgov assess examples/cases/startup-clones-chat-model-via-public-api.yaml -j cn
    """

    try:
        case = load_case(case_file)
        chosen = parse_day(on, "--on") or case.assessed_on or dt.date.today()
        if case.data_sources:
            case = _with_registers(case, chosen, database)
        determination = assess_case(
            case, profile_for(jurisdiction or case.jurisdiction, profile), chosen, suggest
        )
        out = render(determination, fmt.value)
    except DistillgovError as exc:
        fail(exc)
    if output:
        output.write_text(out, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(out)
    if strict and determination.compliant is not True:
        raise typer.Exit(1)


def _with_registers(case: Case, day: dt.date, database: str | None) -> Case:
    if database is None:
        typer.echo(
            "note: the case names data sources but no --database: requests against them and "
            "their consent checks were not read",
            err=True,
        )
        return case
    # The database and the registers load only for a case that names its data sources:
    # `assess` of any other case starts without them (docs/performance.md, start-up).
    from distillgov.consent.assessment import with_consent_check
    from distillgov.requests.assessment import with_rights_requests
    from distillgov.storage.db import open_database

    engine = open_database(database)
    try:
        case = with_rights_requests(engine, case, day)[0]
        return with_consent_check(engine, case, day)[0]
    finally:
        engine.dispose()


@commands.command("assess-batch")
def assess_batch(
    input_file: Annotated[
        Path, typer.Argument(help="Cases as .csv, .jsonl or .parquet.", metavar="FILE")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Result file: .csv, .jsonl or .parquet.")
    ],
    jurisdiction: JurisdictionOpt = None,
    profile: ProfileOpt = None,
    on: Annotated[
        str | None,
        typer.Option("--on", help="Date for rows without an 'assessed_on' value (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Assess many cases with the vectorized evaluator (same rules, no per-row trace).

    Columns are the dotted fact names of `distillgov schema case` (e.g. teacher.release_date),
    plus id and assessed_on; output_use is a ';'-separated list. JSONL rows may be nested case
    objects. A file with any bad row is refused whole, every bad row listed.

    Example: distillgov assess-batch examples/batch/cases.csv -j global_south -o out/results.csv
    """
    # Polars and NumPy take 0.15 s to load: only the batch command pays for them.
    from distillgov.assessment.batch import assess_frame, first_row_number, read_frame, write_frame

    try:
        chosen_profile = profile_for(jurisdiction, profile)
        day = parse_day(on, "--on")
        frame = read_frame(input_file)
        with progress(frame.height, "assessing") as bar:
            advance = bar.advance if bar else None
            result = assess_frame(frame, chosen_profile, day, advance, first_row_number(input_file))
        write_frame(result, output)
    except DistillgovError as exc:
        fail(exc)
    summary = (
        result.group_by("category", maintain_order=True).len().sort("category", nulls_last=True)
    )
    counts = ", ".join(f"{row[0] or 'undetermined'}: {row[1]}" for row in summary.iter_rows())
    typer.echo(f"assessed {result.height} case(s) -> {output} ({counts})", err=True)


@schema_app.command("case")
def schema_case() -> None:
    """JSON Schema of a case file."""

    typer.echo(json.dumps(essential_marked(Case.model_json_schema()), indent=2))


@schema_app.command("profile")
def schema_profile() -> None:
    """JSON Schema of a jurisdiction profile file (lever names and values are listed in docs)."""

    typer.echo(json.dumps(ProfileFile.model_json_schema(by_alias=True), indent=2))


@commands.command()
def rules() -> None:
    """The decision table in order of priority, and the obligations, each with its source."""

    typer.echo("DECISION TABLE (the first row that holds decides; an unknown row before it")
    typer.echo("leaves the outcome open)\n")
    for number, row in enumerate(DECISION.branches, 1):
        outcome = OUTCOMES[row.value]
        typer.echo(f"{number}. {row.id} -> {outcome.category.value} / {outcome.rule.value}")
        typer.echo(f"   {row.explain}")
        typer.echo(f"   source: {cite_text(row.cite.as_dict())}\n")
    typer.echo("OBLIGATIONS\n")
    for o in OBLIGATIONS:
        due = f" (due by {o.due})" if o.due else ""
        typer.echo(f"- {o.id}{due}: {o.what}")
        typer.echo(f"  source: {cite_text(o.cite.as_dict())}")


@commands.command()
def version() -> None:
    """Print the package and rules versions."""

    typer.echo(f"distillgov {__version__} ({FRAMEWORK_VERSION})")
