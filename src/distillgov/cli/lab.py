"""The policy lab: welfare of the regime's levers, profiles scored under four lenses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from distillgov.cli.common import (
    DatabaseOpt,
    Format,
    OnOpt,
    ProfileFilesOpt,
    ProfileIdsArg,
    chosen_profiles,
    fail,
    parse_day,
)
from distillgov.errors import DistillgovError
from distillgov.jurisdictions import builtin_ids, load_builtin
from distillgov.policylab.calibrate import calibrate_database
from distillgov.policylab.export import LabRun, write_profile
from distillgov.policylab.lab import (
    HELD_LICENCE_WINDOW,
    best,
    check_in,
    compare,
    grid,
    levers_for,
    load_assumptions,
    on_edge,
    sweep,
    uncertainty,
)
from distillgov.policylab.model import LENSES, LEVER_DOMAINS, Levers
from distillgov.policylab.report import build

lab_app = typer.Typer(
    help="The policy lab: welfare of the regime's levers, profiles scored under four lenses.",
    no_args_is_help=True,
)
WindowsOpt = Annotated[str, typer.Option(help="Window lengths to try, years: START:STOP:COUNT.")]
RoyaltyOpt = Annotated[
    float, typer.Option(help="Royalty rate for the optimal-window search (0 to 1).")
]
HeldOpt = Annotated[
    float,
    typer.Option(
        "--licence-window",
        help="Years of licence window after the exclusivity, held while the exclusivity is "
        "optimised (default: 2, the middle of the framework's one to three years).",
    ),
]
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

    a = load_assumptions(assumptions)
    return sweep(
        a.economy_point(),
        grid(exclusivity, "exclusivity", LEVER_DOMAINS["exclusivity"]),
        grid(window, "window", LEVER_DOMAINS["licence_window"]),
        grid(royalty, "royalty", LEVER_DOMAINS["royalty_rate"]),
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
    as_profile: Annotated[
        Path | None,
        typer.Option(
            "--as-profile",
            help="Also write the optimum as a jurisdiction profile (YAML) that assess and lab "
            "compare accept.",
        ),
    ] = None,
    base: Annotated[
        str, typer.Option(help="The built-in profile the written profile extends.")
    ] = "us",
    effective: Annotated[
        str | None,
        typer.Option("--from", help="Date the written profile's levers take effect (today)."),
    ] = None,
) -> None:
    """The levers on the grid that maximise one lens's score, with a warning where an optimum
    sits on the grid's edge; optionally written out as a profile."""

    if objective not in LENSES:
        fail(f"option --objective, value {objective!r}: choose one of {', '.join(LENSES)}")
    day = parse_day(effective, "--from") or dt.date.today()
    try:
        a = load_assumptions(assumptions)
        table = _lab_sweep(assumptions, exclusivity, window, royalty)
        chosen = best(table, objective)
        warnings = on_edge(table, chosen)
        if as_profile is not None:
            grids = {"exclusivity": exclusivity, "window": window, "royalty": royalty}
            run = LabRun(chosen, objective, a, grids, assumptions)
            write_profile(as_profile, run, base, day)
    except DistillgovError as exc:
        fail(exc)
    if fmt is Format.json:
        typer.echo(json.dumps([{**chosen, "warnings": warnings}], indent=2))
    else:
        _lab_table([chosen], fmt)
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)
    if as_profile is not None:
        typer.echo(
            f"wrote {as_profile} (extends {base}, in force from {day.isoformat()})", err=True
        )


@lab_app.command("compare")
def lab_compare(
    ids: ProfileIdsArg = None,
    profile: ProfileFilesOpt = None,
    on: OnOpt = None,
    assumptions: AssumptionsOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """Score each profile's levers under the four lenses."""

    day = parse_day(on, "--on") or dt.date.today()
    try:
        a = load_assumptions(assumptions)
        chosen = chosen_profiles(ids, profile)
        scores = compare(a.economy_point(), {p.id: levers_for(p, day, a) for p in chosen})
    except DistillgovError as exc:
        fail(exc)
    _lab_table([{"profile": k, **v} for k, v in scores.items()], fmt)


def _lab_run(
    assumptions: Path | None, on: str | None, royalty: float, held: float
) -> tuple[Any, dict[str, Any], dt.date]:
    """The assumptions, every built-in profile's levers as of the date, and the date; the
    royalty and the held window checked against their domains."""

    day = parse_day(on, "--on") or dt.date.today()
    check_in(LEVER_DOMAINS["royalty_rate"], "--royalty", royalty)
    check_in(LEVER_DOMAINS["licence_window"], "--licence-window", held)
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
    held: HeldOpt = HELD_LICENCE_WINDOW,
) -> None:
    """Monte Carlo over the parameter distributions: the optimal window (exclusivity, or licence)
    and each built-in profile's regret (the net surplus it forgoes against it). JSON output."""

    try:
        a, levers, _ = _lab_run(assumptions, on, royalty, held)
        result = uncertainty(
            a,
            levers,
            grid(windows, "windows", LEVER_DOMAINS["exclusivity"]),
            draws or a.draws,
            a.seed if seed is None else seed,
            royalty,
            window_kind,
            held,
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(result, indent=2))
    for w in result["warnings"]:
        typer.echo(f"warning: {w}", err=True)


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
    held: HeldOpt = HELD_LICENCE_WINDOW,
) -> None:
    """Figures (PNG and SVG) and an HTML report: welfare against window length with uncertainty
    bands, the optimum and each profile marked, the profiles' lens scores, and a tornado chart
    of the optimum's sensitivity."""

    try:
        a, levers, day = _lab_run(assumptions, on, royalty, held)
        page = build(
            a,
            levers,
            output,
            grid(windows, "windows", LEVER_DOMAINS["exclusivity"]),
            royalty,
            draws or a.draws,
            a.seed if seed is None else seed,
            day,
            window_kind,
            held,
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"wrote {page} (figures beside it)")


@lab_app.command("calibrate")
def lab_calibrate(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Assumptions file (YAML) to write.")
    ],
    database: DatabaseOpt = None,
    assumptions: AssumptionsOpt = None,
    seed: Annotated[int, typer.Option(help="Seed written into the assumptions.")] = 20261123,
) -> None:
    """Estimate demand (price elasticity, hence the demand slope), the rent's decay and a
    substitution proxy from the clearinghouse's settled usage and the registry's disclosures,
    each with its standard error, and write them as assumptions for lab uncertainty/report."""

    try:
        report = calibrate_database(database, load_assumptions(assumptions), output, seed)
    except DistillgovError as exc:
        fail(exc)
    for est in report["estimates"]:
        typer.echo(
            f"{est['parameter']}: {est['value']:.4g} (se {est['standard_error']:.3g}, "
            f"n {est['observations']}) - {est['method']}"
        )
    for note in report["skipped"]:
        typer.echo(f"not estimated: {note}", err=True)
    typer.echo(f"wrote {output}")
