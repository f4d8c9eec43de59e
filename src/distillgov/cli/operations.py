"""Keeping the database: `backup` it, `restore` a backup into an empty database and check it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillgov.cli.common import DatabaseOpt, fail
from distillgov.errors import DistillgovError
from distillgov.licensing import ledger, pool
from distillgov.registry.log import TransparencyLog
from distillgov.requests import store as requests_store
from distillgov.storage import backup as backups
from distillgov.storage.db import open_database

commands = typer.Typer()

BackupFile = Annotated[Path, typer.Argument(metavar="FILE", help="The backup file.")]


@commands.command()
def backup(to: BackupFile, database: DatabaseOpt = None) -> None:
    """Back up the whole database (registry, clearinghouse, requests, service) to FILE while it
    is in use: SQLite's online backup, or pg_dump's custom format for PostgreSQL.

    Example: distillgov backup backups/distillgov-2026-12-01.bak
    """
    try:
        where = backups.backup(database, to)
    except DistillgovError as exc:
        fail(exc)
    size = to.stat().st_size
    typer.echo(f"ok: {where.shown} backed up to {to} ({size:,} bytes, {where.kind})")


@commands.command()
def restore(source: BackupFile, database: DatabaseOpt = None) -> None:
    """Restore FILE into an empty database, bring its schema up to this release, then check it
    as an auditor would: the transparency log against its checkpoints, the books, the privacy
    trail. Exit 1 if any check fails.

    Example: distillgov restore backups/distillgov-2026-12-01.bak --database sqlite:///new.sqlite
    """
    try:
        where = backups.restore(source, database)
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"restored {source} into {where.shown}")
    engine = open_database(database)
    problems: list[str] = []
    log = TransparencyLog(engine)
    if log.origin is not None:
        finding = log.verify()
        if finding is None:
            typer.echo(
                f"ok: the log '{log.origin}', {log.size()} entries, every checkpoint verified"
            )
        else:
            problems.append(f"the log does not verify: {finding}")
    books = ledger.check(engine) + pool.check(engine)
    problems += books
    if not books:
        typer.echo("ok: debits equal credits; every account matches its transfers")
    trail = requests_store.check(engine)
    problems += trail
    if not trail:
        typer.echo("ok: the requests trail replays to its projections")
    engine.dispose()
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)
