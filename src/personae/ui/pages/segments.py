"""Segments: the declared ones with their size and size over time, and the builder, whose
live preview counts members as the conditions change and whose Save writes the definition
into ``personae.yml`` (shown as YAML), so code and UI never diverge."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from personae.config.editing import save_segment, segment_yaml
from personae.errors import PersonaeError
from personae.pipeline import validate
from personae.segment.preview import (
    condition_columns,
    event_names,
    preview_segment,
    size_history,
)
from personae.segment.sizes import segment_sizes
from personae.ui.charts import line_chart
from personae.ui.pages.person import busy
from personae.ui.segment_form import AGGREGATES, OPERATORS, definition
from personae.ui.web import Viewer, page
from personae.ui.workspace import WarehouseBusy


@page("segments")
def segments(v: Viewer) -> Response:
    config = v.workspace.config
    try:
        with v.workspace.warehouse() as engine:
            sizes = segment_sizes(engine)
    except WarehouseBusy:
        sizes = {}
    listed = [
        (name, segment.description or "", sizes.get(name))
        for name, segment in config.segments.items()
    ]
    return v.render("segments.html", segments=listed)


@page("segments")
def segment(v: Viewer) -> Response:
    name = v.request.path_params["name"]
    config = v.workspace.config
    if name not in config.segments:
        return v.render("message.html", status=404, title=v._("Not found"), message=name)
    declared = config.segments[name].model_dump(exclude_none=True, by_alias=True)
    try:
        with v.workspace.warehouse() as engine:
            history = size_history(engine, name)
            size = segment_sizes(engine).get(name)
    except WarehouseBusy:
        history, size = [], None
    chart = line_chart(
        [{"day": day.isoformat(), "members": n} for day, n in history],
        "day",
        "members",
        x_title=v._("When"),
        y_title=v._("Members"),
    )
    return v.render(
        "segment.html",
        name=name,
        size=size,
        yaml=segment_yaml({name: declared}),
        chart=json.dumps(chart),
        has_history=bool(history),
    )


def _builder_options(v: Viewer, *, events: bool = True) -> dict[str, Any]:
    """What the conditions offer; the event names (a scan of ``events``) only when asked."""
    config = v.workspace.config
    names: list[tuple[str, int]] = []
    if events:
        try:
            with v.workspace.warehouse() as engine:
                names = event_names(engine)
        except WarehouseBusy:
            names = []
    return {
        "columns": condition_columns(config),
        "events": names,
        "segment_names": list(config.segments),
        "operators": OPERATORS,
        "aggregates": AGGREGATES,
    }


@page("segments")
def builder(v: Viewer) -> Response:
    return v.render("segment_builder.html", **_builder_options(v))


@page("segments")
def condition_row(v: Viewer) -> Response:
    kind = v.request.query_params.get("type", "trait")
    index = int(v.request.query_params.get("i", "0"))
    options = _builder_options(v, events=kind == "event")
    return v.render("segment_condition.html", kind=kind, i=index, **options)


@page("segments")
def preview(v: Viewer) -> Response:
    assert v.form is not None
    try:
        name, found = definition(v.form)
        with v.workspace.warehouse() as engine:
            result = preview_segment(engine, v.workspace.config, name, found)
    except WarehouseBusy:
        return busy(v)
    except PersonaeError as exc:
        return v.render("partial_message.html", kind="error", message=str(exc))
    sample = []
    try:
        with v.workspace.store() as store:
            sample = [(pid, store.traits(pid)) for pid in result.sample]
    except PersonaeError:
        sample = [(pid, {}) for pid in result.sample]
    return v.render(
        "segment_preview.html", result=result, sample=sample, yaml=segment_yaml({name: found})
    )


@page("segments")
def save(v: Viewer) -> Response:
    assert v.form is not None
    try:
        name, found = definition(v.form)
        replace = v.form.get("replace") == "1"
        root = v.workspace.root
        written = save_segment(
            root, name, found, replace=replace, check=lambda config: validate(config, root)
        )
    except PersonaeError as exc:
        return v.render("partial_message.html", kind="error", message=str(exc))
    v.audit("save_segment", segment=name)
    return v.render("segment_saved.html", name=name, yaml=written)


ROUTES = [
    Route("/segments", segments, methods=["GET"]),
    Route("/segments/new", builder, methods=["GET"]),
    Route("/segments/condition", condition_row, methods=["GET"]),
    Route("/segments/preview", preview, methods=["POST"]),
    Route("/segments/save", save, methods=["POST"]),
    Route("/segments/{name}", segment, methods=["GET"]),
]
