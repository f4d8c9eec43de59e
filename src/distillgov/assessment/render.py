"""Determinations as text a lawyer could forward, as JSON, and as a letter in Markdown or HTML."""

from __future__ import annotations

import textwrap
from typing import Any

from distillgov.framework import plain
from distillgov.framework.determination import Determination

FORMATS = ("text", "json", "markdown", "html")

DISCLAIMER = (
    "This determination applies the Balanced Framework for AI Model Distillation, a regime "
    "proposed in legal scholarship (T. T. Guan), as encoded by distillgov. The framework is not "
    "enacted law in any jurisdiction and this is not legal advice."
)

CATEGORY_NAMES = {
    "authorized": "Authorized / internal distillation",
    "commercial_cloning": "Independent commercial cloning (direct market substitute)",
    "transformative": "Independent transformative enhancement",
    "research": "Public-interest research distillation",
    "illicit": "Illicit distillation (improper means)",
    "de_minimis": "De minimis / incidental use",
    "not_distillation": "Not distillation (outputs only evaluate, calibrate or inspire)",
    "internal_experiment": "Internal experiment (student not deployed)",
}
RULE_NAMES = {
    "permitted": "permitted",
    "compulsory_license": "lawful under a compulsory licence",
    "conditional": "allowed on conditions",
    "exempt": "exempt",
    "prohibited": "prohibited",
}


def headline(d: Determination) -> str:
    if d.category is None and d.rule is None:
        return "Not determined: the outcome depends on facts not given"
    if d.category is None:
        return f"Category depends on facts not given; on every answer the rule is: {d.rule}"
    if d.rule is None:
        return f"{CATEGORY_NAMES[d.category]}: the rule depends on facts not given"
    return f"{CATEGORY_NAMES[d.category]}: {RULE_NAMES[d.rule]}"


def compliance_words(d: Determination) -> str:
    if d.compliant is None:
        return "compliance cannot be determined on the facts given"
    return "compliant" if d.compliant else "NOT compliant"


def cite_text(source: dict[str, str] | None) -> str:
    if not source:
        return ""
    col = f", {source['column']}" if source.get("column") else ""
    return f"{source['table']} table, row {source['row']}{col}"


def render(d: Determination, fmt: str) -> str:
    if fmt == "json":
        return d.to_json()
    if fmt == "text":
        return text(d)
    if fmt in ("markdown", "html"):
        return letter(d, fmt)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _wrap(s: str, indent: str = "    ") -> str:
    return textwrap.fill(s, width=96, initial_indent=indent, subsequent_indent=indent)


