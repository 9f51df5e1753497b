"""The review queue: borderline matches (just under or over the threshold, or rejected for
conflicting evidence), the most consequential first, each confirmed or rejected in one
click. A decision is an override (``must_link`` or ``cannot_link``) that every later run
keeps."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from personae.errors import PersonaeError
from personae.ui.pages.person import busy
from personae.ui.web import Viewer, page
from personae.ui.workspace import WarehouseBusy
from personae.unify.inspection.review import decide, review_kind, review_queue

PAGE = 25
KINDS = ("under", "over", "rejected")


@page("identity")
def queue(v: Viewer) -> Response:
    asked = v.request.query_params.get("kind") or ""
    kind = review_kind(asked) if asked in KINDS else None
    offset = max(int(v.request.query_params.get("offset", "0") or 0), 0)
    try:
        with v.workspace.warehouse() as engine:
            items = review_queue(
                engine,
                v.workspace.config,
                limit=PAGE,
                offset=offset,
                kind=kind,
            )
    except WarehouseBusy:
        return busy(v)
    except PersonaeError as exc:
        return v.render("message.html", title=v._("Review queue"), message=str(exc))
    return v.render("review.html", items=items, kind=kind, offset=offset, page=PAGE, kinds=KINDS)


@page("identity")
def decision(v: Viewer) -> Response:
    assert v.form is not None
    a, b = str(v.form.get("a", "")), str(v.form.get("b", ""))
    same = v.form.get("same") == "1"
    try:
        written = decide(v.workspace.root, a, b, same, actor=v.actor)
    except PersonaeError as exc:
        return v.render("partial_message.html", kind="error", message=str(exc))
    return v.render("review_decided.html", written=written, same=same)


ROUTES = [
    Route("/review", queue, methods=["GET"]),
    Route("/review/decide", decision, methods=["POST"]),
]
