"""The home page: search for a person (live results as you type)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from personae.errors import PersonaeError
from personae.ui.web import Viewer, page

LIMIT = 20


def _search(v: Viewer, query: str) -> tuple[list[dict[str, object]], str | None]:
    try:
        hits = v.workspace.search(query, limit=LIMIT)
    except PersonaeError as exc:
        return [], str(exc)
    return [
        {
            "person_id": hit.person_id,
            "matched_on": hit.matched_on,
            "matched_value": hit.matched_value,
            "profile": hit.profile,
        }
        for hit in hits
    ], None


@page("profiles")
def home(v: Viewer) -> Response:
    query = v.request.query_params.get("q", "").strip()
    hits, error = _search(v, query) if query else ([], None)
    if query:
        v.audit("search", hits=len(hits))
    template = "search_results.html" if v.request.headers.get("HX-Request") else "home.html"
    return v.render(template, query=query, hits=hits, error=error)


ROUTES = [Route("/", home, methods=["GET"])]
