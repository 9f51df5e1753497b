"""Identity corrections written from the graph and the review queue, and running the
pipeline so they take effect.

Each action writes an override to the project's ``overrides.yml`` (the same overrides as
``identity.overrides`` of ``personae.yml``; ``personae overrides export`` moves them
there), which every later run applies, and goes to the audit log.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from personae.errors import PersonaeError
from personae.ui.web import Viewer, page
from personae.unify import override_actions


def _value(kind: str, form: Any) -> Any:
    if kind in ("must_link", "cannot_link"):
        return [str(form.get("a", "")), str(form.get("b", ""))]
    if kind == "merge_persons":
        return [int(form.get("person", "")), int(form.get("other", ""))]
    if kind == "split_persons":
        return {"person": int(form.get("person", "")), "records": [str(form.get("record", ""))]}
    raise PersonaeError(
        f"unknown override {kind!r}: use must_link, cannot_link, merge_persons or split_persons"
    )


@page("identity")
def write_override(v: Viewer) -> Response:
    form = v.form
    kind = str(form.get("kind", "")) if form else ""
    try:
        value = _value(kind, form)
        written = override_actions.add(v.workspace.root, kind, value, actor=v.actor)
    except (PersonaeError, ValueError) as exc:
        return v.render("partial_message.html", kind="error", message=str(exc))
    return v.render("override_saved.html", written=written, state=v.workspace.run_state)


@page("identity")
def run_now(v: Viewer) -> Response:
    started = v.workspace.start_run(v.user.name)
    if started:
        v.audit("run")
    return v.render("run_state.html", state=v.workspace.run_state)


@page("profiles")
def run_state(v: Viewer) -> Response:
    return v.render("run_state.html", state=v.workspace.run_state)


ROUTES = [
    Route("/overrides", write_override, methods=["POST"]),
    Route("/runs", run_now, methods=["POST"]),
    Route("/runs/state", run_state, methods=["GET"]),
]