def _value(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


def text(d: Determination) -> str:
    case = d.case.get("title") or d.case.get("id") or "(untitled case)"
    lines = [
        "DETERMINATION UNDER THE BALANCED FRAMEWORK FOR AI MODEL DISTILLATION",
        "",
        f"Case:          {case}" + (f" [{d.case['id']}]" if d.case.get("id") else ""),
        f"Jurisdiction:  {d.profile['name']} "
        f"(profile {d.profile['id']}, {d.profile['hash'][:19]}…)",
        f"As of:         {d.assessed_on}",
        f"Rules:         {d.framework_version}",
        "",
        f"OUTCOME: {headline(d)} — {compliance_words(d)}.",
        _wrap(
            f"In plain words: {plain.headline(d.category, d.rule, d.compliant, d.royalty)}", "  "
        ),
        _wrap(d.summary, "  "),
    ]
    if d.scope:
        lines.append(_wrap(d.scope, "  "))
    if d.violations:
        lines += ["", f"Violations: {', '.join(d.violations)}"]
    lines += ["", "OBLIGATIONS"]
    for o in d.obligations:
        due = f", {DUE_WORDS.get(o.due_basis, 'due')} {o.due}" if o.due else ""
        maybe = "" if o.applies else " (may apply)"
        lines.append(
            f"  [{o.status or 'unknown'}] {plain.label('obligations', o.id)} ({o.id}){maybe}{due}"
            f" — {cite_text(o.source)}"
        )
        lines.append(_wrap(o.what, "      "))
    if not d.obligations:
        lines.append("  none")
    if d.settled:
        names = ", ".join(d.settled["whatever_the_answers_to"])
        what = "; ".join(f"{k} = {_value(v)}" for k, v in d.settled["values"].items())
        lines += ["", _wrap(f"SETTLED whatever the answers to {names}: {what}", "")]
    if d.consequences:
        lines += ["", "CONSEQUENCES"]
        for c in d.consequences:
            lines.append(_wrap(f"- {c['what']} ({cite_text(c['source'])})", "  "))
    r = d.royalty
    lines += ["", "ROYALTY"]
    if r["due"] is None:
        lines.append("  Cannot be determined on the facts given.")
    elif r["window_start"]:
        state = "due" if r["due"] else "not due"
        lines.append(f"  Royalty {state}. Phase on {d.assessed_on}: {r['phase']}.")
        lines.append(
            f"  Licence window: {r['window_start']} to {r['window_end']}; royalty-free after."
        )
        if r["rate_setter"]:
            shared = _value(r["shared_with_creators"])
            lines.append(f"  Rate set by: {r['rate_setter']}; shared with creators: {shared}.")
    else:
        lines.append("  No royalty: the category carries none.")
    if d.immunities:
        lines += ["", "SAFE HARBOURS AND IMMUNITIES"]
        for im in d.immunities:
            state = {True: "holds", False: "SUSPENDED", None: "depends on missing facts"}[
                im["holds"]
            ]
            by = f" (breached: {', '.join(im['suspended_by'])})" if im["suspended_by"] else ""
            lines.append(f"  {im['id']}: {state}{by}")
    if d.missing_facts:
        lines += ["", "MISSING FACTS THAT CHANGE THE OUTCOME"]
        for m in d.missing_facts:
            lines.append(f"  {m.fact}: {m.question}")
            for answer in m.outcomes:
                outcome = (
                    f"{answer['category']} / {answer['rule']}"
                    if answer["category"]
                    else "still undetermined"
                )
                compliant = _value(answer["compliant"])
                lines.append(
                    f"      if {_value(answer['value'])}: {outcome}, compliant: {compliant}"
                )
    lines += _catalogue_text(d)
    lines += ["", "WHY (TRACE)"]
    for t in d.trace:
        lines.append(
            f"  {t['step']:>2}. {t['rule']}: {_value(t['outcome'])}  [{cite_text(t['source'])}]"
        )
        used = {**t["facts"], **t.get("derived", {})}
        if used:
            lines.append(
                _wrap("facts: " + "; ".join(f"{k}={_value(v)}" for k, v in used.items()), "      ")
            )
        if t.get("levers"):
            lines.append(
                _wrap(
                    "levers: " + "; ".join(f"{k}={_value(v)}" for k, v in t["levers"].items()),
                    "      ",
                )
            )
    lines += ["", "NORMATIVE LENSES"]
    for lens, note in d.lenses.items():
        lines.append(_wrap(f"{lens.capitalize()}: {note['note']}", "  "))
    lines += ["", _wrap(DISCLAIMER, "")]
    return "\n".join(lines) + "\n"


def _catalogue_text(d: Determination) -> list[str]:
    """The parts the teacher catalogue adds: terms used, lineage, conflicts, suggestions."""
    lines: list[str] = []
    terms = d.extra.get("teacher_terms")
    if terms:
        lines += ["", "TEACHER TERMS (CATALOGUE)", _wrap(terms["note"], "  ")]
        for f in terms["filled_facts"]:
            lines.append(
                f"  {f['fact']} = {_value(f['value'])}  ({f['confidence']}: {f['source']})"
            )
    lineage = d.extra.get("lineage")
    if lineage:
        lines += ["", "LINEAGE"]
        if lineage["teachers"]:
            lines.append(_wrap("learnt from: " + ", ".join(lineage["teachers"]), "  "))
        if lineage["bases"]:
            lines.append(_wrap("starts from the weights of: " + ", ".join(lineage["bases"]), "  "))
        if lineage["disclosure_must_name"]:
            names = ", ".join(lineage["disclosure_must_name"])
            lines.append(_wrap(f"the transparency disclosure must name: {names}", "  "))
        if len(lineage["links"]) > 1:
            for link in lineage["links"]:
                outcome = f"{link['category']} / {link['rule']}" if link["category"] else "open"
                lines.append(
                    f"  link {link['teacher']}: {outcome}, compliant: {_value(link['compliant'])}"
                )
            lines.append(f"  all links compliant: {_value(lineage['all_links_compliant'])}")
        for duty in lineage["inherited_obligations"]:
            path = " -> ".join(duty["path"])
            value = f" ({duty['value']})" if duty["value"] is not None else ""
            judged = f", {duty['status'].replace('_', ' ')}" if duty.get("status") else ""
            lines.append(f"  inherited [{duty['effect']}{judged}] {duty['duty']}{value} via {path}")
            lines.append(
                _wrap(f"{duty['what']} ({duty['confidence']}: {duty['source']})", "      ")
            )
        for conflict in lineage["conflicts"]:
            lines.append(_wrap(f"CONFLICT ({conflict['kind']}): {conflict['why']}", "  "))
    suggestions = d.extra.get("suggestions")
    if suggestions is not None:
        lines += ["", "NEAREST COMPLIANT VARIANTS"]
        if not suggestions:
            lines.append(
                "  none within three changes" if d.compliant is not True else "  already compliant"
            )
        for s in suggestions:
            outcome = f"{s['category']} / {s['rule']}"
            lines.append(_wrap(f"- {'; and '.join(s['what'])} -> {outcome}", "  "))
    others = d.extra.get("other_profiles")
    if others:
        lines += ["", "HOW OTHER PROFILES SEE IT (not a fix: each judges the acts done under it)"]
        for o in others:
            lines.append(
                f"  {o['profile']}: {o['category']} / {o['rule']}, compliant: "
                f"{_value(o['compliant'])}"
            )
    return lines


# How an obligation's due date reads: a duty owed before a release, or one that runs until a date.
DUE_WORDS = {
    "commercial_release_date": "required before",
    "window_end": "until",
    "personal_data.rights_requests_due": "by",
}


def letter(d: Determination, fmt: str, decision_id: str | None = None) -> str:
    """The determination letter; with `decision_id`, it names the logged decision it renders
    and where anyone can check it against the log (the service's letters)."""
    # Jinja2 is imported here, not at module load, to keep `distillgov assess` quick to start.
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("distillgov", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cite"] = cite_text
    env.filters["value"] = _value
    env.filters["plain_cite"] = plain.cite
    env.filters["obligation"] = lambda key: plain.label("obligations", key)
    env.filters["day"] = plain.day
    template = env.get_template(f"letter.{'md' if fmt == 'markdown' else 'html'}")
    return template.render(
        d=d,
        headline=headline(d),
        compliance=compliance_words(d),
        disclaimer=DISCLAIMER,
        trace=d.trace,
        decision_id=decision_id,
        plain_headline=plain.headline(d.category, d.rule, d.compliant, d.royalty),
        category_words=(
            f"{plain.label('categories', d.category)}: {plain.explain('categories', d.category)}"
            if d.category
            else ""
        ),
    )
