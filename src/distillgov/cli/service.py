"""The HTTP service: `serve` it, and create `accounts` with their tokens."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from distillgov.api import serving
from distillgov.cli.common import DatabaseOpt, fail
from distillgov.errors import DistillgovError
from distillgov.registry.registry import Registry
from distillgov.service import accounts as service_accounts
from distillgov.service.signer import Signer, after_from_env, every_from_env
from distillgov.storage.db import open_database

commands = typer.Typer()


@commands.command()
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
    log_key: Annotated[
        Path | None,
        typer.Option(
            help="The log's signing key (from `registry init`): the service then signs a "
            "checkpoint whenever the log has grown (default $DISTILLGOV_LOG_KEY)."
        ),
    ] = None,
    checkpoint_every: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            help="Seconds between signings (default $DISTILLGOV_CHECKPOINT_EVERY, else 10).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) on the embedded SQLite default or PostgreSQL.
    Liveness at /health, readiness at /ready, Prometheus metrics at /metrics; logs are JSON
    lines on standard error (docs/operations.md).

    Example: distillgov serve --port 8000 --workers 2
    """

    if database:
        os.environ["DISTILLGOV_DATABASE_URL"] = database
    if log_key is not None:
        os.environ["DISTILLGOV_LOG_KEY"] = str(log_key)
    if checkpoint_every is not None:
        os.environ["DISTILLGOV_CHECKPOINT_EVERY"] = str(checkpoint_every)
    engine = open_database(database)  # reachable, and migrated once before any worker starts
    try:
        if key := os.environ.get("DISTILLGOV_LOG_KEY"):  # a bad key stops us here, not a worker
            Signer(Registry(engine).log, Path(key), every_from_env(), after_from_env())
    except DistillgovError as exc:
        fail(exc)
    finally:
        engine.dispose()
    typer.echo(f"Open http://{host}:{port}/ (the API is /api/v1; its OpenAPI, /docs)")
    raise typer.Exit(serving.run(host, port, workers))


@commands.command()
def accounts(
    account: Annotated[str, typer.Argument(metavar="ID")],
    role: Annotated[
        str,
        typer.Option(
            help="distiller, teacher_owner, rights_holder, regulator, administrator or "
            "data_subject."
        ),
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

    try:
        engine = open_database(database)
        service_accounts.add_account(engine, account, role, organisation)
        if token_days:
            scopes = ["read", "write"] if write else ["read"]
            typer.echo(service_accounts.issue_token(engine, account, scopes, token_days))
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"account '{account}' ({role}) created", err=True)
