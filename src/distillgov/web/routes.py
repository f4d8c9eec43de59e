"""The web app's pages. They hold no rules: registry pages read the registry's queries, and the
wizard, licensing and verification talk to /api/v1 from the browser."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from distillgov.api.problems import Problem
from distillgov.registry.db import reading

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("distillgov.web", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _page(name: str, title: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(title=title, **values))


def install(app: FastAPI) -> None:
    static = str(resources.files("distillgov.web") / "static")
    app.mount("/static", StaticFiles(directory=static), name="static")
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return _page("index.html", "Home")

    @router.get("/assess", response_class=HTMLResponse)
    def assess() -> HTMLResponse:
        return _page("assess.html", "Assess a distillation")

    @router.get("/registry", response_class=HTMLResponse)
    def registry(request: Request, q: str = "") -> HTMLResponse:
        engine = request.app.state.engine
        like = f"%{q.lower()}%"
        with reading(engine) as c:
            rows = c.execute(
                text(
                    """
                    SELECT m.id, m.name, m.owner, m.licence,
                           (SELECT COUNT(*) FROM reg_edges e WHERE e.student = m.id)
                    FROM reg_models m JOIN reg_organisations o ON o.id = m.owner
                    WHERE LOWER(m.id) LIKE :q OR LOWER(m.name) LIKE :q OR LOWER(o.name) LIKE :q
                    ORDER BY m.id LIMIT 500
                    """
                ),
                {"q": like},
            ).all()
        models = [
            {"id": r[0], "name": r[1], "owner": r[2], "licence": r[3], "teachers": int(r[4])}
            for r in rows
        ]
        return _page("registry.html", "Registry", models=models, q=q)

    @router.get("/registry/models/{model:path}", response_class=HTMLResponse)
    def model_page(request: Request, model: str, direction: str = "ancestors") -> HTMLResponse:
        from distillgov.registry.graphs import svg

        if direction not in ("ancestors", "descendants"):
            raise Problem(422, "Invalid input", "direction is ancestors or descendants")
        engine, reg = request.app.state.engine, request.app.state.registry
        with reading(engine) as c:
            row = c.execute(
                text("SELECT id, name, owner, licence, entry FROM reg_models WHERE id = :m"),
                {"m": model},
            ).first()
            if row is None:
                raise Problem(404, "Not found", f"no model '{model}' in the registry")
            disclosures = c.execute(
                text(
                    "SELECT d.id, d.filed_on, d.late, EXISTS (SELECT 1 FROM reg_disclosures n "
                    "WHERE n.supersedes = d.id) FROM reg_disclosures d WHERE d.student = :m "
                    "ORDER BY d.filed_on, d.id"
                ),
                {"m": model},
            ).all()
            edges = c.execute(
                text(
                    "SELECT e.disclosure, e.teacher, e.signal, e.share FROM reg_edges e "
                    "WHERE e.student = :m ORDER BY e.teacher"
                ),
                {"m": model},
            ).all()
            statements = c.execute(
                text(
                    "SELECT s.id, s.kind, s.by_org, s.about FROM reg_statements s "
                    "WHERE s.about = :m OR s.about IN (SELECT id FROM reg_disclosures "
                    "WHERE student = :m) ORDER BY s.id"
                ),
                {"m": model},
            ).all()
        rows = reg.lineage(model, direction)
        # Each model in the drawing links to its own page.
        drawing = svg(model, rows, direction == "descendants", lambda m: f"/registry/models/{m}")
        return _page(
            "model.html",
            str(row[1]),
            model={
                "id": row[0],
                "name": row[1],
                "owner": row[2],
                "licence": row[3],
                "entry": row[4],
            },
            direction=direction,
            graph=drawing,
            disclosures=[
                {
                    "id": d[0],
                    "filed_on": str(d[1]),
                    "late": bool(d[2]),
                    "superseded": bool(d[3]),
                    "teachers": [
                        {"model": e[1], "signal": e[2], "share": e[3]}
                        for e in edges
                        if e[0] == d[0]
                    ],
                }
                for d in disclosures
            ],
            statements=[
                {"id": s[0], "kind": s[1], "by_org": s[2], "about": s[3]} for s in statements
            ],
        )

    @router.get("/jurisdictions", response_class=HTMLResponse)
    def jurisdictions(on: str | None = None) -> HTMLResponse:
        from distillgov.jurisdictions import builtin_ids, load_builtin

        day = dt.date.fromisoformat(on) if on else dt.date.today()
        profiles = []
        for pid in builtin_ids():
            p = load_builtin(pid)
            resolved = p.as_of(day)
            profiles.append(
                {
                    "name": p.name,
                    "levers": {
                        lever: {
                            "value": _show(resolved.values[lever]),
                            "cite": f"{resolved.sources[lever].cite.table}/"
                            f"{resolved.sources[lever].cite.row}",
                        }
                        for lever in resolved.values
                    },
                }
            )
        levers = list(profiles[0]["levers"]) if profiles else []
        return _page(
            "jurisdictions.html", "Jurisdictions", profiles=profiles, levers=levers, on=day
        )

    @router.get("/licensing", response_class=HTMLResponse)
    def licensing() -> HTMLResponse:
        return _page("licensing.html", "Licensing")

    @router.get("/payouts", response_class=HTMLResponse)
    def payouts() -> HTMLResponse:
        return _page("payouts.html", "Your payouts")

    @router.get("/overview", response_class=HTMLResponse)
    def overview() -> HTMLResponse:
        return _page("overview.html", "Regulator's overview")

    app.include_router(router)


def _show(value: Any) -> str:
    if isinstance(value, frozenset | set | list | tuple):
        return ", ".join(sorted(str(v) for v in value))
    return json.dumps(value) if isinstance(value, bool) else str(value)
