"""Plain words for a determination: one vocabulary (`plain.yaml`) that the web app, the text and
markdown outputs and the letter all read, so a founder reads "Allowed under a compulsory
licence — you pay a royalty until 13 Nov 2026" where the JSON says `compulsory_license`.

Labels and the explanations of outcomes, values and citations are the file's; the longer
question behind a fact or a lever stays its description in the case model or the lever table
(`explain` falls back to it), so no text is kept twice.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def words() -> dict[str, Any]:
    # Our own shipped file, not a user's: the framework reads it with the plain safe loader
    # (the guarded reader of user files lives outside the framework).
    raw = yaml.safe_load(
        (resources.files("distillgov.framework") / "plain.yaml").read_text(encoding="utf-8")
    )
    assert isinstance(raw, dict)
    return raw


def _entry(kind: str, key: str) -> dict[str, Any]:
    found = words().get(kind, {}).get(key)
    return found if isinstance(found, dict) else {}


def label(kind: str, key: str) -> str:
    """The short label of a category, rule, obligation, status, fact or lever; the identifier
    with its underscores as spaces where the vocabulary has none (a user's own lever)."""
    return str(_entry(kind, key).get("label") or key.replace("_", " "))


def value_label(fact_or_lever: str, value: Any) -> str:
    """How a fact's or a lever's value reads: its label where the vocabulary has one."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "not known"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(value_label(fact_or_lever, v) for v in sorted(value, key=str))
    for kind in ("values", "lever_values"):
        found = words().get(kind, {}).get(fact_or_lever, {}).get(str(value))
        if isinstance(found, dict) and found.get("label"):
            return str(found["label"])
    return str(value).replace("_", " ")


def explain(kind: str, key: str) -> str:
    """The one-line explanation; for a fact or a lever without one, its own description."""
    text = _entry(kind, key).get("explain")
    if text:
        return str(text)
    if kind == "facts":
        # The case model is loaded only when a fact is explained (the letter does not need it).
        from distillgov.framework.case import FACTS

        spec = FACTS.get(key)
        return str(getattr(spec, "question", "") or getattr(spec, "description", "") or "")
    if kind == "levers":
        # The lever table, likewise.
        from distillgov.framework.levers import LEVERS

        lever = LEVERS.get(key)
        return lever.meaning if lever is not None else ""
    return ""


def day(text: str | None) -> str:
    """'2026-11-13' as '13 Nov 2026'."""
    if not text:
        return ""
    d = dt.date.fromisoformat(str(text)[:10])
    return f"{d.day} {d:%b %Y}"


def headline(category: str | None, rule: str | None, compliant: bool | None, royalty: Any) -> str:
    """The outcome in one sentence: what the regime says, then whether the case meets it."""
    if category is None or rule is None:
        return str(words()["undetermined"])
    entry = _entry("rules", rule)
    window_end = (royalty or {}).get("window_end") if isinstance(royalty, dict) else None
    if window_end and "{window_end}" in str(entry.get("headline", "")):
        said = str(entry["headline"]).format(window_end=day(window_end))
    else:
        said = str(entry.get("headline_no_date") or entry.get("headline") or label("rules", rule))
    key = "unknown" if compliant is None else str(compliant).lower()
    condition = str(words()["compliance"][key])
    return f"{said}. {condition[0].upper()}{condition[1:]}."


def cite(source: dict[str, Any] | None) -> str:
    """A citation as a reader names it: 'Kinds of distillation and their rules — Commercial
    cloning (China)'."""
    if not source:
        return ""
    table = words()["tables"].get(source.get("table"), {})
    row = table.get("rows", {}).get(source.get("row"), str(source.get("row", "")))
    column = words()["columns"].get(source.get("column")) if source.get("column") else None
    return f"{table.get('label', source.get('table'))} — {row}" + (f" ({column})" if column else "")


def anchor(source: dict[str, Any] | None) -> str:
    """Where the web app's framework page shows that table row."""
    if not source:
        return ""
    return f"{source.get('table')}-{source.get('row')}"
