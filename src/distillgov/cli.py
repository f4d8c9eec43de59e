"""The command line: a thin door over the framework. No rules live here.

Heavy libraries (NumPy, Polars, Jinja2, Rich) are imported inside the commands that need them, so
`distillgov assess` starts quickly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from distillgov.cli_options import DatabaseOpt
from distillgov.errors import DistillgovError

app = typer.Typer(
    name="distillgov",
    help="The Balanced Framework for AI Model Distillation, as code. Describe a distillation "
    "project in a case file; get a cited, explained determination for a jurisdiction and date.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
jurisdictions_app = typer.Typer(
    help="The jurisdiction profiles: list, show, compare their levers.", no_args_is_help=False
)
schema_app = typer.Typer(help="Print JSON Schemas of the input files.", no_args_is_help=True)
teachers_app = typer.Typer(help="The catalogue of real teacher models and their dated terms.")
terms_app = typer.Typer(
    help="How far a teacher's terms reach under a jurisdiction.", no_args_is_help=True
)
app.add_typer(jurisdictions_app, name="jurisdictions")
app.add_typer(schema_app, name="schema")
app.add_typer(teachers_app, name="teachers")
app.add_typer(terms_app, name="terms")
lab_app = typer.Typer(
    help="The policy lab: welfare of the regime's levers, profiles scored under four lenses.",
    no_args_is_help=True,
)
app.add_typer(lab_app, name="lab")
WindowsOpt = Annotated[str, typer.Option(help="Window lengths to try, years: START:STOP:COUNT.")]
RoyaltyOpt = Annotated[float, typer.Option(help="Royalty rate for the optimal-window search.")]
DrawsOpt = Annotated[int | None, typer.Option(help="Draws (default: the file's, else 10,000).")]
SeedOpt = Annotated[int | None, typer.Option(help="Seed (default: the file's).")]
WindowKindOpt = Annotated[
    str, typer.Option(help="Which window to optimise: exclusivity or licence.")
]
AssumptionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--assumptions",
        help="YAML file of economy parameters (values or distributions) and lab assumptions.",
    ),
]

ENV_JURISDICTION = "DISTILLGOV_JURISDICTION"


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


def fail(error: DistillgovError | str, code: int = 2) -> NoReturn:
    lines = error.lines() if isinstance(error, DistillgovError) else [str(error)]
    for line in lines:
        typer.echo(f"error: {line}" if line is lines[0] else line, err=True)
    raise typer.Exit(code)


def parse_day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"option {option}, value {text!r}: a date must be written as YYYY-MM-DD")


JurisdictionOpt = Annotated[
    str | None,
    typer.Option(
        "--jurisdiction",
        "-j",
        help="Profile id: us, cn, global_south. Defaults to the case's own, then "
        f"${ENV_JURISDICTION}.",
    ),
]
ProfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="A profile YAML file of your own (may 'extends: us' and amend levers).",
        envvar="DISTILLGOV_PROFILE",
    ),
]
OnOpt = Annotated[
    str | None,
    typer.Option("--on", help="Assessment date YYYY-MM-DD. Default: the case's, else today."),
]


def _profile(jurisdiction: str | None, profile_file: Path | None) -> Any:
    from distillgov.jurisdictions import load_profile

    return load_profile(jurisdiction or os.environ.get(ENV_JURISDICTION), profile_file)


@app.command()
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
) -> None:
    """Assess one case: category, rule, obligations, royalty window, trace and lens notes.

    Example: distillgov assess examples/cases/startup-clones-chat-model-via-public-api.yaml -j cn
    """
    from distillgov.casefiles import load_case
    from distillgov.render import render
    from distillgov.teachers.assessment import assess_case

    try:
        case = load_case(case_file)
        chosen = parse_day(on, "--on") or case.assessed_on or dt.date.today()
        determination = assess_case(
            case, _profile(jurisdiction or case.jurisdiction, profile), chosen, suggest
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


@app.command("assess-batch")
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
    from distillgov.batch import assess_frame, first_row_number, read_frame, write_frame

    try:
        chosen_profile = _profile(jurisdiction, profile)
        day = parse_day(on, "--on")
        frame = read_frame(input_file)
        with _Progress(frame.height, "assessing") as advance:
            result = assess_frame(frame, chosen_profile, day, advance, first_row_number(input_file))
        write_frame(result, output)
    except DistillgovError as exc:
        fail(exc)
    summary = (
        result.group_by("category", maintain_order=True).len().sort("category", nulls_last=True)
    )
    counts = ", ".join(f"{row[0] or 'undetermined'}: {row[1]}" for row in summary.iter_rows())
    typer.echo(f"assessed {result.height} case(s) -> {output} ({counts})", err=True)


class _Progress:
    """A Rich progress bar on a terminal; silent when standard error is piped."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = total, label
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@jurisdictions_app.callback(invoke_without_command=True)
def jurisdictions_list(ctx: typer.Context) -> None:
    """List the built-in profiles."""
    if ctx.invoked_subcommand is not None:
        return
    from distillgov.jurisdictions import builtin_ids, load_builtin

    for pid in builtin_ids():
        p = load_builtin(pid)
        typer.echo(f"{p.id:<14} {p.name}\n{'':<14} {p.summary}")


