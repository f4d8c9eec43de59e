"""The jurisdiction profiles: list, show, compare their levers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from distillgov.cli.common import (
    Format,
    OnOpt,
    ProfileFilesOpt,
    ProfileIdsArg,
    ProfileOpt,
    chosen_profiles,
    fail,
    parse_day,
    profile_for,
)
from distillgov.errors import DistillgovError
from distillgov.jurisdictions import LEVERS, builtin_ids, load_builtin

jurisdictions_app = typer.Typer(
    help="The jurisdiction profiles: list, show, compare their levers.", no_args_is_help=False
)


@jurisdictions_app.callback(invoke_without_command=True)
def jurisdictions_list(ctx: typer.Context) -> None:
    """List the built-in profiles."""
    if ctx.invoked_subcommand is not None:
        return

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
        p = profile_for(profile_id, profile)
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(p.public_dict(), indent=2))


@jurisdictions_app.command("compare")
def jurisdictions_compare(
    ids: ProfileIdsArg = None,
    profile: ProfileFilesOpt = None,
    on: OnOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """The levers of several profiles side by side, as in force on a date."""

    day = parse_day(on, "--on") or dt.date.today()
    try:
        profiles = chosen_profiles(ids, profile)
        resolved = [(p, p.as_of(day)) for p in profiles]
    except DistillgovError as exc:
        fail(exc)
    table = {name: {p.id: _show_value(r.values[name]) for p, r in resolved} for name in LEVERS}
    if fmt is Format.json:
        typer.echo(json.dumps({"on": day.isoformat(), "levers": table}, indent=2))
        return

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
    if value is None:
        return "not set"
    return str(value)
