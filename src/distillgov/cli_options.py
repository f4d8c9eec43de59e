"""Command-line options shared by the command modules."""

from __future__ import annotations

from typing import Annotated

import typer

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Database URL (default $DISTILLGOV_DATABASE_URL, else sqlite:///distillgov.sqlite).",
    ),
]
