"""The transparency registry: records in an append-only, signed, verifiable log; lineage."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from distillgov.assessment.casefiles import read_data
from distillgov.cli.common import DatabaseOpt, fail
from distillgov.errors import DistillgovError
from distillgov.registry import export, witnessing
from distillgov.registry.cards import import_cards
from distillgov.registry.graphs import dot, mermaid, svg
from distillgov.registry.log import check_origin, create_key, load_key
from distillgov.registry.records import KIND_OF, ModelAmendment, parse_record
from distillgov.registry.registry import Registry
from distillgov.storage.db import open_database

commands = typer.Typer()


registry_app = typer.Typer(
    help="The transparency registry: records in an append-only, signed, verifiable log.",
    no_args_is_help=True,
)

KeyOpt = Annotated[
    Path,
    typer.Option(
        "--key-file", help="The log's Ed25519 signing key (PEM).", envvar="DISTILLGOV_LOG_KEY"
    ),
]
DEFAULT_KEY = Path("distillgov-log.key")


def _registry(database: str | None) -> Any:

    return Registry(open_database(database))


def _add(database: str | None, record: Any) -> None:
    index = _registry(database).add(record)
    typer.echo(f"logged {KIND_OF[type(record)].replace('_', ' ')} '{record.id}' as entry {index}")


@registry_app.command("init")
def registry_init(
    origin: Annotated[str, typer.Option(help="The log's name, e.g. registry.example.org/log.")],
    database: DatabaseOpt = None,
    key_file: KeyOpt = DEFAULT_KEY,
) -> None:
    """Create the registry's tables and signing key; prints the verifier key to publish."""

    try:
        check_origin(origin)  # before a key file is made for a log that cannot be
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
        _add(database, parse_record("organisation", {"id": org_id, "name": name}, "add-org"))
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
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", help="A dataset it was trained on (repeatable)."),
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Register a model (with the datasets it was trained on, which requests can name)."""
    data: dict[str, object] = {
        "id": model_id,
        "name": name,
        "owner": owner,
        "release_date": release_date,
        "weights_digest": weights_digest,
        "catalogue_id": catalogue_id,
        "datasets": dataset or [],
    }
    try:
        _add(database, parse_record("model", data, "add-model"))
    except DistillgovError as exc:
        fail(exc)


def _file_command(kind: str, path: Path, database: str | None, amends: bool = False) -> None:

    try:
        data = read_data(path)
        if amends and (not isinstance(data, dict) or not data.get("supersedes")):
            raise DistillgovError(
                f"{path}: an amendment names the disclosure it replaces in 'supersedes'"
            )
        _add(database, parse_record(kind, data, str(path)))
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

    Cards lie as ORG/NAME/README.md, ORG--NAME.md or NAME.md (an un-namespaced Hub id); their
    YAML front matter gives base_model, base_model_relation, license, datasets and tags. All
    cards must be valid or nothing is added (a Markdown file without front matter is skipped and
    named); what is already registered is skipped, so importing twice adds nothing.

    Example: distillgov registry import-cards examples/cards
    """

    try:
        read, added, skipped = import_cards(_registry(database), path)
    except DistillgovError as exc:
        fail(exc)
    for line in skipped:
        typer.echo(f"skipped {line}", err=True)
    for r in added:
        done = "completed" if isinstance(r, ModelAmendment) else "registered"
        typer.echo(f"{done} {KIND_OF[type(r)].replace('_', ' ')} '{r.id}'")
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


@registry_app.command("export-tiles")
def registry_export_tiles(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write the tiles.")],
    database: DatabaseOpt = None,
) -> None:
    """Write the log as C2SP tlog-tiles (checkpoint, hash tiles, entry bundles) under DIR, for
    any static host or CDN to serve at the log's URL; run again after each checkpoint (full
    tiles already written are kept: they never change).

    Example: distillgov registry export-tiles public/tlog
    """
    try:
        written = _registry(database).log.export_tiles(folder)
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"ok: {written} file(s) written under {folder}")


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


