"""Lineage as graphs: Graphviz DOT, Mermaid and SVG, from the rows `Registry.lineage` returns."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape


def _edges(rows: list[dict[str, Any]], descendants: bool) -> list[tuple[str, str, str, bool]]:
    # An edge always points from student (or derivative) to teacher (or base): "learnt from",
    # or "derives from" for a base link, which is drawn dashed.
    return [
        (
            *((r["model"], r["via"]) if descendants else (r["via"], r["model"])),
            r["signal"],
            r.get("link") == "base",
        )
        for r in rows
    ]


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(model: str, rows: list[dict[str, Any]], descendants: bool = False) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;", f"  {_quote(model)} [shape=box];"]
    lines += [
        f"  {_quote(s)} -> {_quote(t)} [label={_quote(sig)}{', style=dashed' if base else ''}];"
        for s, t, sig, base in _edges(rows, descendants)
    ]
    return "\n".join([*lines, "}"]) + "\n"


_UNSAFE = re.compile(r'["\\]')


def mermaid(model: str, rows: list[dict[str, Any]], descendants: bool = False) -> str:
    ids: dict[str, str] = {}

    def node(name: str) -> str:
        if name not in ids:
            ids[name] = f"n{len(ids)}"
        label = _UNSAFE.sub("", name)  # Mermaid labels cannot hold quotes or backslashes
        return f'{ids[name]}["{label}"]'

    lines = ["graph LR", f"  {node(model)}"]
    lines += [
        f"  {node(s)} {'-.->' if base else '-->'}|{sig}| {node(t)}"
        for s, t, sig, base in _edges(rows, descendants)
    ]
    return "\n".join(lines) + "\n"


_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _PAD = 190, 34, 90, 22, 20


def svg(
    model: str,
    rows: list[dict[str, Any]],
    descendants: bool = False,
    link: Callable[[str], str] | None = None,
) -> str:
    """A standalone SVG drawing (no Graphviz needed): one column per lineage depth, the model
    itself on the left, arrows pointing from student to teacher and labelled with the signal
    (dashed, and labelled with the relation, from a derivative to its base model).
    With `link`, each model's box is a link to the address it gives for the model."""
    depth = {model: 0}
    for r in rows:  # rows come shortest depth first
        depth.setdefault(r["model"], int(r["depth"]))
    columns: dict[int, list[str]] = {}
    for name, d in sorted(depth.items(), key=lambda kv: (kv[1], kv[0])):
        columns.setdefault(d, []).append(name)
    tallest = max(len(c) for c in columns.values())
    width = _PAD * 2 + len(columns) * _BOX_W + (len(columns) - 1) * _GAP_X
    height = _PAD * 2 + tallest * _BOX_H + (tallest - 1) * _GAP_Y
    at: dict[str, tuple[int, int]] = {}
    for d, names in columns.items():
        top = _PAD + (tallest - len(names)) * (_BOX_H + _GAP_Y) // 2
        for i, name in enumerate(names):
            at[name] = (_PAD + d * (_BOX_W + _GAP_X), top + i * (_BOX_H + _GAP_Y))
    title = f"{'Descendants' if descendants else 'Ancestors'} of {model}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" '
        # A drawing with links in it is a group of links, not one image (an image has no parts
        # a keyboard can reach).
        + ('role="img">' if link is None else f'role="group" aria-label="{escape(title)}">'),
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#444"/>'
        "</marker></defs>",
    ]
    for student, teacher, signal, base in _edges(rows, descendants):
        (sx, sy), (tx, ty) = at[student], at[teacher]
        # Arrows leave the student's side that faces the teacher.
        x1, x2 = (sx + _BOX_W, tx) if sx < tx else (sx, tx + _BOX_W)
        y1, y2 = sy + _BOX_H // 2, ty + _BOX_H // 2
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#444" '
            + ('stroke-dasharray="6 4" ' if base else "")
            + 'marker-end="url(#arrow)"/>'
            f'<text x="{(x1 + x2) // 2}" y="{(y1 + y2) // 2 - 4}" text-anchor="middle" '
            f'fill="#555">{escape(signal)}</text>'
        )
    for name, (x, y) in at.items():
        fill = "#dbe8ff" if name == model else "#f4f4f4"
        box = (
            f'<g><rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="5" fill="{fill}" '
            f'stroke="#333"/><text x="{x + _BOX_W // 2}" y="{y + _BOX_H // 2 + 4}" '
            f'text-anchor="middle">{escape(name)}</text></g>'
        )
        out.append(box if link is None else f'<a href="{escape(link(name))}">{box}</a>')
    return "\n".join([*out, "</svg>"]) + "\n"
