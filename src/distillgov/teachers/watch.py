"""The regulator's watch on restrictive terms (stakeholders/regulators; landscape/antitrust):
indicators over time computed from the dated catalogue, nothing else.

Pure: teachers, days, profiles and (optionally) market shares in, figures out, each saying what
it is computed from and as of when. The indicators follow the definitions the antitrust notes
give (shared/reference/round2/antitrust-watch.md, I1, I3, I4, I5), read against the catalogue:

- restrictive: the terms in force forbid competing-model training or improving other models
  (`ANTI_DISTILLATION`); permissive: they grant distillation or are a permissive licence
  (`GRANTS`); neither is its own state, never counted as permissive; unverified clauses are
  not used (as everywhere in the catalogue);
- an event: a change of terms that adds a restriction or removes a grant (tightening) or the
  reverse (loosening), flagged when another owner's model was released in the 90 days before;
- binding: under each profile's contract-reach lever, how far each restrictive clause in force
  reaches (`teachers.review`, which reads the rule program);
- concentration: the Herfindahl-Hirschman index of the shares a user supplies, over all
  suppliers listed and over those whose terms do not forbid distillation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any, Literal

from distillgov.errors import DistillgovError
from distillgov.framework.citations import Citation
from distillgov.teachers.catalogue import (
    ANTI_DISTILLATION,
    GRANTS,
    Confidence,
    Teacher,
    TermsVersion,
    diff,
)
from distillgov.teachers.review import ENFORCEABLE, LIMITED, VOID, column_of, review_clause

RIVAL_WINDOW_DAYS = 90
CITE = Citation("stakeholders", "regulators")
Unit = Literal["model", "family"]
Every = Literal["month", "quarter", "year"]
State = Literal["restrictive", "permissive", "both", "neither"]


class WatchError(DistillgovError):
    """The watch cannot compute what was asked; nothing is shown."""


# ---- standing: one teacher on one day -------------------------------------------------------


def _usable(version: TermsVersion, kinds: frozenset[Any]) -> list[str]:
    return sorted({c.type.value for c in version.of(kinds, usable_only=True)})


def state_of(version: TermsVersion) -> State:
    restricts, grants = _usable(version, ANTI_DISTILLATION), _usable(version, GRANTS)
    if restricts and grants:
        return "both"
    return "restrictive" if restricts else "permissive" if grants else "neither"


def _released_by(teacher: Teacher, day: dt.date) -> bool:
    """A teacher counts once released; an unknown or unverified release date does not hold it
    back (it counts from its first terms in force)."""
    m = teacher.model
    usable = m.release_date is not None and m.release_confidence is not Confidence.UNVERIFIED
    return not usable or (m.release_date is not None and m.release_date <= day)


def standing(teacher: Teacher, day: dt.date) -> tuple[TermsVersion, State] | None:
    """The terms in force and their state, or None when the teacher is not tracked that day."""
    version = teacher.terms_on(day)
    if version is None or not _released_by(teacher, day):
        return None
    return version, state_of(version)


# ---- the series (I1, I3) -------------------------------------------------------------------


def days_between(start: dt.date, end: dt.date, every: Every) -> list[dt.date]:
    """`start`, the first day of each month, quarter or year after it up to `end`, and `end`."""
    if end < start:
        raise WatchError(f"field 'to', value '{end}': before 'from' ({start})")
    step = {"month": 1, "quarter": 3, "year": 12}[every]
    month = (start.month - 1) // step * step + 1
    day = dt.date(start.year, month, 1)
    out = [start]
    while day <= end:
        if day > start:
            out.append(day)
        months = day.year * 12 + day.month - 1 + step
        day = dt.date(months // 12, months % 12 + 1, 1)
    if not out or out[-1] != end:
        out.append(end)
    return out


def _units(teachers: Iterable[Teacher], day: dt.date, unit: Unit) -> dict[str, list[Any]]:
    """Each tracked unit's states and terms that day: a model is one unit; a family is one
    unit, restrictive if any of its tracked models is (and permissive likewise)."""
    out: dict[str, list[Any]] = {}
    for t in teachers:
        found = standing(t, day)
        if found is not None:
            key = t.id if unit == "model" else t.family.family
            out.setdefault(key, []).append((t, *found))
    return out


def _share(part: int, whole: int) -> str:
    return "" if whole == 0 else str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.001")))


def series(
    teachers: Sequence[Teacher], days: Sequence[dt.date], unit: Unit
) -> list[dict[str, Any]]:
    rows = []
    for day in days:
        units = _units(teachers, day, unit)
        restrictive = sorted(
            k for k, v in units.items() if any(s in ("restrictive", "both") for _, _, s in v)
        )
        permissive = sorted(
            k for k, v in units.items() if any(s in ("permissive", "both") for _, _, s in v)
        )
        neither = sorted(set(units) - set(restrictive) - set(permissive))
        rows.append(
            {
                "as_of": str(day),
                "tracked": len(units),
                "restrictive": len(restrictive),
                "permissive": len(permissive),
                "neither": len(neither),
                "share_restrictive": _share(len(restrictive), len(units)),
                "share_permissive": _share(len(permissive), len(units)),
                "restrictive_units": restrictive,
                "permissive_units": permissive,
                "neither_units": neither,
            }
        )
    return rows


# ---- events (I4) ---------------------------------------------------------------------------


def _direction(before: TermsVersion | None, after: TermsVersion) -> tuple[str, list[str]]:
    """tightening, loosening, mixed, or unchanged (in which restrictions and grants there are),
    with what moved; a change of wording alone is told apart by the caller."""
    old_r = set(_usable(before, ANTI_DISTILLATION)) if before else set()
    old_g = set(_usable(before, GRANTS)) if before else set()
    new_r, new_g = set(_usable(after, ANTI_DISTILLATION)), set(_usable(after, GRANTS))
    tighter = [f"+{k}" for k in sorted(new_r - old_r)] + [f"-{k}" for k in sorted(old_g - new_g)]
    looser = [f"-{k}" for k in sorted(old_r - new_r)] + [f"+{k}" for k in sorted(new_g - old_g)]
    if tighter and looser:
        return "mixed", tighter + looser
    if tighter:
        return "tightening", tighter
    if looser:
        return "loosening", looser
    return "unchanged", []


def _rivals(
    teachers: Sequence[Teacher], owner: str, day: dt.date
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Other owners' models released in the 90 days up to `day`: those with a usable release
    date, and those whose date is unverified (shown, never used to flag)."""
    usable: list[dict[str, str]] = []
    unverified: list[dict[str, str]] = []
    for t in teachers:
        m = t.model
        if t.family.owner == owner or m.release_date is None:
            continue
        if 0 <= (day - m.release_date).days <= RIVAL_WINDOW_DAYS:
            entry = {"model": m.id, "owner": t.family.owner, "released": str(m.release_date)}
            (unverified if m.release_confidence is Confidence.UNVERIFIED else usable).append(entry)
    return usable, unverified


