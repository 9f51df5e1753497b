"""The customer 360: the golden profile and where each value comes from, identifiers,
traits, consent, segments and journeys, the timeline of every event and record, and the
merge and split history.

The page itself reads the serving store (fast at any size, and readable while a run
writes the warehouse); the parts only the warehouse holds load right after it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from personae.activate.journeys.status import journeys_of
from personae.catalog import JOURNEY_STATE, PREDICTIONS
from personae.errors import PersonaeError
from personae.profile.golden import profile_fields
from personae.profile.person import person_consent, person_values
from personae.profile.predict.explain import PredictionExplanation, explain_prediction
from personae.profile.timeline import person_timeline, timeline_facets
from personae.profile.traits import trait_columns
from personae.project import STATE_DIR
from personae.serving.profiles import PERSON_ID, ExternalId
from personae.ui.web import Viewer, page
from personae.ui.workspace import WarehouseBusy
from personae.unify.inspection.explain import person_history

TIMELINE_PAGE = 50


def person_id(v: Viewer) -> int:
    return int(v.request.path_params["person_id"])


def busy(v: Viewer) -> Response:
    return v.render(
        "partial_message.html",
        message=v._("A run is writing the warehouse; this part shows when it ends."),
    )


@page("profiles")
def person(v: Viewer) -> Response:
    asked = person_id(v)
    try:
        with v.workspace.store() as store:
            found = store.resolve(ExternalId(PERSON_ID, str(asked)))
            if found is None:
                return v.render(
                    "message.html", status=404, title=v._("Not found"), message=f"#{asked}"
                )
            if found.person_id != asked:
                return v.redirect(f"/persons/{found.person_id}")
            document = store.traits(asked)
            identifiers = store.external_ids(asked)
            segments = store.segments(asked)
            retired = store.links(asked)
    except PersonaeError as exc:
        return v.render("message.html", status=503, title=v._("Customer 360"), message=str(exc))
    config = v.workspace.config
    fields = [f for f in profile_fields(config) if f in document]
    traits = [(c, document.get(c)) for c in trait_columns(config) if c in document]
    consent = [(n, value) for n, value in document.items() if n.startswith("consent_")]
    v.audit("view_person", person_id=asked)
    return v.render(
        "person.html",
        pid=asked,
        doc=document,
        fields=fields,
        traits=traits,
        consent_flags=consent,
        identifiers=identifiers,
        segments=segments,
        retired=retired,
    )


@page("profiles")
def details(v: Viewer) -> Response:
    """Lineage and other values, consent signals, journeys, merge and split history."""
    pid = person_id(v)
    config = v.workspace.config
    try:
        with v.workspace.warehouse() as engine:
            values = person_values(engine, config, pid)
            consent = person_consent(engine, pid)
            journeys = journeys_of(engine, pid) if engine.table_exists(JOURNEY_STATE) else []
            history = person_history(engine, pid)
            predicted: PredictionExplanation | None = None
            if config.predictions is not None and engine.table_exists(PREDICTIONS):
                state = v.workspace.root / STATE_DIR
                predicted = explain_prediction(engine, config, state, pid)
    except WarehouseBusy:
        return busy(v)
    except PersonaeError as exc:
        return v.render("partial_message.html", message=str(exc))
    return v.render(
        "person_details.html",
        pid=pid,
        values=values,
        consent=consent,
        journeys=journeys,
        history=history,
        predicted=predicted if predicted is not None and predicted.customer else None,
    )


@page("profiles")
def timeline(v: Viewer) -> Response:
    pid = person_id(v)
    query = v.request.query_params
    sources = [s for s in query.getlist("source") if s]
    events = [e for e in query.getlist("event") if e]
    before = query.get("before") or None
    try:
        with v.workspace.warehouse() as engine:
            facets = timeline_facets(engine, pid) if before is None else None
            found = person_timeline(
                engine,
                pid,
                sources=sources or None,
                events=events or None,
                before=before,
                limit=TIMELINE_PAGE,
            )
    except WarehouseBusy:
        return busy(v)
    except PersonaeError as exc:
        return v.render("partial_message.html", message=str(exc))
    template = "timeline_items.html" if before else "timeline.html"
    return v.render(
        template,
        pid=pid,
        page=found,
        facets=facets,
        sources=sources,
        events=events,
        filters=_filters(sources, events),
    )


def _filters(sources: list[str], events: list[str]) -> str:
    pairs: list[tuple[str, Any]] = [("source", s) for s in sources]
    pairs += [("event", e) for e in events]
    return urlencode(pairs)


ROUTES = [
    Route("/persons/{person_id:int}", person, methods=["GET"]),
    Route("/persons/{person_id:int}/details", details, methods=["GET"]),
    Route("/persons/{person_id:int}/timeline", timeline, methods=["GET"]),
]
