"""The Profile API (the shape of Segment's): a Starlette app over the serving store.

``personae serve`` mounts :func:`profile_app` at ``/v1/profiles`` (and Segment's
``/v1/spaces/{space}/collections/users/profiles``); inside, the routes are
``/{external_id}/traits``, ``/events``, ``/segments``, ``/external_ids`` and ``/links``.

* Auth: HTTP Basic with a **read** key as the username (``personae keys create --scope
  read``); a missing, unknown or other-scope key answers 401.
* Lists answer ``{"data": [...], "cursor": {...}}``, traits ``{"traits": {...},
  "cursor": {...}}``; ``cursor`` is ``{"url", "has_more", "next", "limit"}``: pass
  ``next`` back as ``?next=`` for the following page. ``?limit=`` sets the page size,
  ``?include=a,b`` keeps only those traits, id types, event names or segments.
* Errors answer ``{"error": message, "code": code}``: 400 (bad parameter), 401 (key),
  404 (unknown person or route), 503 (no store published).
* The answer names the person it is about in ``X-Personae-Person-Id``; a retired person
  id answers for the person it was merged into (``X-Personae-Merged-From`` names it).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from personae.errors import PersonaeError
from personae.project import Project
from personae.protect.keys import KeyRefused, KeyStore, keys_file
from personae.serving.profiles import (
    BadExternalId,
    ProfileStore,
    event,
    event_position,
    parse_external_id,
)
from personae.serving.store import ServingError

#: each kind of route -> (default page size, largest page size), as Segment's
LIMITS = {
    "traits": (10, 200),
    "events": (10, 100),
    "external_ids": (25, 100),
    "segments": (25, 100),
    "links": (25, 100),
}
KINDS = tuple(LIMITS)
REALM = 'Basic realm="personae profile API"'


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def error_response(error: ApiError) -> Response:
    headers = {"WWW-Authenticate": REALM} if error.status == 401 else None
    return json_response({"error": error.message, "code": error.code}, error.status, headers)


def _basic_user(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, "invalid_key", "the Basic authorization header is malformed") from None
    return decoded.partition(":")[0] or None


def _authenticate(keys: KeyStore, request: Request) -> None:
    key = _basic_user(request)
    if key is None:
        raise ApiError(
            401,
            "missing_key",
            "send a read key as the Basic-auth username (curl -u KEY: ...); create one "
            "with: personae keys create --scope read",
        )
    try:
        keys.authenticate(key, "read")
    except KeyRefused as exc:
        raise ApiError(401, exc.code, exc.message) from None


# --------------------------------------------------------------------------- paging


def _encode(position: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode("ascii").rstrip("=")


def _decode(token: str) -> Any:
    try:
        return orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise ApiError(
            400,
            "bad_cursor",
            f"next={token!r} is not a cursor this API gave; start again without next",
        ) from None


def _limit(request: Request, kind: str) -> int:
    default, top = LIMITS[kind]
    text = request.query_params.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= top:
        raise ApiError(400, "bad_limit", f"limit={text!r}: give a whole number from 1 to {top}")
    return int(text)


def _include(request: Request) -> set[str] | None:
    text = request.query_params.get("include")
    if not text:
        return None
    return {part.strip() for part in text.split(",") if part.strip()}


def _page(
    items: Sequence[Any],
    position: Callable[[Any], Any],
    request: Request,
    kind: str,
    descending: bool = False,
) -> tuple[list[Any], dict[str, Any]]:
    """The page of ``items`` (in their served order, by ``position``) after ``?next=``."""
    limit = _limit(request, kind)
    token = request.query_params.get("next")
    start = 0
    if token:
        after = _decode(token)
        try:
            if descending:
                start = next((i for i, x in enumerate(items) if position(x) < after), len(items))
            else:
                start = next((i for i, x in enumerate(items) if position(x) > after), len(items))
        except TypeError:
            raise ApiError(400, "bad_cursor", f"next={token!r} is not a cursor of {kind}") from None
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    cursor = {
        "url": url,
        "has_more": more,
        "next": _encode(position(page[-1])) if more and page else "",
        "limit": limit,
    }
    return page, cursor


def _id_position(item: dict[str, Any]) -> list[str]:
    digest = hashlib.blake2b(str(item.get("id")).encode(), digest_size=8).hexdigest()
    return [str(item.get("type")), digest]


# --------------------------------------------------------------------------- routes


def _answer(store: ProfileStore, request: Request) -> Response:
    kind = request.path_params["kind"]
    external = request.path_params["external_id"]
    if kind not in KINDS:
        raise ApiError(
            404, "no_route", f"no route {kind!r} for a profile; use one of {', '.join(KINDS)}"
        )
    try:
        parsed = parse_external_id(external, store.id_types)
    except BadExternalId as exc:
        raise ApiError(400, "bad_external_id", str(exc)) from None
    found = store.resolve(parsed)
    if found is None:
        raise ApiError(404, "profile_not_found", f"no profile has the external id {external!r}")
    person = found.person_id
    include = _include(request)
    body: dict[str, Any]
    if kind == "traits":
        traits = store.traits(person)
        names = sorted(n for n in traits if include is None or n in include)
        page, cursor = _page(names, lambda n: n, request, kind)
        body = {"traits": {n: traits[n] for n in page}, "cursor": cursor}
    elif kind == "events":
        events = [e for e in store.events(person) if include is None or e["e"] in include]
        page, cursor = _page(events, event_position, request, kind, descending=True)
        body = {"data": [event(e) for e in page], "cursor": cursor}
    elif kind == "external_ids":
        ids = [
            {"collection": "users", "encoding": "none", **item}
            for item in store.external_ids(person)
            if include is None or item.get("type") in include
        ]
        ids.sort(key=_id_position)
        page, cursor = _page(ids, _id_position, request, kind)
        body = {"data": page, "cursor": cursor}
    elif kind == "segments":
        members = [s for s in store.segments(person) if include is None or s["segment"] in include]
        page, cursor = _page(members, lambda s: s["segment"], request, kind)
        body = {"data": page, "cursor": cursor}
    else:
        retired = store.links(person)
        page, cursor = _page(retired, lambda p: p, request, kind)
        data = [
            {
                "to_collection": "users",
                "relation": "merged_into",
                "external_ids": [{"type": "person_id", "id": str(p)}],
            }
            for p in page
        ]
        body = {"data": data, "cursor": cursor}
    headers = {"X-Personae-Person-Id": str(person)}
    if found.asked is not None:
        headers["X-Personae-Merged-From"] = str(found.asked)
    return json_response(body, headers=headers)


#: where ``personae serve`` mounts the Profile API: personae's path, and Segment's (the
#: space is ignored: a project is one space)
MOUNTS = {
    "/v1/profiles": "personae.serving.api:profile_app",
    "/v1/spaces/{space}/collections/users/profiles": "personae.serving.api:profile_app",
}


def profile_app(root: Path | str) -> Starlette:
    """The Profile API of the project at ``root``, reading its serving store."""
    project = Project.load(root)
    store = ProfileStore(project.state_dir, project.keys)
    keys = KeyStore(keys_file(project.root))

    async def handle(request: Request) -> Response:
        try:
            _authenticate(keys, request)
            store.refresh()
            return _answer(store, request)
        except ApiError as error:
            return error_response(error)
        except ServingError as exc:
            return error_response(ApiError(503, "not_published", str(exc)))
        except PersonaeError as exc:
            return error_response(ApiError(500, "error", str(exc)))

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(
            ApiError(
                404,
                "no_route",
                f"no route {request.url.path!r}: use /{{external_id}}/"
                f"{{{'|'.join(KINDS)}}}, e.g. /user_id:u-12/traits",
            )
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            store.close()

    return Starlette(
        routes=[Route("/{external_id:path}/{kind}", handle, methods=["GET"])],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