def events(teachers: Sequence[Teacher]) -> list[dict[str, Any]]:
    """Every change of terms that moved a restriction or a grant, once per family and pair of
    versions, oldest first; `changes` are the watched clauses' diffs. A teacher's first terms
    are not an event: the day it was first catalogued is not the day its clause came in."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for t in teachers:
        versions = [v.for_model(t.id) for v in t.versions()]
        for before, after in pairwise(versions):
            key = (t.family.family, before.id, after.id)
            if key in seen:
                seen[key]["teachers"].append(t.id)
                continue
            direction, moved = _direction(before, after)
            watched = {k.value for k in ANTI_DISTILLATION | GRANTS}
            changes = [
                c
                for c in diff(t, before.effective, after.effective)["changes"]
                if c["type"] in watched
            ]
            if direction == "unchanged":  # a summary worded anew is not a change of terms
                continue
            rivals, unverified = _rivals(teachers, t.family.owner, after.effective)
            seen[key] = {
                "date": str(after.effective),
                "family": t.family.family,
                "owner": t.family.owner,
                "teachers": [t.id],
                "from_terms": before.id,
                "to_terms": after.id,
                "direction": direction,
                "moved": moved,
                "changes": changes,
                "source": after.source,
                "follows_rival_release": bool(rivals),
                "rival_releases": rivals,
                "rival_releases_unverified": unverified,
            }
    return sorted(seen.values(), key=lambda e: (e["date"], e["family"]))


# ---- binding under each profile ------------------------------------------------------------


def binding(
    teachers: Sequence[Teacher], profiles: Sequence[Any], day: dt.date
) -> list[dict[str, Any]]:
    """For each profile, how far the restrictive clauses in force that day reach under its
    contract-reach lever: per teacher, the review's effect and reason, with its citation."""
    out = []
    for profile in profiles:
        levers = profile.as_of(day).values
        column = column_of(profile.id)
        rows: dict[str, list[dict[str, str]]] = {ENFORCEABLE: [], LIMITED: [], VOID: []}
        cite = None
        for t in teachers:
            found = standing(t, day)
            if found is None:
                continue
            version, _ = found
            for clause in version.of(ANTI_DISTILLATION, usable_only=True):
                finding = review_clause(clause, levers, column)
                cite = finding.cite
                rows.setdefault(finding.effect, []).append(
                    {"teacher": t.id, "terms": version.id, "type": clause.type.value,
                     "why": finding.why}
                )  # fmt: skip
        restricted = {r["teacher"] for v in rows.values() for r in v}
        binds = {r["teacher"] for r in rows[ENFORCEABLE]}
        out.append(
            {
                "profile": profile.id,
                "as_of": str(day),
                "anti_distillation_effect": _effect_word(rows),
                "teachers_restricted": len(restricted),
                "teachers_whose_ban_binds": len(binds),
                "by_effect": rows,
                "cite": (cite or Citation("adjustments", "contract_reach", column)).as_dict(),
            }
        )
    return out


