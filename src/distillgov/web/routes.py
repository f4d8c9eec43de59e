"""The web app's pages. They hold no rules: registry pages read the registry's queries, and the
wizard, licensing and verification talk to /api/v1 from the browser."""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources
from typing import Any

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from distillgov.api.problems import Problem
from distillgov.framework import plain
from distillgov.framework.case import Day
from distillgov.framework.citations import ROWS, TABLES
from distillgov.jurisdictions import builtin_ids, load_builtin
from distillgov.registry.graphs import svg
from distillgov.registry.queries import model_card, search_models
from distillgov.requests.workflow import Action, RefusalReason
from distillgov.teachers.catalogue import CATALOGUE_ENV, catalogue
from distillgov.teachers.watch import Every, first_terms, watch
from distillgov.teachers.watch_chart import render

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
        models = search_models(request.app.state.engine, q)
        return _page("registry.html", "Registry", models=models, q=q)

    @router.get("/registry/models/{model:path}", response_class=HTMLResponse)
    def model_page(request: Request, model: str, direction: str = "ancestors") -> HTMLResponse:
        if direction not in ("ancestors", "descendants"):
            raise Problem(422, "Invalid input", "direction is ancestors or descendants")
        card = model_card(request.app.state.engine, model)
        rows = request.app.state.registry.lineage(model, direction, bases=True)
        # Each model in the drawing links to its own page.
        drawing = svg(model, rows, direction == "descendants", lambda m: f"/registry/models/{m}")
        title = str(card["model"]["name"])
        return _page("model.html", title, direction=direction, graph=drawing, **card)

    router.add_api_route("/jurisdictions", _jurisdictions, response_class=HTMLResponse)

    @router.get("/licensing", response_class=HTMLResponse)
    def licensing() -> HTMLResponse:
        return _page("licensing.html", "Licensing")

    @router.get("/payouts", response_class=HTMLResponse)
    def payouts() -> HTMLResponse:
        return _page("payouts.html", "Your payouts")

    router.add_api_route("/requests", _privacy_requests, response_class=HTMLResponse)
    router.add_api_route("/consent", _consent, response_class=HTMLResponse)

    @router.get("/overview", response_class=HTMLResponse)
    def overview() -> HTMLResponse:
        return _page("overview.html", "Regulator's overview")

    router.add_api_route("/watch-terms", _watch_page, response_class=HTMLResponse)
    router.add_api_route("/framework", _framework, response_class=HTMLResponse)
    router.add_api_route("/watch-terms/chart.{ext}", _watch_chart, response_class=Response)

    app.include_router(router)


def _jurisdictions(on: Day | None = None) -> HTMLResponse:
    day = on or dt.date.today()
    profiles = []
    for pid in builtin_ids():
        p = load_builtin(pid)
        resolved = p.as_of(day)
        profiles.append({"name": p.name, "levers": {
            lever: {"value": plain.value_label(lever, resolved.values[lever]),
                    "cite": _cite(resolved.sources[lever].cite)}
            for lever in resolved.values
        }})  # fmt: skip
    levers = [
        {"id": k, "label": plain.label("levers", k), "explain": plain.explain("levers", k)}
        for k in (profiles[0]["levers"] if profiles else [])
    ]
    return _page("jurisdictions.html", "Jurisdictions", profiles=profiles, levers=levers, on=day)


def _cite(cite: Any) -> dict[str, str]:
    source = {"table": cite.table, "row": cite.row, "column": cite.column}
    return {"text": plain.cite(source), "anchor": plain.anchor(source)}


def _framework() -> HTMLResponse:
    """The framework's tables and rows that citations point to, by our titles."""
    tables = [
        {"id": t, "title": plain.words()["tables"][t]["label"], "summary": TABLES[t],
         "rows": [{"id": r, "label": plain.words()["tables"][t]["rows"][r]} for r in rows]}
        for t, rows in ROWS.items()
    ]  # fmt: skip
    return _page("framework.html", "The framework", tables=tables)


def _privacy_requests() -> HTMLResponse:
    profiles = [{"id": p, "name": load_builtin(p).name} for p in builtin_ids()]
    return _page(
        "requests.html",
        "Privacy requests",
        profiles=profiles,
        reasons=[r.value for r in RefusalReason],
        actions=[a.value for a in Action if a is not Action.WITHDRAW],
    )


def _watch_report(on: dt.date | None, every: Every) -> dict[str, Any]:
    teachers = list(catalogue().values())
    return watch(
        teachers,
        [load_builtin(p) for p in builtin_ids()],
        first_terms(teachers),
        on or dt.date.today(),
        every,
        "model",
        overlay=os.environ.get(CATALOGUE_ENV) or None,
    )


def _watch_page(on: Day | None = None, every: Every = "year") -> HTMLResponse:
    report = _watch_report(on, every)
    return _page("watch.html", "Watch on restrictive terms", report=report, every=every)


def _watch_chart(ext: str, on: Day | None = None, every: Every = "year") -> Response:
    if ext not in ("png", "svg"):
        raise Problem(404, "Not found", f"no chart .{ext}: png or svg")
    media = "image/png" if ext == "png" else "image/svg+xml"
    return Response(render(_watch_report(on, every), ext), media_type=media)


def _consent() -> HTMLResponse:
    return _page("consent.html", "Creators' consent")
