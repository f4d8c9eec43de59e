"""What the command modules share: failing with one clear line, dates, the profile options, the
database option, output formats and the progress bar."""

from __future__ import annotations

import datetime as dt
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from distillgov.errors import DistillgovError, UnknownJurisdiction, status_of
from distillgov.jurisdictions import Profile, builtin_ids, load_builtin, load_file, load_profile

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Database URL (default $DISTILLGOV_DATABASE_URL, else sqlite:///distillgov.sqlite).",
    ),
]

ENV_JURISDICTION = "DISTILLGOV_JURISDICTION"


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


def fail(error: DistillgovError | str, code: int | None = None) -> NoReturn:
    """Print the error as one line (and a line per problem) and exit with its type's code."""
    if code is None:
        code = status_of(error).exit_code if isinstance(error, DistillgovError) else 2
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


ProfileIdsArg = Annotated[
    list[str] | None, typer.Argument(help="Profile ids (default: all built-in).", metavar="ID")
]
ProfileFilesOpt = Annotated[
    list[Path] | None, typer.Option("--profile", help="Add a profile file (repeatable).")
]


def chosen_profiles(ids: list[str] | None, files: list[Path] | None) -> list[Profile]:
    """The profiles named, else every built-in one unless files are given; then the files'."""
    chosen = [load_builtin(i) for i in (ids or ([] if files else builtin_ids()))]
    return chosen + [load_file(f) for f in files or []]


def profile_for(jurisdiction: str | None, profile_file: Path | None) -> Profile:
    chosen = jurisdiction or os.environ.get(ENV_JURISDICTION)
    if chosen is None and profile_file is None:
        raise UnknownJurisdiction(
            f"no jurisdiction given: pass --jurisdiction ({', '.join(builtin_ids())}) or "
            "--profile FILE"
        )
    return load_profile(chosen, profile_file)


class Bar:
    """A drawn progress bar: `advance` by a number of items, or say how far it has `reached`."""

    def __init__(self, bar: Any, total: int, label: str) -> None:
        self._bar = bar
        self._task = bar.add_task(label, total=max(total, 1))

    def advance(self, n: int) -> None:
        self._bar.advance(self._task, n)

    def reached(self, done: int, total: int) -> None:
        self._bar.update(self._task, completed=done, total=total)


class progress:  # noqa: N801 - used like a function: `with progress(n, label) as bar`
    """A Rich progress bar on a terminal; None (draw nothing) when standard error is piped."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = total, label
        self.rich: Any = None

    def __enter__(self) -> Bar | None:
        if not sys.stderr.isatty():
            return None
        # Rich's progress bar takes 30 ms to load: only on a terminal, where it is drawn.
        from rich.progress import Progress

        self.rich = Progress(transient=True)
        self.rich.start()
        return Bar(self.rich, self.total, self.label)

    def __exit__(self, *exc: object) -> None:
        if self.rich is not None:
            self.rich.stop()
