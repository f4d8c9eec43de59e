"""A witness of other people's logs (C2SP tlog-witness): make its key, and run it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from distillgov.cli.common import fail
from distillgov.errors import DistillgovError
from distillgov.registry.checkpoint import InvalidCheckpoint
from distillgov.registry.cosign import witness_key
from distillgov.registry.log import check_origin, create_key, load_key
from distillgov.registry.witness import WitnessApp, WitnessService, WitnessState

witness_app = typer.Typer(
    help="Witness transparency logs: cosign checkpoints that extend the last one seen.",
    no_args_is_help=True,
)
Name = Annotated[str, typer.Option(help="The witness's name, e.g. witness.example.org/w1.")]
KeyFile = Annotated[Path, typer.Option("--key", help="Its Ed25519 key (PEM).")]


@witness_app.command("init")
def init(name: Name, key: KeyFile) -> None:
    """Make the witness's key (if the file does not exist) and print its vkey to publish."""
    try:
        check_origin(name)  # the same rules as a note's key name
        private = load_key(key) if key.exists() else create_key(key)
    except (DistillgovError, OSError, ValueError) as exc:
        fail(exc if isinstance(exc, DistillgovError) else f"{key}: {exc}")
    typer.echo(witness_key(name, private.public_key()))


@witness_app.command("serve")
def serve(
    name: Name,
    key: KeyFile,
    state: Annotated[Path, typer.Option(help="Its own SQLite file: the checkpoints it cosigned.")],
    log: Annotated[
        list[str], typer.Option("--log", help="A log's verifier key to witness (repeatable).")
    ],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8080,
) -> None:
    """Serve POST /add-checkpoint and GET /<origin hash>/checkpoint.

    Example: distillgov witness serve --name w.example/w1 --key w1.pem --state w1.sqlite
    --log "$(cat log.vkey)" --port 8080
    """
    try:
        service = WitnessService(name, load_key(key), log, WitnessState(state))
    except InvalidCheckpoint as exc:
        fail(f"option --log: {exc}")
    except (DistillgovError, OSError, ValueError) as exc:
        fail(exc if isinstance(exc, DistillgovError) else f"{key}: {exc}")
    typer.echo(f"witness {name} on http://{host}:{port}/ for {len(log)} log(s)")
    uvicorn.run(WitnessApp(service), host=host, port=port, log_level="warning")
