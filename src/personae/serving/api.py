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

A ``GET`` that matches the route is answered straight from the ASGI scope
(:class:`ProfileApp`), without Starlette's router and request objects: the same
:meth:`ProfileApi.answer` builds the bytes either way; everything else (lifespan, other
methods, unknown paths) goes through the Starlette app.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

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


@functools.lru_cache(maxsize=1024)  # a client sends the same header on every call
def _basic_user(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, "invalid_key", "the Basic authorization header is malformed") from None
    return decoded.partition(":")[0] or None


def _authenticate(keys: KeyStore, authorization: str) -> None:
    key = _basic_user(authorization)
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

_NO_QUERY: Mapping[str, str] = {}


class Asked:
    """What a request asks, read from its ASGI scope: the query parameters (as
    Starlette's ``request.query_params``) and the URL the cursor names (as
    ``request.url.path`` and ``?query``)."""

    __slots__ = ("query", "url")

    def __init__(self, path: str, query_string: bytes) -> None:
        url = path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
        if query_string:
            self.query: Mapping[str, str] = dict(QueryParams(query_string))  # last wins
            self.url = f"{url}?{query_string.decode()}"
        else:
            self.query, self.url = _NO_QUERY, url


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


def _limit(query: Mapping[str, str], kind: str) -> int:
    default, top = LIMITS[kind]
    text = query.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= top:
        raise ApiError(400, "bad_limit", f"limit={text!r}: give a whole number from 1 to {top}")
    return int(text)


def _include(query: Mapping[str, str]) -> set[str] | None:
    text = query.get("include")
    if not text:
        return None
    return {part.strip() for part in text.split(",") if part.strip()}


def _page(
    items: Sequence[Any],
    position: Callable[[Any], Any],
    ask: Asked,
    kind: str,
    descending: bool = False,
) -> tuple[list[Any], dict[str, Any]]:
    """The page of ``items`` (in their served order, by ``position``) after ``?next=``."""
    limit = _limit(ask.query, kind)
    token = ask.query.get("next")
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
    cursor = {
        "url": ask.url,
        "has_more": more,
        "next": _encode(position(page[-1])) if more and page else "",
        "limit": limit,
    }
    return page, cursor


def _id_position(item: dict[str, Any]) -> list[str]:
    digest = hashlib.blake2b(str(item.get("id")).encode(), digest_size=8).hexdigest()
    return [str(item.get("type")), digest]


# --------------------------------------------------------------------------- routes


def _answer(
    store: ProfileStore, external: str, kind: str, ask: Asked
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of a 200 answer; raises :class:`ApiError` otherwise."""
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
    include = _include(ask.query)
    body: dict[str, Any]
    if kind == "traits":
        traits = store.traits(person)
        names = sorted(n for n in traits if include is None or n in include)
        page, cursor = _page(names, lambda n: n, ask, kind)
        body = {"traits": {n: traits[n] for n in page}, "cursor": cursor}
    elif kind == "events":
        events = [e for e in store.events(person) if include is None or e["e"] in include]
        page, cursor = _page(events, event_position, ask, kind, descending=True)
        body = {"data": [event(e) for e in page], "cursor": cursor}
    elif kind == "external_ids":
        ids = [
            {"collection": "users", "encoding": "none", **item}
            for item in store.external_ids(person)
            if include is None or item.get("type") in include
        ]
        ids.sort(key=_id_position)
        page, cursor = _page(ids, _id_position, ask, kind)
        body = {"data": page, "cursor": cursor}
    elif kind == "segments":
        members = [s for s in store.segments(person) if include is None or s["segment"] in include]
        page, cursor = _page(members, lambda s: s["segment"], ask, kind)
        body = {"data": page, "cursor": cursor}
    else:
        retired = store.links(person)
        page, cursor = _page(retired, lambda p: p, ask, kind)
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
    return body, headers


#: where ``personae serve`` mounts the Profile API: personae's path, and Segment's (the
#: space is ignored: a project is one space)
MOUNTS = {
    "/v1/profiles": "personae.serving.api:profile_app",
    "/v1/spaces/{space}/collections/users/profiles": "personae.serving.api:profile_app",
}


#: the route inside the mount, as Starlette compiles ``/{external_id:path}/{kind}``
ROUTE = re.compile(r"^/(?P<external_id>.*)/(?P<kind>[^/]+)$")
_JSON = (b"content-type", b"application/json")


def _raw(status: int, body: bytes, headers: dict[str, str] | None) -> list[tuple[bytes, bytes]]:
    """The response headers Starlette's ``Response(body, status, headers,
    media_type="application/json")`` sends, in its order."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    raw.append((b"content-length", str(len(body)).encode("latin-1")))
    raw.append(_JSON)
    return raw


class ProfileApi:
    """Answers one request of the Profile API, whatever parsed it."""

    def __init__(self, root: Path | str) -> None:
        project = Project.load(root)
        self.store = ProfileStore(project.state_dir, project.keys)
        self.keys = KeyStore(keys_file(project.root))

    def answer(
        self, external: str, kind: str, ask: Asked, authorization: str
    ) -> tuple[int, bytes, dict[str, str] | None]:
        """Status, JSON body and headers for ``GET …/{external}/{kind}``."""
        try:
            _authenticate(self.keys, authorization)
            self.store.refresh()
            body, headers = _answer(self.store, external, kind, ask)
            return 200, orjson.dumps(body), headers
        except ApiError as error:
            return _error(error)
        except ServingError as exc:
            return _error(ApiError(503, "not_published", str(exc)))
        except PersonaeError as exc:
            return _error(ApiError(500, "error", str(exc)))


def _error(error: ApiError) -> tuple[int, bytes, dict[str, str] | None]:
    headers = {"WWW-Authenticate": REALM} if error.status == 401 else None
    return error.status, orjson.dumps({"error": error.message, "code": error.code}), headers


def route_path(scope: Scope) -> str:
    """The path inside the mount (Starlette keeps the whole path in ``path`` and the
    mount's prefix in ``root_path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


class ProfileApp:
    """The ASGI app: a ``GET`` of a profile route answered directly; the rest (lifespan,
    other methods, paths that are no route) by :attr:`starlette`."""

    def __init__(self, api: ProfileApi, starlette: Starlette) -> None:
        self.api = api
        self.starlette = starlette

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.starlette(scope, receive, send)
            return
        found = ROUTE.match(route_path(scope))
        if found is None:
            await self.starlette(scope, receive, send)
            return
        authorization = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        ask = Asked(scope["path"], scope.get("query_string", b""))
        status, body, headers = self.api.answer(
            found.group("external_id"), found.group("kind"), ask, authorization
        )
        raw = _raw(status, body, headers)
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def profile_app(root: Path | str) -> ProfileApp:
    """The Profile API of the project at ``root``, reading its serving store."""
    api = ProfileApi(root)

    async def handle(request: Request) -> Response:
        ask = Asked(request.scope["path"], request.scope.get("query_string", b""))
        status, body, headers = api.answer(
            request.path_params["external_id"],
            request.path_params["kind"],
            ask,
            request.headers.get("authorization", ""),
        )
        return Response(body, status, headers, media_type="application/json")

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
            api.store.close()

    starlette = Starlette(
        routes=[Route("/{external_id:path}/{kind}", handle, methods=["GET"])],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    return ProfileApp(api, starlette)
