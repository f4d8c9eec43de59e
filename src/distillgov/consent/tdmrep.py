"""The W3C TDM Reservation Protocol (Final Community Group Report, 10 May 2024): the site-wide
`/.well-known/tdmrep.json`, the `tdm-reservation` and `tdm-policy` response headers, and HTML
`<meta>` elements. Pure: the captured texts are arguments.

As the report says: the file is a JSON array of rules (`location` and `tdm-reservation`
required, `tdm-policy` optional), and the first rule in sequence whose location matches the path
is the most specific — unlike robots.txt, not the longest; `tdm-reservation` is 1 (reserved) or
0 (not reserved), anything else is a protocol error, read as unset; a policy is ignored where the
reservation is 0; and each later source supersedes the earlier (file, then headers, then HTML
metadata), a source that lacks a property leaving the earlier value standing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

from distillgov.consent.robots import path_matches, split_url

RESERVED, NOT_RESERVED = 1, 0


@dataclass(frozen=True)
class Reservation:
    """What TDMRep says of one resource: reserved (1), not reserved (0) or unset (None)."""

    reservation: int | None
    policy: str | None
    source: str | None  # "tdmrep.json rule N" | "tdm-reservation header" | "HTML meta"
    errors: tuple[str, ...] = ()


UNSET = Reservation(None, None, None)


@dataclass(frozen=True)
class Rule:
    location: str
    reservation: int | None
    policy: str | None
    index: int


def parse_file(text: str) -> tuple[list[Rule], list[str]]:
    """The rules of a tdmrep.json, and the problems found (a rule that breaks the format is
    skipped and named; a file that is not a JSON array has no rules)."""
    try:
        data: Any = json.loads(text)
    except ValueError as why:
        return [], [f"tdmrep.json is not JSON: {why}"]
    if not isinstance(data, list):
        return [], ["tdmrep.json must be a JSON array of rules"]
    rules, problems = [], []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("location"), str):
            problems.append(f"tdmrep.json rule {i}: needs a 'location' string")
            continue
        value = _value(item.get("tdm-reservation"))
        if value is None:
            problems.append(
                f"tdmrep.json rule {i}: 'tdm-reservation' is {item.get('tdm-reservation')!r}, "
                "not 0 or 1 (read as unset)"
            )
        policy = item.get("tdm-policy")
        rules.append(Rule(item["location"], value, policy if isinstance(policy, str) else None, i))
    return rules, problems


def _value(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if raw in (0, 1):
        return int(raw)
    if isinstance(raw, str) and raw.strip() in ("0", "1"):
        return int(raw.strip())
    return None


def from_file(rules: list[Rule], url: str) -> Reservation:
    target = unquote(split_url(url)[1].partition("?")[0])
    for rule in rules:
        if path_matches(rule.location, target):
            if rule.reservation is None:
                return UNSET
            policy = rule.policy if rule.reservation == RESERVED else None
            return Reservation(rule.reservation, policy, f"tdmrep.json rule {rule.index}")
    return UNSET


def from_headers(headers: dict[str, str]) -> Reservation:
    lower = {k.lower(): v for k, v in headers.items()}
    if "tdm-reservation" not in lower and "tdm-policy" not in lower:
        return UNSET
    value = _value(lower.get("tdm-reservation"))
    return Reservation(value, lower.get("tdm-policy"), "tdm-reservation header")


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        name = a.get("name", "").lower()
        if name in ("tdm-reservation", "tdm-policy") and name not in self.found:
            self.found[name] = a.get("content", "").strip()


def from_html(html: str) -> Reservation:
    parser = _Meta()
    parser.feed(html[:2_000_000])  # metadata sits in the head; a huge page is not read whole
    if not parser.found:
        return UNSET
    return Reservation(
        _value(parser.found.get("tdm-reservation")), parser.found.get("tdm-policy"), "HTML meta"
    )


def resolve(*sources: Reservation) -> Reservation:
    """Later sources supersede earlier ones, property by property."""
    reservation, policy, source = None, None, None
    for s in sources:
        if s.source is None:
            continue
        if s.reservation is not None:
            reservation, source = s.reservation, s.source
        if s.policy is not None:
            policy = s.policy
    if reservation != RESERVED:
        policy = None
    return Reservation(reservation, policy, source)
