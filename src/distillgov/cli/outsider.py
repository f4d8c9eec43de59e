"""What an outsider runs, trusting only a key they pinned: check a proof bundle offline, and
follow a registry's log through its public tile API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from distillgov.cli.common import fail
from distillgov.errors import DistillgovError
from distillgov.registry import receipt
from distillgov.registry.checkpoint import Checkpoint, InvalidCheckpoint, parse_verifier_key, verify
from distillgov.registry.cosign import Witness, quorum
from distillgov.registry.merkle import InvalidProof, leaf_hash, verify_consistency, verify_inclusion
from distillgov.registry.monitor import MonitorError, follow

commands = typer.Typer()

LogKey = Annotated[
    Path,
    typer.Option(
        "--log-key", help="A file holding the log's verifier key, obtained out of band (pinned)."
    ),
]
WitnessKeys = Annotated[
    list[Path] | None,
    typer.Option("--witness-key", help="A file holding a trusted witness's key (repeatable)."),
]
Quorum = Annotated[int, typer.Option(min=0, help="How many of those witnesses must have cosigned.")]


def _pinned(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")


def _witnesses(paths: list[Path] | None, needed: int) -> list[Witness]:
    found = []
    for path in paths or []:
        try:
            found.append(Witness.parse(_pinned(path)))
        except InvalidCheckpoint as exc:
            fail(f"option --witness-key, value '{path}': {exc}")
    if needed > len(found):
        fail(f"option --quorum, value {needed}: only {len(found)} witness key(s) given")
    return found


def _check_note(note: str, vkey: str, witnesses: list[Witness], needed: int) -> Checkpoint:
    name, public = parse_verifier_key(vkey)
    head = Checkpoint.parse(verify(note, name, public))
    if witnesses:
        quorum(note, witnesses, needed)
    return head


@commands.command("verify-proof")
def verify_proof(
    bundle_file: Annotated[Path, typer.Argument(metavar="BUNDLE", help="A proof bundle (JSON).")],
    log_key: LogKey,
    witness_key: WitnessKeys = None,
    quorum_needed: Annotated[int, typer.Option("--quorum", min=0)] = 0,
) -> None:
    """Check a proof bundle (from `registry prove` or the API) offline, with the log's key as you
    pinned it, never the key inside the bundle: an inclusion proof (the entry is in the signed
    tree), or a consistency proof (the newer tree extends the older). Exit 1 if it does not hold.

    Example: distillgov verify-proof d-tiny-1.json --log-key registry.vkey
    """
    vkey = _pinned(log_key)
    witnesses = _witnesses(witness_key, quorum_needed)
    try:
        bundle: dict[str, Any] = json.loads(bundle_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{bundle_file}: not a proof bundle ({exc})")
    if bundle.get("verifier_key") not in (None, vkey):
        typer.echo(
            "note: the bundle names another key than the one you pinned; it is ignored", err=True
        )
    try:
        head = _check_note(str(bundle["checkpoint"]), vkey, witnesses, quorum_needed)
        proof = [bytes.fromhex(h) for h in bundle["proof"]]
        if "old_size" in bundle:
            old = _check_note(str(bundle["old_checkpoint"]), vkey, witnesses, 0)
            verify_consistency(old.size, head.size, proof, old.root, head.root)
            said = f"the tree of {head.size} entries extends the tree of {old.size}"
        else:
            entry, index = str(bundle["entry"]), int(bundle["index"])
            if int(bundle["size"]) != head.size:
                raise InvalidProof("the bundle's size is not its checkpoint's")
            verify_inclusion(leaf_hash(entry.encode()), index, head.size, proof, head.root)
            data = json.loads(entry)
            said = f"entry {index} ({data.get('kind')} '{data.get('data', {}).get('id')}') is in "
            said += f"the tree of {head.size} entries"
    except (InvalidCheckpoint, InvalidProof, KeyError, TypeError, ValueError) as exc:
        fail(f"the proof does not hold: {exc}", 1)
    cosigned = f"; cosigned by {quorum_needed}+ of your witnesses" if witnesses else ""
    typer.echo(f"ok: {said} of '{head.origin}', signed by your pinned key{cosigned}")


@commands.command("verify-receipt")
def verify_receipt(
    receipt_file: Annotated[Path, typer.Argument(metavar="RECEIPT", help="A receipt (text).")],
    log_key: LogKey,
    bundle_file: Annotated[
        Path | None,
        typer.Option("--bundle", help="Also check that this proof bundle holds the entry."),
    ] = None,
) -> None:
    """Check a write's signed receipt offline with the log's pinned key; with --bundle, that a
    later signed tree holds that very entry at that index (else the log broke its promise).

    Example: distillgov verify-receipt d-tiny-1.receipt --log-key registry.vkey --bundle p.json
    """
    vkey = _pinned(log_key)
    try:
        got = receipt.check(receipt_file.read_text(encoding="utf-8"), vkey)
    except OSError as exc:
        fail(f"{receipt_file}: {exc.strerror or exc}")
    except InvalidCheckpoint as exc:
        fail(f"the receipt does not hold: {exc}", 1)
    said = f"entry {got.index} of '{got.origin}', taken at {got.logged_at}"
    if bundle_file is not None:
        try:
            bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
            head = _check_note(str(bundle["checkpoint"]), vkey, [], 0)
            entry = str(bundle["entry"])
            if int(bundle["index"]) != got.index or leaf_hash(entry.encode()) != got.leaf:
                raise InvalidProof("the bundle is not for the entry the receipt names")
            proof = [bytes.fromhex(h) for h in bundle["proof"]]
            verify_inclusion(got.leaf, got.index, head.size, proof, head.root)
        except (OSError, InvalidCheckpoint, InvalidProof, KeyError, TypeError, ValueError) as exc:
            fail(f"the log does not hold what it promised: {exc}", 1)
        said += f", is in the signed tree of {head.size} entries"
    typer.echo(f"ok: {said}")


@commands.command("monitor")
def monitor(
    url: Annotated[str, typer.Argument(metavar="URL", help="The log's tile prefix (…/tlog).")],
    log_key: LogKey,
    state: Annotated[Path, typer.Option(help="Where the monitor keeps its position.")],
    teacher: Annotated[
        list[str] | None, typer.Option("--teacher", help="Report disclosures naming it.")
    ] = None,
    witness_key: WitnessKeys = None,
    quorum_needed: Annotated[int, typer.Option("--quorum", min=0)] = 0,
) -> None:
    """Follow a registry's log through its public tile API alone: check the checkpoint with your
    pinned key (and witnesses), fetch the new entries, rebuild the tree from them and check it
    gives the signed root and extends what you saw last; report new disclosures naming the
    teacher. Exit 1 on a rolled-back or inconsistent log.

    Example: distillgov monitor https://registry.example.org/tlog --log-key registry.vkey
    --state monitor.json --teacher big-lab/big-1
    """
    witnesses = _witnesses(witness_key, quorum_needed)
    try:
        report = follow(url, _pinned(log_key), state, set(teacher or []), witnesses, quorum_needed)
    except (MonitorError, InvalidCheckpoint) as exc:
        fail(exc if isinstance(exc, DistillgovError) else str(exc), 1)
    except DistillgovError as exc:
        fail(exc)
    for found in report.found:
        typer.echo(f"entry {found.index}: {found.kind} '{found.record}': {found.detail}")
    if report.verdict != "ok":
        fail(f"the log is {report.verdict}: {report.detail}", 1)
    typer.echo(f"ok: {report.size} entries verified ({report.new_entries} new)", err=True)