def _effect_word(rows: Mapping[str, list[Any]]) -> str:
    found = [effect for effect, v in rows.items() if v]
    return found[0] if len(found) == 1 else ", ".join(found) or "no restrictive clause in force"


# ---- concentration (I5) --------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    supplier: str
    percent: Decimal
    source: str
    as_of: dt.date
    teachers: tuple[str, ...]


SHARE_COLUMNS = ("supplier", "share_percent", "source", "as_of")


def read_shares(text: str, teachers: Mapping[str, Teacher], origin: str) -> list[Share]:
    """Market shares from CSV (supplier, share_percent, source, as_of). A supplier is a teacher
    id, a family id or an owner's name; every row needs the source its share comes from."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in SHARE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise WatchError(
            f"{origin}: the header needs columns {', '.join(SHARE_COLUMNS)}; "
            f"missing {', '.join(missing)}"
        )
    return shares_from_rows(list(reader), teachers, origin, first_row=2)


def shares_from_rows(
    rows: Sequence[Mapping[str, Any]],
    teachers: Mapping[str, Teacher],
    origin: str,
    first_row: int = 1,
) -> list[Share]:
    """`read_shares` for rows already parsed (an API body): the same checks and messages."""
    out = [
        _share_row({k: None if v is None else str(v) for k, v in row.items()}, n, teachers, origin)
        for n, row in enumerate(rows, start=first_row)
    ]
    if not out:
        raise WatchError(f"{origin}: no rows")
    total = sum((s.percent for s in out), Decimal(0))
    if total > 100:
        raise WatchError(f"{origin}: field 'share_percent': the shares sum to {total}, over 100")
    named = [s.supplier.lower() for s in out]
    twice = sorted({s for s in named if named.count(s) > 1})
    if twice:
        raise WatchError(f"{origin}: field 'supplier', value {twice[0]!r}: listed twice")
    return out


def _share_row(
    row: Mapping[str, str | None], n: int, teachers: Mapping[str, Teacher], origin: str
) -> Share:
    def bad(field: str, why: str) -> WatchError:
        return WatchError(f"{origin}: row {n}, field '{field}', value {row.get(field)!r}: {why}")

    supplier = (row.get("supplier") or "").strip()
    matched = tuple(
        t.id
        for t in teachers.values()
        if supplier.lower() in (t.id.lower(), t.family.family.lower(), t.family.owner.lower())
    )
    if not supplier or not matched:
        raise bad("supplier", "not a teacher, family or owner in the catalogue")
    try:
        percent = Decimal((row.get("share_percent") or "").strip())
    except InvalidOperation:
        raise bad("share_percent", "must be a number from 0 to 100") from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise bad("share_percent", "must be a number from 0 to 100")
    source = (row.get("source") or "").strip()
    if not source:
        raise bad("source", "every share needs the source it comes from")
    try:
        as_of = dt.date.fromisoformat((row.get("as_of") or "").strip())
    except ValueError:
        raise bad("as_of", "must be a date, YYYY-MM-DD") from None
    return Share(supplier, percent, source, as_of, matched)


def _hhi(percents: Iterable[Decimal]) -> Decimal:
    return sum((p * p for p in percents), Decimal(0))


def concentration(shares: Sequence[Share], teachers: Mapping[str, Teacher]) -> dict[str, Any]:
    """HHI (sum of squared percentage shares, 0 to 10,000) of the listed supply, and of the
    distillable part of it: suppliers none of whose teachers' terms in force on the share's date
    forbid distillation, their shares rescaled to that part's whole."""
    rows = []
    for s in shares:
        restricted = [
            t
            for t in s.teachers
            if (found := standing(teachers[t], s.as_of)) and found[1] in ("restrictive", "both")
        ]
        rows.append(
            {
                "supplier": s.supplier,
                "share_percent": str(s.percent),
                "as_of": str(s.as_of),
                "source": s.source,
                "distillable": not restricted,
                "restricted_by": restricted,
            }
        )
    free = [s.percent for s, r in zip(shares, rows, strict=True) if r["distillable"]]
    free_total = sum(free, Decimal(0))
    listed = sum((s.percent for s in shares), Decimal(0))
    distillable_hhi = (
        _hhi(p * 100 / free_total for p in free).quantize(Decimal("0.01")) if free_total else None
    )
    return {
        "hhi_all_listed": str(_hhi(s.percent for s in shares).quantize(Decimal("0.01"))),
        "hhi_distillable": None if distillable_hhi is None else str(distillable_hhi),
        "share_listed_percent": str(listed),
        "share_distillable_percent": str(free_total),
        "suppliers": rows,
        "as_of": sorted({str(s.as_of) for s in shares}),
        "sources": sorted({s.source for s in shares}),
        "note": "Shares are the user's, with their sources; suppliers not listed are left out "
        "of both indices (a lower bound when the listed shares sum to under 100).",
    }


