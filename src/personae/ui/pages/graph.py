"""The identity graph of a person: records as nodes; shared identifiers and probabilistic
matches as edges (their weight shown); rejected matches and values kept apart dashed,
with the reason. Clicking a node or an edge opens a panel: a pair's match-weight
waterfall, and the overrides a user may write from here (split a record off, not the
same person, same person, merge two persons)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from personae.errors import PersonaeError
from personae.ui.charts import waterfall_chart
from personae.ui.pages.person import busy, person_id
from personae.ui.web import Viewer, page
from personae.ui.workspace import WarehouseBusy
from personae.unify.inspection.explain import explain_person, explain_records
from personae.unify.inspection.explanations import PersonExplanation
from personae.unify.matching.model import model_path

#: colours of sources, assigned in order (each 3:1 against white, told apart in grey too)
PALETTE = ["#0b5cad", "#b35900", "#1a7f37", "#8250df", "#a40e26", "#006d75", "#6e7781", "#9a6700"]
SOLID, REJECTED, FAINT = "#4a5560", "#a40e26", "#8c959f"


def graph_elements(v: Viewer, found: PersonExplanation) -> list[dict[str, Any]]:
    """Cytoscape's elements for an explanation."""
    pid = found.person_id
    sources = sorted({r.source for r in found.records})
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sources)}
    elements: list[dict[str, Any]] = []
    names = set()
    for record in found.records:
        names.add(record.name)
        elements.append(
            {
                "data": {
                    "id": record.name,
                    "label": f"{record.source}\n{v.show(record.record_id, 'customer_id')}",
                    "colour": colour[record.source],
                    "panel": f"{v.base}/persons/{pid}/graph/record?name={quote(record.name)}",
                }
            }
        )
    for i, link in enumerate(found.links):
        hub, *others = link.records
        for other in others:
            elements.append(
                {
                    "data": {
                        "id": f"link{i}-{other}",
                        "source": hub,
                        "target": other,
                        "label": link.id_type,
                        "colour": SOLID,
                        "width": 2,
                        "panel": _pair_url(v, pid, hub, other),
                    }
                }
            )
    for j, match in enumerate(found.matches):
        for end in (match.a, match.b):
            if end not in names:
                names.add(end)
                elements.append(
                    {
                        "data": {
                            "id": end,
                            "label": end.split(":", 1)[0] + "\n(other person)",
                            "colour": "#ffffff",
                            "outside": True,
                            "panel": _pair_url(v, pid, match.a, match.b),
                        }
                    }
                )
        rejected = match.status == "rejected"
        data: dict[str, Any] = {
            "id": f"match{j}",
            "source": match.a,
            "target": match.b,
            "label": f"w {match.match_weight:+.1f}" + (f" ✘ {match.reason}" if rejected else ""),
            "colour": REJECTED if rejected else "#0b5cad",
            "width": 1 + min(max(match.match_weight, 0.0), 30.0) / 6,
            "panel": _pair_url(v, pid, match.a, match.b),
        }
        if rejected:
            data["dashed"] = True
        elements.append({"data": data})
    return elements


def _pair_url(v: Viewer, pid: int, a: str, b: str) -> str:
    return f"{v.base}/persons/{pid}/graph/pair?a={quote(a)}&b={quote(b)}"


@page("profiles")
def graph(v: Viewer) -> Response:
    pid = person_id(v)
    config = v.workspace.config
    try:
        with v.workspace.warehouse() as engine:
            found = explain_person(engine, pid, config)
    except WarehouseBusy:
        return v.render(
            "message.html",
            status=503,
            title=v._("Identity graph"),
            message=v._("A run is writing the warehouse; this part shows when it ends."),
        )
    except PersonaeError as exc:
        return v.render("message.html", status=404, title=v._("Identity graph"), message=str(exc))
    if found.person_id != pid:
        return v.redirect(f"/persons/{found.person_id}/graph")
    v.audit("view_identity_graph", person_id=pid)
    elements = graph_elements(v, found)
    guards = [h for h in found.history if h.action in ("drop_link", "blocked", "generic")]
    return v.render(
        "graph.html",
        pid=pid,
        found=found,
        guards=guards,
        graph_json=json.dumps({"elements": elements}),
    )


@page("profiles")
def record_panel(v: Viewer) -> Response:
    pid = person_id(v)
    name = v.request.query_params.get("name", "")
    config = v.workspace.config
    try:
        with v.workspace.warehouse() as engine:
            found = explain_person(engine, pid, config)
    except WarehouseBusy:
        return busy(v)
    record = next((r for r in found.records if r.name == name), None)
    if record is None:
        return v.render("partial_message.html", message=f"{name}: {v._('Not found')}")
    attachments = [a for a in found.attachments if a.record == name]
    return v.render(
        "graph_record.html",
        pid=pid,
        record=record,
        attachments=attachments,
        overrides=[o for o in found.overrides if name in o],
    )


@page("profiles")
def pair_panel(v: Viewer) -> Response:
    pid = person_id(v)
    a, b = v.request.query_params.get("a", ""), v.request.query_params.get("b", "")
    config = v.workspace.config
    try:
        with v.workspace.warehouse() as engine:
            found = explain_records(engine, config, a, b, model_path(v.workspace.root))
    except WarehouseBusy:
        return busy(v)
    except PersonaeError as exc:
        return v.render("partial_message.html", message=str(exc))
    chart = waterfall_chart(found.waterfall, v._) if found.waterfall is not None else None
    return v.render(
        "graph_pair.html", pid=pid, found=found, chart=json.dumps(chart) if chart else None
    )


ROUTES = [
    Route("/persons/{person_id:int}/graph", graph, methods=["GET"]),
    Route("/persons/{person_id:int}/graph/record", record_panel, methods=["GET"]),
    Route("/persons/{person_id:int}/graph/pair", pair_panel, methods=["GET"]),
]
