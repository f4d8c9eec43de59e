"""Lineage as graphs: Graphviz DOT and Mermaid text, from the rows `Registry.lineage` returns."""

from __future__ import annotations

import re
from typing import Any


def _edges(rows: list[dict[str, Any]], descendants: bool) -> list[tuple[str, str, str]]:
    # An edge always points from student to teacher ("learnt from").
    return [
        (r["model"], r["via"], r["signal"]) if descendants else (r["via"], r["model"], r["signal"])
        for r in rows
    ]


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(model: str, rows: list[dict[str, Any]], descendants: bool = False) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;", f"  {_quote(model)} [shape=box];"]
    lines += [
        f"  {_quote(s)} -> {_quote(t)} [label={_quote(sig)}];"
        for s, t, sig in _edges(rows, descendants)
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
    lines += [f"  {node(s)} -->|{sig}| {node(t)}" for s, t, sig in _edges(rows, descendants)]
    return "\n".join(lines) + "\n"