@registry_app.command("complete")
def registry_complete(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="Amendment, YAML or JSON.")],
    database: DatabaseOpt = None,
) -> None:
    """Complete a registered model: its licence (if none is recorded), base models or datasets
    not yet named, or the distillation tag. It never changes what was recorded.

    Example file: {id: tiny-1.card, model: tiny-1, source: its model card, licence: mit}
    """
    _file_command("model_amendment", path, database)


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

    try:
        log = _registry(database).log
        log.checkpoint(load_key(key_file))
        _cosign(log)
        published = log.published()
    except (DistillgovError, OSError) as exc:
        fail(exc if isinstance(exc, DistillgovError) else f"{key_file}: {exc}")
    assert published is not None
    sys.stdout.write(published[1])


def _cosign(log: Any) -> None:
    """Submit the latest checkpoint to the configured witnesses; say how each answered."""
    for done in witnessing.submit(log):
        mark = "cosigned" if done.cosigned else "not cosigned"
        typer.echo(f"witness {done.witness}: {mark} ({done.detail})", err=True)


@registry_app.command("rotate-key")
def registry_rotate_key(
    new_key: Annotated[
        Path, typer.Option("--new-key", help="The new key's file (made if it does not exist).")
    ],
    announcement: Annotated[
        Path | None,
        typer.Option(help="Write the rotation's proof bundle here, checkable with the old key."),
    ] = None,
    database: DatabaseOpt = None,
    key_file: KeyOpt = DEFAULT_KEY,
) -> None:
    """Replace the log's signing key: the new verifier key is logged and signed in under the
    old one, and signs every checkpoint after. Prints the new verifier key to publish; restart
    servers that sign with the new key.

    Example: distillgov registry rotate-key --key-file old.key --new-key new.key
    --announcement rotation.json
    """
    try:
        log = _registry(database).log
        old = load_key(key_file)
        new = load_key(new_key) if new_key.exists() else create_key(new_key)
        index, vkey = log.rotate_key(old, new)
        if announcement is not None:
            bundle = log.prove(index, index + 1, record=f"key-rotation-{index}")
            announcement.write_text(json.dumps(bundle, indent=2), encoding="utf-8")
    except (DistillgovError, OSError, ValueError) as exc:
        fail(exc if isinstance(exc, DistillgovError) else f"{key_file}: {exc}")
    typer.echo(vkey)
    typer.echo(f"the rotation is entry {index}, signed in under the old key", err=True)


@registry_app.command("witness-add")
def registry_witness_add(
    vkey: Annotated[str, typer.Argument(metavar="VKEY", help="The witness's key (name+id+key).")],
    url: Annotated[str, typer.Argument(metavar="URL", help="Its submission prefix.")],
    database: DatabaseOpt = None,
) -> None:
    """Submit every checkpoint from now on to this witness (C2SP tlog-witness), and publish
    its cosignatures with the checkpoint.

    Example: distillgov registry witness-add "$(cat w1.vkey)" https://w1.example/
    """
    try:
        log = _registry(database).log
        name = witnessing.add_witness(log, vkey, url)
        _cosign(log)
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"ok: witness {name} added")


@registry_app.command("witnesses")
def registry_witnesses(database: DatabaseOpt = None) -> None:
    """The configured witnesses and the size each last cosigned (JSON)."""
    try:
        typer.echo(json.dumps(witnessing.witnesses(_registry(database).log), indent=2))
    except DistillgovError as exc:
        fail(exc)