@jurisdictions_app.command("show")
def jurisdictions_show(
    profile_id: Annotated[str | None, typer.Argument(help="Profile id.", metavar="ID")] = None,
    profile: ProfileOpt = None,
) -> None:
    """Print one profile with every dated, cited lever value (JSON)."""
    try:
        p = _profile(profile_id, profile)
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(p.public_dict(), indent=2))


@jurisdictions_app.command("compare")
def jurisdictions_compare(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Profile ids (default: all built-in).", metavar="ID")
    ] = None,
    profile: Annotated[
        list[Path] | None, typer.Option("--profile", help="Add a profile file (repeatable).")
    ] = None,
    on: OnOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """The levers of several profiles side by side, as in force on a date."""
    from distillgov.jurisdictions import LEVERS, builtin_ids, load_builtin, load_file

    day = parse_day(on, "--on") or dt.date.today()
    try:
        profiles = [load_builtin(i) for i in (ids or ([] if profile else builtin_ids()))]
        profiles += [load_file(f) for f in profile or []]
        resolved = [(p, p.as_of(day)) for p in profiles]
    except DistillgovError as exc:
        fail(exc)
    table = {name: {p.id: _show_value(r.values[name]) for p, r in resolved} for name in LEVERS}
    if fmt is Format.json:
        typer.echo(json.dumps({"on": day.isoformat(), "levers": table}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Levers in force on {day.isoformat()}")
    t.add_column("lever", no_wrap=True)
    for p, _ in resolved:
        t.add_column(p.id, overflow="fold")
    t.add_column("framework source", no_wrap=True)
    for name, row in table.items():
        source = LEVERS[name].source
        t.add_row(name, *(row[p.id] for p, _ in resolved), f"{source.table}/{source.row}")
    Console(width=70 + 24 * len(resolved)).print(t)


def _show_value(value: Any) -> str:
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@teachers_app.callback(invoke_without_command=True)
def teachers_list(ctx: typer.Context) -> None:
    """List the catalogue: every teacher model, its family and its latest terms."""
    if ctx.invoked_subcommand is not None:
        return
    from distillgov.teachers.catalogue import catalogue

    for teacher in catalogue().values():
        versions = teacher.versions()
        latest = f"{versions[-1].name}" if versions else "no terms recorded"
        typer.echo(f"{teacher.id:<26} {teacher.family.name:<20} {latest}")


@teachers_app.command("show")
def teachers_show(
    teacher_id: Annotated[
        str, typer.Argument(help="Catalogue id, e.g. llama-3.1-70b.", metavar="ID")
    ],
) -> None:
    """One teacher with every terms version and clause, each with its source and confidence."""
    from distillgov.teachers.catalogue import find

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
    from distillgov.teachers.catalogue import find
    from distillgov.teachers.review import column_of, review_clause

    day = parse_day(on, "--on") or dt.date.today()
    try:
        teacher = find(teacher_id)
        chosen = _profile(jurisdiction, profile)
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


def _lab_table(rows: list[dict[str, Any]], fmt: Format) -> None:
    if fmt is Format.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        return
    keys = list(rows[0])
    typer.echo("  ".join(f"{k:>14}" for k in keys))
    for row in rows:
        typer.echo("  ".join(f"{_cell(row[k]):>14}" for k in keys))


def _cell(v: Any) -> str:
    return f"{v:,.3f}" if isinstance(v, float) else str(v)


def _lab_sweep(assumptions: Path | None, exclusivity: str, window: str, royalty: str) -> Any:
    """The sweep table for the grids given on the command line."""
    from distillgov.policylab.lab import grid, load_assumptions, sweep
    from distillgov.policylab.model import Levers

    a = load_assumptions(assumptions)
    return sweep(
        a.economy_point(),
        grid(exclusivity, "exclusivity"),
        grid(window, "window"),
        grid(royalty, "royalty"),
        Levers(),
    )


@lab_app.command("sweep")
def lab_sweep(
    exclusivity: Annotated[
        str, typer.Option(help="Years: START:STOP:COUNT or one value.")
    ] = "0:4:5",
    window: Annotated[str, typer.Option(help="Licence window years: START:STOP:COUNT.")] = "0:4:5",
    royalty: Annotated[str, typer.Option(help="Royalty rate 0-1: START:STOP:COUNT.")] = "0.3",
    assumptions: AssumptionsOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """Welfare and the four lens scores over a grid of exclusivity, window and royalty rate."""
    try:
        table = _lab_sweep(assumptions, exclusivity, window, royalty)
    except DistillgovError as exc:
        fail(exc)
    columns = (
        "exclusivity",
        "licence_window",
        "royalty_rate",
        "net_surplus",
        "rawlsian",
        "lockean",
        "deontological",
    )
    rows = [{c: float(table[c][i]) for c in columns} for i in range(table["exclusivity"].size)]
    _lab_table(rows, fmt)


@lab_app.command("optimise")
def lab_optimise(
    objective: Annotated[
        str, typer.Option(help="utilitarian, rawlsian, lockean or deontological.")
    ] = "utilitarian",
    exclusivity: Annotated[str, typer.Option(help="Years: START:STOP:COUNT.")] = "0:10:21",
    window: Annotated[
        str, typer.Option(help="Licence window years: START:STOP:COUNT.")
    ] = "0:10:21",
    royalty: Annotated[str, typer.Option(help="Royalty rate: START:STOP:COUNT.")] = "0:1:11",
    assumptions: AssumptionsOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """The levers on the grid that maximise one lens's score."""
    from distillgov.policylab.lab import best
    from distillgov.policylab.model import LENSES

    if objective not in LENSES:
        fail(f"option --objective, value {objective!r}: choose one of {', '.join(LENSES)}")
    try:
        table = _lab_sweep(assumptions, exclusivity, window, royalty)
    except DistillgovError as exc:
        fail(exc)
    _lab_table([best(table, objective)], fmt)


@lab_app.command("compare")
def lab_compare(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Profile ids (default: all built-in).", metavar="ID")
    ] = None,
    profile: Annotated[
        list[Path] | None, typer.Option("--profile", help="Add a profile file (repeatable).")
    ] = None,
    on: OnOpt = None,
    assumptions: AssumptionsOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """Score each profile's levers under the four lenses."""
    from distillgov.jurisdictions import builtin_ids, load_builtin, load_file
    from distillgov.policylab.lab import compare, levers_for, load_assumptions

    day = parse_day(on, "--on") or dt.date.today()
    try:
        a = load_assumptions(assumptions)
        chosen = [load_builtin(i) for i in (ids or ([] if profile else builtin_ids()))]
        chosen += [load_file(f) for f in profile or []]
        scores = compare(a.economy_point(), {p.id: levers_for(p, day, a) for p in chosen})
    except DistillgovError as exc:
        fail(exc)
    _lab_table([{"profile": k, **v} for k, v in scores.items()], fmt)


def _lab_run(assumptions: Path | None, on: str | None) -> tuple[Any, dict[str, Any], dt.date]:
    """The assumptions, every built-in profile's levers as of the date, and the date."""
    from distillgov.jurisdictions import builtin_ids, load_builtin
    from distillgov.policylab.lab import levers_for, load_assumptions

    day = parse_day(on, "--on") or dt.date.today()
    a = load_assumptions(assumptions)
    return a, {i: levers_for(load_builtin(i), day, a) for i in builtin_ids()}, day


@lab_app.command("uncertainty")
def lab_uncertainty(
    assumptions: AssumptionsOpt = None,
    windows: WindowsOpt = "0:40:100",
    royalty: RoyaltyOpt = 0.3,
    draws: DrawsOpt = None,
    seed: SeedOpt = None,
    on: OnOpt = None,
    window_kind: WindowKindOpt = "exclusivity",
) -> None:
    """Monte Carlo over the parameter distributions: the optimal window (exclusivity, or licence)
    and each built-in profile's regret (the net surplus it forgoes against it). JSON output."""
    from distillgov.policylab.lab import grid, uncertainty

    try:
        a, levers, _ = _lab_run(assumptions, on)
        result = uncertainty(
            a,
            levers,
            grid(windows, "windows"),
            draws or a.draws,
            a.seed if seed is None else seed,
            royalty,
            window_kind,
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(result, indent=2))


@lab_app.command("report")
def lab_report(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the figures and report.")
    ],
    assumptions: AssumptionsOpt = None,
    windows: WindowsOpt = "0:40:100",
    royalty: RoyaltyOpt = 0.3,
    draws: DrawsOpt = None,
    seed: SeedOpt = None,
    on: OnOpt = None,
    window_kind: WindowKindOpt = "exclusivity",
) -> None:
    """Figures (PNG and SVG) and an HTML report: welfare against window length with uncertainty
    bands, the profiles' lens scores, and a tornado chart of the optimum's sensitivity."""
    from distillgov.policylab.lab import grid
    from distillgov.policylab.report import build

    try:
        a, levers, day = _lab_run(assumptions, on)
        page = build(
            a,
            levers,
            output,
            grid(windows, "windows"),
            royalty,
            draws or a.draws,
            a.seed if seed is None else seed,
            day,
            window_kind,
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"wrote {page} (figures beside it)")


registry_app = typer.Typer(
    help="The transparency registry: records in an append-only, signed, verifiable log.",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")
KeyOpt = Annotated[
    Path,
    typer.Option(
        "--key-file", help="The log's Ed25519 signing key (PEM).", envvar="DISTILLGOV_LOG_KEY"
    ),
]
DEFAULT_KEY = Path("distillgov-log.key")


def _registry(database: str | None) -> Any:
    from distillgov.registry.db import open_database
    from distillgov.registry.registry import Registry

    return Registry(open_database(database))


def _add(database: str | None, record: Any) -> None:
    index = _registry(database).add(record)
    typer.echo(f"logged {type(record).__name__.lower()} '{record.id}' as entry {index}")


def _record(kind: str, data: Any, origin: str) -> Any:
    from pydantic import ValidationError

    from distillgov.casefiles import problems_from
    from distillgov.registry.records import KINDS

    try:
        return KINDS[kind].model_validate(data)
    except ValidationError as exc:
        raise DistillgovError(f"{origin}: invalid {kind}", problems_from(exc)) from None


@registry_app.command("init")
def registry_init(
    origin: Annotated[str, typer.Option(help="The log's name, e.g. registry.example.org/log.")],
    database: DatabaseOpt = None,
    key_file: KeyOpt = DEFAULT_KEY,
) -> None:
    """Create the registry's tables and signing key; prints the verifier key to publish."""
    from distillgov.registry.log import create_key, load_key

    try:
        key = load_key(key_file) if key_file.exists() else create_key(key_file)
        typer.echo(_registry(database).log.initialise(origin, key))
    except DistillgovError as exc:
        fail(exc)


@registry_app.command("add-org")
def registry_add_org(
    org_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option(help="Display name.")],
    database: DatabaseOpt = None,
) -> None:
    """Register an organisation."""
    try:
        _add(database, _record("organisation", {"id": org_id, "name": name}, "add-org"))
    except DistillgovError as exc:
        fail(exc)


@registry_app.command("add-model")
def registry_add_model(
    model_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option(help="Display name.")],
    owner: Annotated[str, typer.Option(help="Owning organisation id.")],
    release_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    weights_digest: Annotated[str | None, typer.Option(help="sha256:<64 hex>")] = None,
    catalogue_id: Annotated[str | None, typer.Option(help="Teacher catalogue id.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Register a model."""
    data = {
        "id": model_id,
        "name": name,
        "owner": owner,
        "release_date": release_date,
        "weights_digest": weights_digest,
        "catalogue_id": catalogue_id,
    }
    try:
        _add(database, _record("model", data, "add-model"))
    except DistillgovError as exc:
        fail(exc)


def _file_command(kind: str, path: Path, database: str | None, amends: bool = False) -> None:
    from distillgov.casefiles import read_data

    try:
        data = read_data(path)
        if amends and (not isinstance(data, dict) or not data.get("supersedes")):
            raise DistillgovError(
                f"{path}: an amendment names the disclosure it replaces in 'supersedes'"
            )
        _add(database, _record(kind, data, str(path)))
    except DistillgovError as exc:
        fail(exc)


@registry_app.command("disclose")
def registry_disclose(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="Disclosure, YAML or JSON.")],
    database: DatabaseOpt = None,
) -> None:
    """File a disclosure: the student, its teachers (typed edges), method and data sources."""
    _file_command("disclosure", path, database)


@registry_app.command("amend")
def registry_amend(
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help="The new version, with 'supersedes'.")
    ],
    database: DatabaseOpt = None,
) -> None:
    """File a new version of a disclosure; the old one stays in the log, marked superseded."""
    _file_command("disclosure", path, database, amends=True)


@registry_app.command("screen")
def registry_screen(database: DatabaseOpt = None) -> None:
    """Late disclosures, disputed ones, suspected undisclosed distillation, conflicting lineage."""
    try:
        findings = _registry(database).screen()
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(findings, indent=2))