# ---- the whole watch -----------------------------------------------------------------------


def computed_from(teachers: Sequence[Teacher], overlay: str | None) -> dict[str, Any]:
    families = sorted({t.family.family for t in teachers})
    return {
        "catalogue": "shipped" + (f" with the overlay {overlay}" if overlay else ""),
        "teachers": len(teachers),
        "families": len(families),
        "terms_versions": len({(t.family.family, v.id) for t in teachers for v in t.versions()}),
        "restrictive_clause_types": sorted(k.value for k in ANTI_DISTILLATION),
        "permissive_clause_types": sorted(k.value for k in GRANTS),
        "unverified_clauses": "not used",
        "cite": CITE.as_dict(),
    }


def watch(
    teachers: Sequence[Teacher],
    profiles: Sequence[Any],
    start: dt.date,
    end: dt.date,
    every: Every = "quarter",
    unit: Unit = "model",
    shares: Sequence[Share] | None = None,
    overlay: str | None = None,
) -> dict[str, Any]:
    by_id = {t.id: t for t in teachers}
    return {
        "computed_from": computed_from(teachers, overlay),
        "as_of": str(end),
        "unit": unit,
        "series": series(teachers, days_between(start, end, every), unit),
        "events": [e for e in events(teachers) if start <= dt.date.fromisoformat(e["date"]) <= end],
        "binding": binding(teachers, profiles, end),
        "concentration": None if shares is None else concentration(shares, by_id),
    }


def first_terms(teachers: Iterable[Teacher]) -> dt.date:
    days = [v.effective for t in teachers for v in t.versions()]
    if not days:
        raise WatchError("the catalogue holds no terms to watch")
    return min(days)