@registry_app.command("prove")
def registry_prove(
    record_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
    at_size: Annotated[
        int | None,
        typer.Option("--size", min=1, help="Against the checkpoint signed at this tree size."),
    ] = None,
    consistency: Annotated[
        int | None,
        typer.Option(
            "--consistency",
            min=0,
            metavar="OLD_SIZE",
            help="Instead: prove the tree of OLD_SIZE is a prefix of the latest (or --size).",
        ),
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """An offline proof bundle (JSON), checkable with the verifier key alone: that record ID is
    in the log, or with --consistency that the log only grew since a checkpoint you hold.

    Examples: distillgov registry prove d-tiny-1;  distillgov registry prove --consistency 120
    """
    if (record_id is None) == (consistency is None):
        fail("give a record ID, or --consistency OLD_SIZE (not both)")
    try:
        reg = _registry(database)
        bundle = (
            reg.log.consistency(consistency, at_size)
            if consistency is not None
            else reg.prove(str(record_id), at_size)
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(json.dumps(bundle, indent=2))


@registry_app.command("checkpoints")
def registry_checkpoints(database: DatabaseOpt = None) -> None:
    """Every signed checkpoint, oldest first (JSON): sizes to prove against."""
    try:
        typer.echo(json.dumps(_registry(database).log.checkpoints(), indent=2))
    except DistillgovError as exc:
        fail(exc)


@registry_app.command("verify")
def registry_verify(database: DatabaseOpt = None) -> None:
    """Recompute the tree from the stored entries, check every checkpoint, then replay every
    entry and compare the tables the queries read with it, row by row. Exit 1 naming what
    differs."""
    try:
        reg = _registry(database)
        bodies: list[bytes] = []
        finding = reg.log.verify(bodies)
        if finding is not None:
            fail(f"the log does not verify: {finding}", 1)
        differences = reg.verify_projections(bodies)
    except DistillgovError as exc:
        fail(exc)
    if differences:
        for line in differences[:20]:
            typer.echo(f"error: {line}", err=True)
        more = f" (the first 20 of {len(differences)})" if len(differences) > 20 else ""
        fail(f"the tables do not match the log{more}: `registry rebuild` recreates them from it", 1)
    typer.echo(
        f"ok: {reg.log.size()} entries, every checkpoint verified, every projected row matches"
    )


@registry_app.command("rebuild")
def registry_rebuild(database: DatabaseOpt = None) -> None:
    """Recreate the tables the queries read from the log alone (after a verified log): rows
    missing are written, changed rows put back, rows no entry gives removed."""
    try:
        reg = _registry(database)
        finding = reg.log.verify()
        if finding is not None:
            fail(f"the log does not verify, so it cannot be rebuilt from: {finding}", 1)
        done = reg.rebuild()
    except DistillgovError as exc:
        fail(exc)
    if not done:
        typer.echo("ok: the tables already match the log; nothing written")
        return
    for table, n in sorted(done.items()):
        typer.echo(f"{table}: {n} row(s) put right")
    typer.echo("ok: the tables now match the log")


class GraphFormat(StrEnum):
    text = "text"
    json = "json"
    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"


@commands.command()
def lineage(
    model: Annotated[str, typer.Argument(metavar="MODEL")],
    descendants: Annotated[bool, typer.Option(help="Show who learnt from it instead.")] = False,
    to: Annotated[
        str | None, typer.Option("--to", help="Print the shortest lineage path to this model.")
    ] = None,
    depth: Annotated[
        int | None, typer.Option("--depth", min=1, help="Stop after this many steps.")
    ] = None,
    bases: Annotated[
        bool,
        typer.Option(
            help="Follow base-model links (fine-tunes, adapters, merges, quantisations) too; "
            "--to follows disclosed distillation only."
        ),
    ] = True,
    database: DatabaseOpt = None,
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="text, json, dot, mermaid or svg.")
    ] = GraphFormat.text,
) -> None:
    """A model's ancestors (or descendants) in the registry, to any depth: who it learnt from
    by a disclosed distillation, and what it was built on (its base models, drawn dashed).

    Example: distillgov lineage tiny-2 --format svg > tiny-2.svg
    """

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
            model, "descendants" if descendants else "ancestors", depth, bases
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
    verbs = {
        ("distilled", False): "learnt from",
        ("distilled", True): "taught",
        ("base", False): "built on",
        ("base", True): "base of",
    }
    for r in rows:
        verb = verbs[r["link"], descendants]
        typer.echo(f"{'  ' * r['depth']}{verb} {r['model']} ({r['signal']}, via {r['via']})")