@registry_app.command("import-cards")
def registry_import_cards(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="A model card, or a directory of them.")
    ],
    database: DatabaseOpt = None,
) -> None:
    """Register models (and their owners and base models) from Hugging Face model cards.

    Cards lie as ORG/NAME/README.md or ORG--NAME.md; their YAML front matter gives base_model,
    base_model_relation, license and tags. All cards must be valid or nothing is added; what is
    already registered is skipped, so importing twice adds nothing.

    Example: distillgov registry import-cards examples/cards
    """
    from distillgov.registry.cards import import_cards

    try:
        read, added = import_cards(_registry(database), path)
    except DistillgovError as exc:
        fail(exc)
    for r in added:
        typer.echo(f"registered {type(r).__name__.lower()} '{r.id}'")
    typer.echo(f"{read} card(s) read, {len(added)} record(s) added")


class ExportFormat(StrEnum):
    cyclonedx = "cyclonedx"
    spdx = "spdx"


@registry_app.command("export")
def registry_export(
    model: Annotated[str, typer.Argument(metavar="MODEL")],
    as_: Annotated[
        ExportFormat, typer.Option("--as", help="cyclonedx (1.6 JSON) or spdx (3.0.1 JSON-LD).")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """A model's distillation lineage as a CycloneDX or SPDX 3 document, checked before writing.

    Example: distillgov registry export tiny-2 --as cyclonedx -o tiny-2.cdx.json
    """
    from distillgov.registry import export

    try:
        make = export.cyclonedx if as_ is ExportFormat.cyclonedx else export.spdx
        document = make(_registry(database), model)
    except DistillgovError as exc:
        fail(exc)
    if output is None:
        sys.stdout.write(document)
    else:
        output.write_text(document, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@registry_app.command("watch")
def registry_watch(
    teacher: Annotated[str, typer.Argument(metavar="TEACHER", help="A registered model id.")],
    since: Annotated[int, typer.Option(help="Only entries logged at or after this index.")] = 0,
    database: DatabaseOpt = None,
) -> None:
    """For a teacher's owner: every disclosure naming the teacher, each with its proof (JSON)."""
    try:
        found = _registry(database).watch(teacher, since)
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(found, indent=2))


@registry_app.command("statement")
def registry_statement(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="Statement, YAML or JSON.")],
    database: DatabaseOpt = None,
) -> None:
    """Link a statement to a disclosure: acknowledgement, dispute or suspected undisclosed use."""
    _file_command("statement", path, database)


