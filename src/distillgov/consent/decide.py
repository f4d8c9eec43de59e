"""One item of a crawl or dataset: is it reserved from AI training, by whom and by what signal,
as things stood when it was captured. Pure: the captured robots.txt, headers, page and
tdmrep.json, and the register's reservations, are arguments.

Every source is read into the AI-preferences vocabulary's `train-ai` category (distillation
changes a generative student's parameters, so it is AI model training in the -07 sense), and the
sources combine by the vocabulary's own rule — any disallow wins, then any allow, else unknown —
since they are several statements by possibly several parties (draft-ietf-aipref-vocab-07,
section 7.1). Within one mechanism its own precedence applies first (robots.txt: longest match,
conflicts most restrictive; TDMRep: file, then headers, then HTML, each superseding).

Signals, in the order they are reported:
- the register: a reservation in force on the capture day whose scope covers the item;
- robots.txt: the capturing crawler forbidden to fetch the path (it should not hold the item),
  and `Content-Usage` / `Content-Signal` rules;
- the `Content-Usage` response header;
- TDMRep: `tdm-reservation` 1 reserves, 0 does not (a reservation of all text and data mining
  covers AI training).
Where none of those states a preference, a robots.txt group that forbids an AI-training crawler
the path is read as an implied reservation: it governs that crawler's acquisition, not the use
of what another crawler fetched, so an explicit statement about the use comes first
(docs/interpretations.md 89). A reservation that covers the item but was filed after the capture,
and a signal that could not be read, are reported as notes that decide nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from distillgov.consent import tdmrep
from distillgov.consent.register import Index, InForce
from distillgov.consent.robots import RobotsFile
from distillgov.consent.vocabulary import Preference, Statement, read_dictionary

CATEGORY = "train-ai"


class Status(StrEnum):
    RESERVED = "reserved"
    NOT_RESERVED = "not_reserved"
    UNKNOWN = "unknown"


@dataclass
class Item:
    url: str | None
    captured_on: dt.date
    agent: str = "*"
    work: str | None = None
    collection: str | None = None
    robots: RobotsFile | None = None
    headers: dict[str, str] | None = None
    html: str | None = None
    tdm_rules: list[tdmrep.Rule] | None = None


@dataclass
class Verdict:
    status: Status
    decided_by: str | None
    signals: list[str] = field(default_factory=list)
    unknown_terms: list[str] = field(default_factory=list)
    reservations: list[str] = field(default_factory=list)  # register ids that cover the item


def decide(item: Item, register: Index | None) -> Verdict:
    stated: list[tuple[Preference, str]] = []
    implied: list[tuple[Preference, str]] = []
    notes: list[str] = []
    unknown: list[str] = []
    matched: list[InForce] = []
    if register is not None:
        covering = register.matching(item.url, item.work, item.collection, None)
        matched = [r for r in covering if r.in_force_on(item.captured_on)]
        for r in matched:
            stated.append((_register_preference(r), f"register: reservation {r.id} by {r.holder}"))
        notes += [_not_in_force(r, item.captured_on) for r in covering if r not in matched]
    if item.robots is not None and item.url:
        stated += _robots(item.robots, item.url, item.agent, unknown)
    if item.headers:
        value = next((v for k, v in item.headers.items() if k.lower() == "content-usage"), None)
        if value is not None:
            stated.append(_statement(_header(value), "Content-Usage header", unknown, notes))
    tdm = tdmrep.resolve(
        tdmrep.from_file(item.tdm_rules or [], item.url or "/") if item.tdm_rules else tdmrep.UNSET,
        tdmrep.from_headers(item.headers or {}),
        tdmrep.from_html(item.html) if item.html else tdmrep.UNSET,
    )
    if tdm.reservation is not None:
        pref = Preference.DISALLOW if tdm.reservation == tdmrep.RESERVED else Preference.ALLOW
        policy = f" (policy {tdm.policy})" if tdm.policy else ""
        stated.append((pref, f"TDMRep {tdm.source}: tdm-reservation={tdm.reservation}{policy}"))
    explicit = any(p is not Preference.UNKNOWN for p, _ in stated)
    verdict = _verdict(stated if explicit else implied, unknown, [r.id for r in matched])
    if explicit:
        verdict.signals += [
            f"not read (an explicit statement decides): {why}" for _, why in implied
        ]
    verdict.signals += [f"note: {n}" for n in notes]
    return verdict


@lru_cache(maxsize=4096)
def _header(value: str) -> Statement:
    return read_dictionary(value)


def _not_in_force(r: InForce, day: dt.date) -> str:
    if r.filed_on > day:
        return f"reservation {r.id} by {r.holder} was filed on {r.filed_on}, after the capture"
    return f"reservation {r.id} by {r.holder} was withdrawn on {r.withdrawn_on}, before the capture"


def _register_preference(r: InForce) -> Preference:
    value = r.preferences.get(CATEGORY)
    if value == "n" or r.tdm_reservation == 1:
        return Preference.DISALLOW
    if value == "y":
        return Preference.ALLOW
    return Preference.UNKNOWN


def _robots(
    robots: RobotsFile, url: str, agent: str, unknown: list[str]
) -> list[tuple[Preference, str]]:
    out: list[tuple[Preference, str]] = []
    crawl = robots.can_crawl(url, agent)
    if agent != "*" and not crawl:
        why = f"robots.txt: {agent} (the capturing crawler) may not fetch it"
        out.append((Preference.DISALLOW, why))
    usage = robots.usage(url, agent, crawl)
    unknown += list(usage.unknown_labels)
    if usage.crawl_allowed and usage.preferences[CATEGORY] is not Preference.UNKNOWN:
        out.append((usage.preferences[CATEGORY], "; ".join(usage.decided_by[CATEGORY])))
    return out


def _statement(
    s: Statement, source: str, unknown: list[str], notes: list[str]
) -> tuple[Preference, str]:
    unknown += list(s.unknown_labels)
    if s.error:
        notes.append(f"{source} could not be read ({s.error}): every preference is unknown")
    return s.preferences[CATEGORY], source


def _verdict(stated: list[tuple[Preference, str]], unknown: list[str], ids: list[str]) -> Verdict:
    signals = [f"{p.value}: {why}" for p, why in stated if p is not Preference.UNKNOWN]
    disallow = [why for p, why in stated if p is Preference.DISALLOW]
    allow = [why for p, why in stated if p is Preference.ALLOW]
    terms = list(dict.fromkeys(unknown))
    if disallow:
        return Verdict(Status.RESERVED, disallow[0], signals, terms, ids)
    if allow:
        return Verdict(Status.NOT_RESERVED, allow[0], signals, terms, ids)
    return Verdict(Status.UNKNOWN, None, signals, terms, ids)
