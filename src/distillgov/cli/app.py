"""The command line's root: it names every command and the module that holds it, and loads a
module only when one of its commands runs, so `distillgov assess` does not pay for the
registry's, the clearinghouse's or the server's libraries. Each part's commands live in their
own module (`assess.py`, `registry.py`, `licensing.py`, ...) with their imports at the top."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer import _click as click  # Typer's own Click, which its groups are built on
from typer.core import TyperGroup

from distillgov.errors import DistillgovError, status_of

# command -> (module, attribute): a Typer group of its own, or a Typer holding the command.
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("assess", "commands"),
    "assess-batch": ("assess", "commands"),
    "rules": ("assess", "commands"),
    "schema": ("assess", "schema_app"),
    "version": ("assess", "commands"),
    "jurisdictions": ("jurisdictions", "jurisdictions_app"),
    "teachers": ("teachers", "teachers_app"),
    "terms": ("teachers", "terms_app"),
    "watch-terms": ("teachers", "commands"),
    "lab": ("lab", "lab_app"),
    "registry": ("registry", "registry_app"),
    "lineage": ("registry", "commands"),
    "license": ("licensing", "license_app"),
    "usage": ("licensing", "usage_app"),
    "settle": ("licensing", "commands"),
    "ledger": ("licensing", "ledger_app"),
    "pool": ("licensing", "pool_app"),
    "statement": ("licensing", "statement_app"),
    "invoice": ("billing", "invoice_app"),
    "payment": ("billing", "payment_app"),
    "remit": ("billing", "remit_app"),
    "period": ("billing", "period_app"),
    "requests": ("requests", "requests_app"),
    "consent": ("consent", "consent_app"),
    "serve": ("service", "commands"),
    "accounts": ("service", "commands"),
    "witness": ("witness", "witness_app"),
    "verify-proof": ("outsider", "commands"),
    "verify-receipt": ("outsider", "commands"),
    "monitor": ("outsider", "commands"),
    "backup": ("operations", "commands"),
    "restore": ("operations", "commands"),
}


def load_command(name: str) -> click.Command:
    module_name, attribute = COMMANDS[name]
    module = importlib.import_module(f"distillgov.cli.{module_name}")
    holder: typer.Typer = getattr(module, attribute)
    if attribute != "commands":  # a group, even of one command (`usage ingest`)
        group = typer.main.get_group(holder)
        group.name = name
        return group
    # A Typer of loose commands: take the one asked for (Typer gives a lone command as itself).
    command = typer.main.get_command(holder)
    if not isinstance(command, TyperGroup):
        return command
    found = command.get_command(click.Context(command), name)
    assert found is not None, f"{module_name} has no command {name}"
    return found


class LazyGroup(TyperGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None


app = typer.Typer(
    name="distillgov",
    cls=LazyGroup,
    help="The Balanced Framework for AI Model Distillation, as code. Describe a distillation "
    "project in a case file; get a cited, explained determination for a jurisdiction and date.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    catalogue: Annotated[
        Path | None,
        typer.Option(
            "--catalogue",
            help="A folder of teacher-catalogue files laid over the shipped catalogue (adds "
            "teachers, amends families); default $DISTILLGOV_CATALOGUE.",
        ),
    ] = None,
) -> None:
    """Options for every command: the teacher catalogue to read."""
    if catalogue is not None:
        # Read by every part through the one environment variable the catalogue looks at.
        os.environ["DISTILLGOV_CATALOGUE"] = str(catalogue)


def main(argv: Any = None) -> None:
    try:
        app(args=argv)
    except DistillgovError as exc:  # one a command did not catch itself (e.g. no database)
        lines = exc.lines()
        typer.echo(f"error: {lines[0]}", err=True)
        for line in lines[1:]:
            typer.echo(line, err=True)
        sys.exit(status_of(exc).exit_code)