@registry_app.command("show")
def registry_show(
    record_id: Annotated[str, typer.Argument(metavar="ID")], database: DatabaseOpt = None
) -> None:
    """A record as logged (its entry)."""
    try:
        entry = _registry(database).show(record_id)
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(entry, indent=2))


@registry_app.command("checkpoint")
def registry_checkpoint(database: DatabaseOpt = None, key_file: KeyOpt = DEFAULT_KEY) -> None:
    """Sign the current tree head (refused if the stored entries were tampered with)."""
    from distillgov.registry.log import load_key

    try:
        sys.stdout.write(_registry(database).log.checkpoint(load_key(key_file)))
    except (DistillgovError, OSError) as exc:
        fail(exc if isinstance(exc, DistillgovError) else f"{key_file}: {exc}")


@registry_app.command("prove")
def registry_prove(
    record_id: Annotated[str, typer.Argument(metavar="ID")], database: DatabaseOpt = None
) -> None:
    """An offline proof bundle for a record: checkable with the verifier key alone (JSON)."""
    try:
        reg = _registry(database)
        bundle = reg.log.prove(reg.entry_of(record_id))
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(bundle, indent=2))


@registry_app.command("verify")
def registry_verify(database: DatabaseOpt = None) -> None:
    """Recompute the tree from the stored entries and check every checkpoint."""
    try:
        log = _registry(database).log
        finding = log.verify()
    except DistillgovError as exc:
        fail(exc)
    if finding is not None:
        fail(f"the log does not verify: {finding}", 1)
    typer.echo(f"ok: {log.size()} entries, every checkpoint verified")


