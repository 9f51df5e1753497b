"""The DPO's screen: access and erasure requests, the same operations as ``personae
privacy export|erase``, and the audit log.

An erasure is shown first as a dry run (what would be removed, table by table) and only
runs once the DPO types ERASE. Both operations write the warehouse, so they take the
warehouse lock and wait for a run in progress.
"""

from __future__ import annotations

import collections
from typing import Any

import orjson
from starlette.responses import Response
from starlette.routing import Route

from personae.errors import PersonaeError
from personae.privacy.access import access_export
from personae.privacy.erasure import erase
from personae.privacy.person import Selector, find_person
from personae.ui.pages.person import busy
from personae.ui.web import Viewer, page
from personae.ui.workspace import WarehouseBusy

KINDS = ("email", "phone", "user_id", "person")
AUDIT_SHOWN = 50


def selector(v: Viewer) -> Selector:
    assert v.form is not None
    kind, value = str(v.form.get("kind", "")), str(v.form.get("value", "")).strip()
    if kind not in KINDS or not value:
        raise PersonaeError(f"name the person by one of {', '.join(KINDS)} and its value")
    if kind == "person":
        if not value.lstrip("#").isdigit():
            raise PersonaeError(f"person id {value!r}: write the number, e.g. 1234")
        return Selector(person=int(value.lstrip("#")))
    if kind == "email":
        return Selector(email=value)
    if kind == "phone":
        return Selector(phone=value)
    return Selector(user_id=value)


@page("privacy")
def privacy(v: Viewer) -> Response:
    recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=AUDIT_SHOWN)
    for entry in v.workspace.audit.entries():
        recent.append(entry)
    return v.render("privacy.html", kinds=KINDS, audit=list(reversed(recent)))


@page("privacy")
def access(v: Viewer) -> Response:
    try:
        asked = selector(v)
        with v.workspace.writing() as project:
            export = access_export(project, find_person(project, asked), asked)
    except WarehouseBusy:
        return busy(v)
    except PersonaeError as exc:
        return v.render("partial_message.html", kind="error", message=str(exc))
    v.audit("access_export", persons=export.person_ids, selector=asked.describe())
    body = orjson.dumps(export.to_json(), default=str, option=orjson.OPT_INDENT_2)
    name = f"access-{'-'.join(map(str, export.person_ids))}.json"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@page("privacy")
def erasure(v: Viewer) -> Response:
    assert v.form is not None
    confirmed = str(v.form.get("confirm", "")).strip() == "ERASE"
    try:
        asked = selector(v)
        with v.workspace.writing(timeout=120) as project:
            report = erase(project, find_person(project, asked), asked, dry_run=not confirmed)
    except WarehouseBusy:
        return busy(v)
    except PersonaeError as exc:
        return v.render("partial_message.html", kind="error", message=str(exc))
    if confirmed:
        v.audit("erase", request_id=report.request_id, persons=report.person_ids)
    return v.render(
        "privacy_erasure.html",
        report=report,
        confirmed=confirmed,
        kind=v.form.get("kind"),
        value=v.form.get("value"),
    )


ROUTES = [
    Route("/privacy", privacy, methods=["GET"]),
    Route("/privacy/access", access, methods=["POST"]),
    Route("/privacy/erase", erasure, methods=["POST"]),
]
