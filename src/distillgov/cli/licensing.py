"""The clearinghouse's commands: licences, usage, settlement, the ledger, the collective pool and
statements. A thin door: every rule, formula and query lives in `distillgov.licensing`."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from distillgov.assessment.assess import assess_case
from distillgov.assessment.casefiles import load_case
from distillgov.cli.common import DatabaseOpt, fail, parse_day, profile_for, progress
from distillgov.errors import DistillgovError, Problem
from distillgov.licensing import ledger, pool, statements
from distillgov.licensing.licences import (
    add_rate_periods,
    all_licences,
    get,
    open_licence,
    set_status,
)
from distillgov.licensing.money import format_minor
from distillgov.licensing.pool import Claim, PoolError, distribute, match, register_claims
from distillgov.licensing.settlement import settle, unlicensed_use
from distillgov.licensing.tariffs import builtin
from distillgov.licensing.tariffs import load as load_tariffs
from distillgov.licensing.usage import ingest, report_files, reports, void
from distillgov.storage.db import open_database
from distillgov.tables import read_table

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where usage reports are kept (default $DISTILLGOV_DATA_DIR, else ./distillgov-data).",
    ),
]
OnOpt = Annotated[str | None, typer.Option("--on", help="Date YYYY-MM-DD. Default: today.")]
TariffsOpt = Annotated[
    Path | None,
    typer.Option(
        "--tariffs",
        help="A tariff schedule file (YAML, as licensing/schedules/*.yaml): dated rate periods.",
    ),
]
ActorOpt = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Who does it, for the trail (default $DISTILLGOV_ACTOR, else your login name).",
    ),
]


def _actor(by: str | None) -> str:
    """Who the trail names: given, else $DISTILLGOV_ACTOR, else the login name."""
    chosen = by or os.environ.get("DISTILLGOV_ACTOR") or getpass.getuser()
    if not chosen.strip() or len(chosen) > 200:
        fail(f"field 'by', value {chosen!r}: 1 to 200 characters")
    return chosen.strip()


license_app = typer.Typer(
    help="Compulsory licences opened from determinations.", no_args_is_help=True
)
usage_app = typer.Typer(help="Usage reports from licensees.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
pool_app = typer.Typer(help="The collective licensing pool.", no_args_is_help=True)
statement_app = typer.Typer(help="Statements as CSV or HTML.", no_args_is_help=True)
commands = typer.Typer()  # `settle` stands at the top level


def _engine(database: str | None) -> Any:

    return open_database(database)


def _day(on: str | None) -> dt.date:
    return parse_day(on, "--on") or dt.date.today()


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


@license_app.command("open")
def license_open(
    case_file: Annotated[Path, typer.Argument(metavar="CASE", help="The case file (YAML/JSON).")],
    jurisdiction: Annotated[
        str | None, typer.Option("--jurisdiction", "-j", help="Profile id: us, cn, global_south.")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="Opening date. Default: the case's, else today.")
    ] = None,
    student: Annotated[
        str | None, typer.Option(help="The student model's id (default: the case id).")
    ] = None,
    licence_id: Annotated[str | None, typer.Option("--id", help="The licence id to use.")] = None,
    profile_file: Annotated[
        Path | None, typer.Option("--profile", help="A user-defined profile file (YAML).")
    ] = None,
    tariffs: TariffsOpt = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Open the compulsory licence a determination calls for (its rule must be
    compulsory_license). The window comes from the determination, the tariff from the profile's
    schedule (or --tariffs FILE): the version in force that day, and any later rate periods.

    Example:
    distillgov license open examples/cases/startup-clones-chat-model-via-public-api.yaml -j cn
    """

    try:
        case = load_case(case_file)
        day = parse_day(on, "--on") or case.assessed_on or dt.date.today()
        profile = profile_for(jurisdiction or case.jurisdiction, profile_file)
        determination = assess_case(case, profile, day)
        licence = open_licence(
            _engine(database),
            determination,
            case,
            profile,
            day,
            student,
            licence_id,
            load_tariffs(tariffs) if tariffs else None,
            _actor(by),
        )
    except DistillgovError as exc:
        fail(exc)
    typer.echo(
        f"opened licence '{licence.id}': {licence.licensee} may use {licence.teacher} "
        f"({licence.teacher_owner}) from {licence.window_start} to {licence.window_end}; "
        f"royalties in {licence.currency}, rate set by {licence.tariff.set_by}"
    )