class GraphFormat(StrEnum):
    text = "text"
    json = "json"
    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"


@app.command()
def lineage(
    model: Annotated[str, typer.Argument(metavar="MODEL")],
    descendants: Annotated[bool, typer.Option(help="Show who learnt from it instead.")] = False,
    to: Annotated[
        str | None, typer.Option("--to", help="Print the shortest lineage path to this model.")
    ] = None,
    depth: Annotated[
        int | None, typer.Option("--depth", min=1, help="Stop after this many steps.")
    ] = None,
    database: DatabaseOpt = None,
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="text, json, dot, mermaid or svg.")
    ] = GraphFormat.text,
) -> None:
    """A model's ancestors (or descendants) in the registry, to any depth.

    Example: distillgov lineage tiny-2 --format svg > tiny-2.svg
    """
    from distillgov.registry.graphs import dot, mermaid, svg

    if to is not None:
        try:
            chain = _registry(database).path(model, to)
        except DistillgovError as exc:
            fail(exc)
        if chain is None:
            fail(f"'{model}' and '{to}' are not related by any disclosed distillation", 1)
        if fmt is GraphFormat.json:
            typer.echo(json.dumps(chain, indent=2))
        else:
            arrow = " -> " if chain[0]["direction"] == "ancestors" else " <- "
            typer.echo(model + "".join(f"{arrow}{s['model']} ({s['signal']})" for s in chain))
        return
    try:
        rows = _registry(database).lineage(
            model, "descendants" if descendants else "ancestors", depth
        )
    except DistillgovError as exc:
        fail(exc)
    if fmt is GraphFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if fmt is not GraphFormat.text:
        draw = {GraphFormat.dot: dot, GraphFormat.mermaid: mermaid, GraphFormat.svg: svg}[fmt]
        sys.stdout.write(draw(model, rows, descendants))
        return
    typer.echo(model)
    for r in rows:
        arrow = "taught" if descendants else "learnt from"
        typer.echo(f"{'  ' * r['depth']}{arrow} {r['model']} ({r['signal']}, via {r['via']})")