def csv_tables(report: Mapping[str, Any]) -> dict[str, str]:
    """The report as CSV files by name; every row carries its as-of date and what it is computed
    from, so a file read alone still says both."""
    src = report["computed_from"]
    basis = (
        f"catalogue ({src['catalogue']}): {src['teachers']} teachers, {src['families']} families"
    )
    tables: dict[str, list[dict[str, Any]]] = {
        "series": [
            {**{k: v for k, v in r.items() if not k.endswith("_units")},
             "restrictive_units": " ".join(r["restrictive_units"]),
             "permissive_units": " ".join(r["permissive_units"]), "unit": report["unit"]}
            for r in report["series"]
        ],
        "events": [
            {"as_of": e["date"], "family": e["family"], "owner": e["owner"],
             "direction": e["direction"], "moved": " ".join(e["moved"]),
             "from_terms": e["from_terms"], "to_terms": e["to_terms"],
             "follows_rival_release": e["follows_rival_release"],
             "rival_releases": " ".join(r["model"] for r in e["rival_releases"]),
             "source": e["source"]}
            for e in report["events"]
        ],
        "binding": [
            {"as_of": b["as_of"], "profile": b["profile"], "effect": effect,
             "teacher": r["teacher"], "terms": r["terms"], "clause": r["type"],
             "cite": f"{b['cite']['table']}/{b['cite']['row']}"}
            for b in report["binding"] for effect, rows in b["by_effect"].items() for r in rows
        ],
    }  # fmt: skip
    conc = report.get("concentration")
    if conc:
        tables["concentration"] = [
            {**r, "restricted_by": " ".join(r["restricted_by"])} for r in conc["suppliers"]
        ] + [
            {"supplier": "HHI, all listed", "share_percent": conc["hhi_all_listed"]},
            {"supplier": "HHI, distillable", "share_percent": conc["hhi_distillable"] or ""},
        ]
    out = {}
    for name, rows in tables.items():
        buffer = io.StringIO()
        fields = list(dict.fromkeys(k for r in rows for k in r)) or ["as_of"]
        writer = csv.DictWriter(buffer, [*fields, "computed_from"], lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "computed_from": basis})
        out[name] = buffer.getvalue()
    return out


def watch_text(report: Mapping[str, Any]) -> list[str]:
    """The report as lines of text, each figure with its basis and date."""
    src = report["computed_from"]
    lines = [
        f"Watch on teacher terms, as of {report['as_of']}: computed from the {src['catalogue']} "
        f"catalogue ({src['teachers']} teachers, {src['families']} families, "
        f"{src['terms_versions']} terms versions; unverified clauses not used)",
        f"Restrictive: {', '.join(src['restrictive_clause_types'])}; "
        f"permissive: {', '.join(src['permissive_clause_types'])}. "
        f"[{src['cite']['table']} table, row {src['cite']['row']}]",
        "",
        f"{'as of':<12}{'tracked':>8}{'forbid':>8}{'grant':>8}{'neither':>8}  share forbid / grant"
        f"  (by {report['unit']})",
    ]
    for r in report["series"]:
        lines.append(
            f"{r['as_of']:<12}{r['tracked']:>8}{r['restrictive']:>8}{r['permissive']:>8}"
            f"{r['neither']:>8}  {r['share_restrictive'] or '-'} / {r['share_permissive'] or '-'}"
        )
    lines += ["", "Tightening and loosening events (a first catalogued version is not an event):"]
    for e in report["events"]:
        flag = (
            " FOLLOWS A RIVAL'S RELEASE: "
            + ", ".join(
                f"{r['model']} ({r['owner']}, {r['released']})" for r in e["rival_releases"]
            )
            if e["follows_rival_release"]
            else ""
        )
        lines.append(
            f"  {e['date']} {e['family']}: {e['direction']} ({' '.join(e['moved'])}), "
            f"{e['from_terms']} -> {e['to_terms']}{flag}"
        )
    if not report["events"]:
        lines.append("  none in the period")
    lines += ["", f"How far the bans in force on {report['as_of']} bind, by profile:"]
    for b in report["binding"]:
        lines.append(
            f"  {b['profile']}: {b['anti_distillation_effect']} — {b['teachers_whose_ban_binds']} "
            f"of {b['teachers_restricted']} restricted teachers bound as written "
            f"[{b['cite']['table']} table, row {b['cite']['row']}"
            + (f", {b['cite']['column']}]" if b["cite"].get("column") else "]")
        )
    conc = report.get("concentration")
    if conc:
        lines += [
            "",
            f"Concentration (HHI, 0-10,000) from the shares given, as of {', '.join(conc['as_of'])}"
            f" (sources: {'; '.join(conc['sources'])}):",
            f"  all listed supply ({conc['share_listed_percent']} %): {conc['hhi_all_listed']}",
            f"  distillable supply ({conc['share_distillable_percent']} %): "
            f"{conc['hhi_distillable'] or 'none: every listed supplier forbids distillation'}",
        ]
    return lines
