"""Statements: what a licensee owes, licence by licence and month by month, and what a
beneficiary (teacher developer, data creators, pool) or a rights-holder received. CSV for
spreadsheets, HTML for people; amounts are exact decimals of the currency."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import jinja2
from sqlalchemy import Engine

from distillgov.licensing import ledger
from distillgov.licensing.licences import accounts_for, all_licences
from distillgov.licensing.money import format_minor
from distillgov.licensing.pool import payouts
from distillgov.licensing.settlement import adjustments, settlements


def licensee_statement(engine: Engine, licensee: str, on: dt.date) -> dict[str, Any]:
    licences = all_licences(engine, licensee)
    lines: list[dict[str, Any]] = []
    owed: dict[str, int] = {}
    for lic in licences:
        for s in settlements(engine, lic.id):
            lines.append(
                {
                    "licence": lic.id,
                    "period": s["period"],
                    "units": s["units"],
                    "revenue": format_minor(s["revenue_minor"], lic.currency),
                    "share_of_period_in_window": s["share_of_period_in_window"],
                    "royalty": format_minor(s["royalty_minor"], lic.currency),
                    "currency": lic.currency,
                }
            )
            owed[lic.currency] = owed.get(lic.currency, 0) + s["royalty_minor"]
    accounts = sorted({accounts_for(lic)["licensee"].id for lic in licences})
    changes = [a for lic in licences for a in adjustments(engine, lic.id)]
    return {
        "title": f"Royalty statement for {licensee}",
        "as_of": str(on),
        "licences": [lic.as_dict(on) for lic in licences],
        "columns": [
            "licence",
            "period",
            "units",
            "revenue",
            "share_of_period_in_window",
            "royalty",
            "currency",
        ],
        "lines": lines,
        "totals": {cur: format_minor(v, cur) for cur, v in sorted(owed.items())},
        "balances": [ledger.balance(engine, a) for a in accounts],
        # Changes to closed months, each posted in an open period: the month's line above shows
        # its figure now, these show when it changed after the close.
        "adjustments": [
            {
                **a,
                "delta": format_minor(a["delta_minor"], a["currency"]),
            }
            for a in sorted(
                changes, key=lambda a: (a["posted_on"], a["licence"], a["adjusts_period"])
            )
        ],
    }


def account_statement(engine: Engine, account: str, on: dt.date) -> dict[str, Any]:
    b = ledger.balance(engine, account)
    return {
        "title": f"Statement of account {account}",
        "as_of": str(on),
        "columns": [
            "posted_on",
            "transfer",
            "direction",
            "counterparty",
            "amount",
            "currency",
            "memo",
        ],
        "lines": ledger.history(engine, account),
        "totals": {b["currency"]: b["balance"]},
        "balances": [b],
    }


def holder_statement(engine: Engine, holder: str, on: dt.date) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    paid: dict[str, int] = {}
    for p in payouts(engine, holder):
        cur = p["currency"]
        lines.append(
            {
                "run_on": p["run_on"],
                "claim": p["claim"],
                "share": format_minor(p["share_minor"], cur),
                "carried_in": format_minor(p["carried_in_minor"], cur),
                "paid": format_minor(p["paid_minor"], cur),
                "carried_forward": format_minor(p["carried_out_minor"], cur),
                "held": format_minor(p["held_minor"], cur),
                "hold_until": p["hold_until"] or "",
                "currency": cur,
            }
        )
        paid[cur] = paid.get(cur, 0) + p["paid_minor"]
    return {
        "title": f"Collective pool statement for {holder}",
        "as_of": str(on),
        "columns": [
            "run_on",
            "claim",
            "share",
            "carried_in",
            "paid",
            "carried_forward",
            "held",
            "hold_until",
            "currency",
        ],
        "lines": lines,
        "totals": {cur: format_minor(v, cur) for cur, v in sorted(paid.items())},
        "balances": [],
    }


def to_csv(statement: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=statement["columns"], lineterminator="\n")
    writer.writeheader()
    for line in statement["lines"]:
        writer.writerow({k: line[k] for k in statement["columns"]})
    for a in statement.get("adjustments", []):  # after the months: each change to a closed one
        writer.writerow(
            {
                "licence": a["licence"],
                "period": f"{a['adjusts_period']} (adjusted in {a['posted_in_period']})",
                "royalty": a["delta"],
                "currency": a["currency"],
            }
            | {k: "" for k in statement["columns"] if k not in ("licence", "period", "royalty",
                                                               "currency")}
        )  # fmt: skip
    return out.getvalue()


def to_html(statement: dict[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("distillgov", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("statement.html").render(s=statement)