@schema_app.command("case")
def schema_case() -> None:
    """JSON Schema of a case file."""
    from distillgov.framework.case import Case

    typer.echo(json.dumps(Case.model_json_schema(), indent=2))


@schema_app.command("profile")
def schema_profile() -> None:
    """JSON Schema of a jurisdiction profile file (lever names and values are listed in docs)."""
    from distillgov.jurisdictions.profile import ProfileFile

    typer.echo(json.dumps(ProfileFile.model_json_schema(by_alias=True), indent=2))


@app.command()
def rules() -> None:
    """The decision table in order of priority, and the obligations, each with its source."""
    from distillgov.framework.rules import DECISION, OBLIGATIONS, OUTCOMES
    from distillgov.render import cite_text

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


@app.command()
def version() -> None:
    """Print the package and rules versions."""
    from distillgov import __version__
    from distillgov.framework.rules import FRAMEWORK_VERSION

    typer.echo(f"distillgov {__version__} ({FRAMEWORK_VERSION})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: DatabaseOpt = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="Worker processes, each with its own socket (one per core is a start)."
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) on the embedded SQLite default or PostgreSQL.

    Example: distillgov serve --port 8000
    """
    from distillgov.api import serving
    from distillgov.registry.db import open_database

    if database:
        os.environ["DISTILLGOV_DATABASE_URL"] = database
    open_database(database).dispose()  # reachable, and migrated once before any worker starts
    typer.echo(f"Open http://{host}:{port}/ (the API is /api/v1; its OpenAPI, /docs)")
    raise typer.Exit(serving.run(host, port, workers))


@app.command()
def accounts(
    account: Annotated[str, typer.Argument(metavar="ID")],
    role: Annotated[
        str,
        typer.Option(help="distiller, teacher_owner, rights_holder, regulator or administrator."),
    ],
    organisation: Annotated[
        str | None, typer.Option("--org", help="The organisation it belongs to.")
    ] = None,
    token_days: Annotated[
        int, typer.Option(help="Also issue a token valid this many days (0: none).")
    ] = 30,
    write: Annotated[bool, typer.Option(help="Give the token the 'write' scope.")] = False,
    database: DatabaseOpt = None,
) -> None:
    """Create a service account (and print an API token for it, shown only once).

    Example: distillgov accounts admin --role administrator --write
    """
    from distillgov.api import auth
    from distillgov.registry.db import open_database

    try:
        engine = open_database(database)
        auth.add_account(engine, account, role, organisation)
        if token_days:
            scopes = ["read", "write"] if write else ["read"]
            typer.echo(auth.issue_token(engine, account, scopes, token_days))
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"account '{account}' ({role}) created", err=True)


def _add_clearinghouse() -> None:
    from distillgov import cli_licensing as lic

    app.add_typer(lic.license_app, name="license")
    app.add_typer(lic.usage_app, name="usage")
    app.command("settle")(lic.settle_command)
    app.add_typer(lic.ledger_app, name="ledger")
    app.add_typer(lic.pool_app, name="pool")
    app.add_typer(lic.statement_app, name="statement")


_add_clearinghouse()


def main() -> None:
    try:
        app()
    except DistillgovError as exc:  # one a command did not catch itself (e.g. no database)
        lines = exc.lines()
        typer.echo(f"error: {lines[0]}", err=True)
        for line in lines[1:]:
            typer.echo(line, err=True)
        sys.exit(2)
