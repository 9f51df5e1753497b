"""The dashboards: data quality per source and field with the quarantine browser,
pipeline runs with their stage times, identity health, collection (events per minute,
tracking-plan violations, a live debugger) and activation (syncs, failures, dead letters,
journeys). Each reads the same core function as ``personae status`` and its peers."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from personae.activate.overview import activation_overview
from personae.clean.quality import data_quality
from personae.errors import PersonaeError
from personae.ingest.collected_stats import collection_rates, plan_violations, recent_messages
from personae.ingest.quarantine_view import quarantine_reasons, quarantine_rows, source_loads
from personae.pipeline import run_history
from personae.ui.charts import bar_chart, line_chart
from personae.ui.web import Viewer, page
from personae.ui.workspace import WarehouseBusy
from personae.unify.inspection.health import identity_health

TABS = ("quality", "runs", "identity", "collection", "activation")
QUARANTINE_PAGE = 50


def _busy_page(v: Viewer, tab: str) -> Response:
    return v.render(
        "dashboard.html",
        tab=tab,
        tabs=TABS,
        busy=v._("A run is writing the warehouse; this part shows when it ends."),
    )


def _render(v: Viewer, tab: str, **context: Any) -> Response:
    charts = {k: json.dumps(c) for k, c in context.pop("charts", {}).items()}
    return v.render("dashboard.html", tab=tab, tabs=TABS, charts=charts, **context)


@page("dashboards")
def quality(v: Viewer) -> Response:
    config = v.workspace.config
    try:
        with v.workspace.warehouse() as engine:
            found = data_quality(engine)
            loads = source_loads(engine, list(config.sources))
            reasons = quarantine_reasons(engine, limit=20)
    except WarehouseBusy:
        return _busy_page(v, "quality")
    bars = [
        {"field": f"{f.source}.{f.field}", "validity": round(f.validity or 0, 4)}
        for f in found.fields
        if f.filled
    ]
    return _render(
        v,
        "quality",
        quality=found,
        loads=loads,
        reasons=reasons,
        charts={"validity": bar_chart(bars, "field", "validity", y_title=v._("Valid"))},
    )


@page("dashboards")
def quarantine(v: Viewer) -> Response:
    query = v.request.query_params
    offset = max(int(query.get("offset", "0") or 0), 0)
    try:
        with v.workspace.warehouse() as engine:
            found = quarantine_rows(
                engine,
                source=query.get("source") or None,
                reason=query.get("reason") or None,
                offset=offset,
                limit=QUARANTINE_PAGE,
            )
    except WarehouseBusy:
        return _busy_page(v, "quality")
    if v.can("pii"):
        v.audit("view_quarantine", source=query.get("source") or "", offset=offset)
    return _render(
        v,
        "quality",
        quarantine=found,
        source=query.get("source") or "",
        reason=query.get("reason") or "",
    )


@page("dashboards")
def runs(v: Viewer) -> Response:
    history = run_history(v.workspace.root, limit=50)
    bars = [
        {"run": run.started_at[:16], "stage": stage.name, "seconds": round(stage.seconds, 2)}
        for run in reversed(history)
        for stage in run.stages
    ]
    chart = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": bars},
        "width": "container",
        "height": 240,
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "run", "type": "ordinal", "title": v._("Started")},
            "y": {"field": "seconds", "type": "quantitative", "title": v._("Seconds")},
            "color": {"field": "stage", "type": "nominal", "sort": None},
        },
    }
    return _render(
        v,
        "runs",
        history=history,
        run_state=v.workspace.run_state,
        charts={"stages": chart} if bars else {},
    )


@page("dashboards")
def identity(v: Viewer) -> Response:
    try:
        with v.workspace.warehouse() as engine:
            health = identity_health(engine)
    except WarehouseBusy:
        return _busy_page(v, "identity")
    except PersonaeError as exc:
        return _render(v, "identity", error=str(exc))
    sizes = [{"records": k, "persons": n} for k, n in health.merge_sizes.items()]
    return _render(
        v,
        "identity",
        health=health,
        charts={
            "sizes": bar_chart(
                sizes,
                "records",
                "persons",
                x_title=v._("Records per person"),
                y_title=v._("Persons"),
            )
        },
    )


@page("dashboards")
def collection(v: Viewer) -> Response:
    try:
        with v.workspace.warehouse() as engine:
            rates = collection_rates(engine)
            violations = plan_violations(engine)
            recent = recent_messages(engine, limit=20)
    except WarehouseBusy:
        return _busy_page(v, "collection")
    series = [
        {"minute": m.minute, "source": m.source, "messages": m.messages} for m in rates.per_minute
    ]
    return _render(
        v,
        "collection",
        rates=rates,
        violations=violations,
        recent=recent,
        charts={
            "rates": line_chart(
                series,
                "minute",
                "messages",
                colour="source",
                y_title=v._("Events per minute"),
            )
        }
        if series
        else {},
    )


@page("dashboards")
def live(v: Viewer) -> Response:
    """The live debugger: messages as the collectors write them (polled every 2 s)."""
    after = int(v.request.query_params.get("after", "0") or 0)
    try:
        messages = v.workspace.live_messages(after)
    except PersonaeError as exc:
        return v.render("partial_message.html", kind="error", message=str(exc))
    newest = max([int(m.get("received_at") or 0) for m in messages] + [after])
    return v.render("live_messages.html", messages=list(reversed(messages)), after=newest)


@page("journeys")
def activation(v: Viewer) -> Response:
    try:
        with v.workspace.warehouse() as engine:
            overview = activation_overview(engine, v.workspace.config)
    except WarehouseBusy:
        return _busy_page(v, "activation")
    return _render(v, "activation", overview=overview)


ROUTES = [
    Route("/dashboards/quality", quality, methods=["GET"]),
    Route("/dashboards/quarantine", quarantine, methods=["GET"]),
    Route("/dashboards/runs", runs, methods=["GET"]),
    Route("/dashboards/identity", identity, methods=["GET"]),
    Route("/dashboards/collection", collection, methods=["GET"]),
    Route("/dashboards/live", live, methods=["GET"]),
    Route("/dashboards/activation", activation, methods=["GET"]),
]