@license_app.command("show")
def license_show(
    licence_id: Annotated[str, typer.Argument(metavar="ID")],
    on: OnOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """A licence, its tariff and its state on a day (JSON)."""

    try:
        _echo_json(get(_engine(database), licence_id).as_dict(_day(on)))
    except DistillgovError as exc:
        fail(exc)


@license_app.command("list")
def license_list(
    licensee: Annotated[str | None, typer.Option(help="Only this licensee's.")] = None,
    on: OnOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Every licence, one line each: id, licensee, teacher, window, state."""

    day = _day(on)
    try:
        found = all_licences(_engine(database), licensee)
    except DistillgovError as exc:
        fail(exc)
    for lic in found:
        typer.echo(
            f"{lic.id}\t{lic.licensee}\t{lic.teacher}\t{lic.window_start}..{lic.window_end}\t"
            f"{lic.state(day)}"
        )


class Status(StrEnum):
    active = "active"
    suspended = "suspended"
    revoked = "revoked"


@license_app.command("status")
def license_status(
    licence_id: Annotated[str, typer.Argument(metavar="ID")],
    status: Annotated[Status, typer.Argument(metavar="STATE", help="active|suspended|revoked")],
    on: Annotated[
        str | None, typer.Option("--on", help="Effective from YYYY-MM-DD. Default: today.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why: kept in the licence's history.")] = "",
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Suspend, revoke or reinstate (active) a licence from a date: a clearinghouse decision,
    kept as a dated event in the licence's history. Usage on days it is suspended or revoked
    inside its window is flagged as unlicensed use at the next settlement, not settled.

    Example: distillgov license status lic-1 suspended --on 2025-04-15 --reason "unpaid invoice"
    """

    try:
        day = _day(on)
        lic = set_status(_engine(database), licence_id, status.value, day, reason, _actor(by))
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"licence '{lic.id}' is {lic.status_on(day)} from {day}")


@license_app.command("history")
def license_history(
    licence_id: Annotated[str, typer.Argument(metavar="ID")], database: DatabaseOpt = None
) -> None:
    """A licence's status changes, dated, with who recorded each and why (JSON)."""

    try:
        lic = get(_engine(database), licence_id)
    except DistillgovError as exc:
        fail(exc)
    _echo_json(
        {
            "licence": lic.id,
            "opened_on": str(lic.opened_on),
            "window": [str(lic.window_start), str(lic.window_end)],
            "history": [e.as_dict() for e in lic.events],
        }
    )


@license_app.command("unlicensed")
def license_unlicensed(
    licence_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Usage reported for days a licence was suspended or revoked inside its window, as the
    last settlement found it: not settled as royalties (JSON)."""

    try:
        _echo_json(unlicensed_use(_engine(database), licence_id))
    except DistillgovError as exc:
        fail(exc)


@usage_app.command("ingest")
def usage_ingest(
    report: Annotated[Path, typer.Argument(metavar="FILE", help=".csv, .jsonl or .parquet")],
    report_id: Annotated[
        str | None, typer.Option("--id", help="The report's id (default: the file name).")
    ] = None,
    corrects: Annotated[
        str | None,
        typer.Option("--corrects", help="The report this one corrects: that one is voided."),
    ] = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Take in a usage report: columns licence, period (YYYY-MM), units, revenue, currency.
    All rows are checked; a bad file is refused whole, listing every bad row. The same rows as
    a report already in are refused as a duplicate, unless sent as a correction.

    Example: distillgov usage ingest examples/usage/cheap-chat-2025-q1.csv
    """

    try:
        done = ingest(
            _engine(database),
            report,
            report_id,
            data_dir,
            corrects=corrects,
            actor=_actor(by),
        )
    except DistillgovError as exc:
        fail(exc)
    if done.new:
        fixed = f", replacing report '{done.replaced}'" if done.replaced else ""
        typer.echo(f"ingested report '{done.report}': {done.rows} row(s){fixed}")
    else:
        typer.echo(f"report '{done.report}' was already ingested: nothing changed")


@usage_app.command("void")
def usage_void(
    report_id: Annotated[str, typer.Argument(metavar="REPORT")],
    reason: Annotated[str, typer.Option(help="Why it is voided: kept on record.")],
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Void a report sent in error: it stays on record and stops counting; the next `settle`
    posts the reversal of what it contributed (new transfers; nothing is edited)."""

    try:
        done = void(_engine(database), report_id, reason, _actor(by))
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"voided report '{done['report']}': run `distillgov settle` to post the reversal")


@usage_app.command("list")
def usage_list(database: DatabaseOpt = None) -> None:
    """Every report on record, voided ones too, with who sent or voided it and when (JSON)."""

    try:
        _echo_json(reports(_engine(database)))
    except DistillgovError as exc:
        fail(exc)


class SettleEngine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@commands.command("settle")
def settle_command(
    on: OnOpt = None,
    engine_name: Annotated[
        SettleEngine, typer.Option("--engine", help="duckdb (this machine) or spark (a cluster).")
    ] = SettleEngine.duckdb,
    tariffs: TariffsOpt = None,
    spark_data_uri: Annotated[
        str | None,
        typer.Option(
            "--spark-data-uri",
            help="The data directory as Spark's executors see it (s3a://, hdfs://, file://...).",
        ),
    ] = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Settle every licence for every reported month and post the royalties to the ledger.
    Safe to run again: only what changed is posted. With --tariffs FILE, the rate periods the
    file dates after those a licence holds reach every licence under its profile first; each
    month settles under the rate in force on its first day.

    Example: distillgov settle --on 2025-04-01
    """

    day = _day(on)
    try:
        engine = _engine(database)
        if tariffs is not None:
            for lic, start in add_rate_periods(engine, load_tariffs(tariffs), str(tariffs)):
                typer.echo(f"licence '{lic}': rate period from {start} added from {tariffs}")
        files = report_files(engine, data_dir)
        with progress(len(files), "settling") as bar:
            reached = bar.reached if bar else None
            due, posted = settle(
                engine, files, day, engine_name.value, reached, _actor(by), spark_data_uri
            )
    except DistillgovError as exc:
        fail(exc)
    flagged = sum(1 for r in due if r.unlicensed_days)
    if flagged:
        typer.echo(
            f"flagged {flagged} licence-month(s) with usage while suspended or revoked: not "
            "settled (see `distillgov license unlicensed`)"
        )

    totals = "; ".join(f"{format_minor(v, c)} {c}" for c, v in sorted(posted.royalty_minor.items()))
    typer.echo(
        f"settled {posted.periods} licence-month(s) from {len(files)} report(s): "
        f"{posted.changed} changed, {posted.transfers} transfer(s) posted; "
        f"royalties to date: {totals or 'none'}"
    )


@ledger_app.command("balance")
def ledger_balance(
    account: Annotated[str | None, typer.Argument(metavar="[ACCOUNT]")] = None,
    prefix: Annotated[str, typer.Option(help="All accounts whose id starts so.")] = "",
    database: DatabaseOpt = None,
) -> None:
    """One account's balance, or every account's (credits minus debits)."""

    try:
        engine = _engine(database)
        rows = [ledger.balance(engine, account)] if account else ledger.accounts(engine, prefix)
    except DistillgovError as exc:
        fail(exc)
    for b in rows:
        typer.echo(f"{b['account']}\t{b['balance']} {b['currency']}")


@ledger_app.command("history")
def ledger_history(
    account: Annotated[str, typer.Argument(metavar="ACCOUNT")], database: DatabaseOpt = None
) -> None:
    """Every transfer in or out of an account, in posting order (JSON)."""

    try:
        _echo_json(ledger.history(_engine(database), account))
    except DistillgovError as exc:
        fail(exc)


@ledger_app.command("check")
def ledger_check(database: DatabaseOpt = None) -> None:
    """Prove the books balance: debits equal credits in every currency, every account's totals
    match its transfers, no protected account below zero, the pool's lines match its accounts.
    Exit 1 if not."""

    engine = _engine(database)
    problems = ledger.check(engine) + pool.check(engine)
    if problems:
        for p in problems:
            typer.echo(f"error: {p}", err=True)
        raise typer.Exit(1)

    moved = "; ".join(f"{format_minor(v, c)} {c}" for c, v in sorted(ledger.totals(engine).items()))
    head = ledger.chain_head(engine)
    typer.echo(
        f"ok: debits equal credits (transfers total {moved or 'nothing yet'}); hash chain "
        f"intact through transfer {head['seq']}, head {head['chain']}"
    )


@pool_app.command("claims")
def pool_claims(
    claims_file: Annotated[
        Path, typer.Argument(metavar="FILE", help="CSV or JSONL: id, holder, work, weight, matched")
    ],
    pool: Annotated[str, typer.Option(help="The pool: a profile id, e.g. global_south.")],
    on: OnOpt = None,
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Register rights-holders' claims on works, with weights (all or none)."""

    try:
        df = read_table(claims_file)
        claims = _claims_from(df, str(claims_file))
        added = register_claims(_engine(database), pool, claims, _day(on), _actor(by))
    except (DistillgovError, pl.exceptions.PolarsError, OSError) as exc:
        fail(exc if isinstance(exc, DistillgovError) else f"{claims_file}: {exc}")
    typer.echo(f"{added} claim(s) registered, {len(claims) - added} already there")


def _claims_from(df: Any, origin: str) -> list[Any]:

    missing = [c for c in ("id", "holder", "work", "weight", "matched") if c not in df.columns]
    if missing:
        raise PoolError(f"{origin}: missing column(s) {', '.join(missing)}")
    claims, problems = [], []
    for n, r in enumerate(df.iter_rows(named=True), start=2):
        weight, matched = str(r["weight"]).strip(), str(r["matched"]).strip().lower()
        if not weight.isdigit() or int(weight) == 0:
            problems.append(Problem("weight", r["weight"], "a whole number above 0", f"line {n}"))
            continue
        if matched not in ("true", "false"):
            problems.append(Problem("matched", r["matched"], "true or false", f"line {n}"))
            continue
        if not r["id"] or not r["holder"]:
            problems.append(Problem("id/holder", r["id"], "both are required", f"line {n}"))
            continue
        reservation = str(r["reservation"]).strip() if r.get("reservation") else None
        claims.append(
            Claim(
                str(r["id"]), str(r["holder"]), str(r["work"] or ""), int(weight),
                matched == "true", reservation or None,
            )
        )  # fmt: skip
    if problems:
        raise PoolError(
            f"{origin}: refused, {len(problems)} bad row(s); nothing was kept", problems
        )
    return claims


@pool_app.command("match")
def pool_match(
    claim: Annotated[str, typer.Argument(metavar="CLAIM")],
    by: ActorOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Mark a claim as matched to its rights-holder (its held shares are paid at the next run)."""

    try:
        match(_engine(database), claim, _actor(by))
    except DistillgovError as exc:
        fail(exc)
    typer.echo(f"claim '{claim}' matched")


@pool_app.command("distribute")
def pool_distribute(
    pool: Annotated[str, typer.Argument(metavar="POOL", help="A profile id, e.g. global_south.")],
    on: OnOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Pay the pool out pro rata to its claims, after the administrative deduction; small
    amounts carry forward, unmatched claims' shares are held (the profile's pool rules)."""

    day = _day(on)
    try:
        tariff = builtin(pool).as_of(day)
        run = distribute(_engine(database), pool, tariff.currency, tariff.pool, day)
    except DistillgovError as exc:
        fail(exc)
    cur = run.currency

    def f(v: int) -> str:
        return f"{format_minor(v, cur)} {cur}"

    typer.echo(
        f"{run.id}: {f(run.amount)} to distribute over {run.claims} claim(s): administration "
        f"{f(run.admin)}, paid {f(run.paid)}, carried forward {f(run.carried)}, held "
        f"{f(run.held)} (released from earlier holds: {f(run.released)})"
    )


class StatementFormat(StrEnum):
    csv = "csv"
    html = "html"
    json = "json"


def _statement(
    kind: str,
    who: str,
    fmt: StatementFormat,
    output: Path | None,
    database: str | None,
    on: str | None,
) -> None:

    try:
        make = {
            "licensee": statements.licensee_statement,
            "account": statements.account_statement,
            "holder": statements.holder_statement,
        }[kind]
        s = make(_engine(database), who, _day(on))
    except DistillgovError as exc:
        fail(exc)
    text = (
        statements.to_csv(s)
        if fmt is StatementFormat.csv
        else statements.to_html(s)
        if fmt is StatementFormat.html
        else json.dumps(s, indent=2) + "\n"
    )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


FormatOpt = Annotated[StatementFormat, typer.Option("--format", "-f", help="csv, html or json.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")]


@statement_app.command("licensee")
def statement_licensee(
    licensee: Annotated[str, typer.Argument(metavar="ORG")],
    fmt: FormatOpt = StatementFormat.csv,
    output: OutputOpt = None,
    on: OnOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """What a licensee owes: licence by licence, month by month."""
    _statement("licensee", licensee, fmt, output, database, on)


@statement_app.command("account")
def statement_account(
    account: Annotated[
        str, typer.Argument(metavar="ACCOUNT", help="e.g. developer:frontier-labs:CNY")
    ],
    fmt: FormatOpt = StatementFormat.csv,
    output: OutputOpt = None,
    on: OnOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """A beneficiary's account (teacher developer, data creators, pool): every transfer."""
    _statement("account", account, fmt, output, database, on)


@statement_app.command("holder")
def statement_holder(
    holder: Annotated[str, typer.Argument(metavar="HOLDER")],
    fmt: FormatOpt = StatementFormat.csv,
    output: OutputOpt = None,
    on: OnOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """A rights-holder's collective-pool payouts: only its own lines."""
    _statement("holder", holder, fmt, output, database, on)
