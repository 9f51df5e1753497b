"""The Starlette application: Segment's HTTP Tracking API and friends over a Collector.

Responses: 200 ``{"success": true}``; every error ``{"code", "message"}``. A batch in
which only some messages are bad stores the good ones and still answers 200 (SDKs retry
anything else, which would duplicate the good ones), listing the bad ones under
``rejected`` (at most the first :data:`MAX_REJECTED`, with ``rejected_count``). A batch
with no good message answers 400.

The write key is checked before the body is read when it comes in the Basic-auth header
or the query string; a key sent only in the body (analytics.js) is found in the raw
bytes and checked before the body is parsed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import importlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from personae.collect import responses, signing, unsubscribe, webhooks
from personae.collect.bodies import is_gzip, parse_json, read_body, read_chunks
from personae.collect.collector import Collector
from personae.collect.errors import ApiError, CollectError
from personae.collect.fastlane import batch_columns
from personae.collect.keys import KeyRefused, WriteKey
from personae.collect.messages import SHORT_TYPES, TYPES, now_us, to_row

log = logging.getLogger(__name__)

BATCH_PATHS = ("batch", "import", "b")
#: a batch's refusals listed in a response; the rest are only counted
MAX_REJECTED = 100
_BODY_KEY = re.compile(rb'"writeKey"\s*:\s*"([^"\\]{1,256})"')
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _basic_user(request: Request) -> str | None:
    return _basic_user_of(request.headers.get("authorization", ""))


@functools.lru_cache(maxsize=1024)  # an SDK sends the same header on every call
def _basic_user_of(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(
            401, "invalid_write_key", "the Basic authorization header is malformed"
        ) from None
    return decoded.partition(":")[0] or None


_CODES = {"missing_key": "missing_write_key", "invalid_key": "invalid_write_key"}


def _verify(collector: Collector, key: str) -> WriteKey:
    """The write key ``key``; a read or admin key gets 403 ``wrong_scope``."""
    try:
        return collector.keys.authenticate(key, "write")
    except KeyRefused as exc:
        raise ApiError(exc.status, _CODES.get(exc.code, exc.code), exc.message) from None


def _outer_key(request: Request) -> str | None:
    """The key of the Basic-auth header or the ``writeKey`` query parameter."""
    return _basic_user(request) or request.query_params.get("writeKey") or None


_MISSING = ApiError(
    401,
    "missing_write_key",
    "send the write key as the Basic-auth username or as 'writeKey' in the body",
)


def authenticate(collector: Collector, request: Request, body_key: Any = None) -> WriteKey:
    key = _outer_key(request)
    if key is None:
        key = body_key if isinstance(body_key, str) else None
    if not key:
        raise _MISSING
    return _verify(collector, key)


def _prescan(collector: Collector, raw: bytes) -> None:
    """Refuse a body holding no valid ``writeKey`` before parsing it."""
    found = _BODY_KEY.search(raw)
    if found is None:
        raise _MISSING
    _verify(collector, found.group(1).decode("utf-8", "replace"))


async def _accept(
    collector: Collector,
    messages: list[Any],
    type_: str | None,
    batch: dict[str, Any] | None,
    key: WriteKey,
    single: bool,
) -> Response:
    received = now_us()
    collector.rate_check(key.key_id, len(messages))
    if batch is not None and type_ is None and not collector.plans:
        columns = batch_columns(
            messages,
            batch,
            received,
            key.key_id,
            key.source,
            collector.collector_id,
            collector.limits,
        )
        if columns is not None:  # every message well formed: stored without a dict each
            await collector.store_columns(columns)
            return responses.success()
    rows: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    count = 0
    for index, message in enumerate(messages):
        try:
            rows.append(
                to_row(
                    message,
                    type_,
                    batch,
                    key,
                    received,
                    collector.collector_id,
                    collector.limits,
                    collector.plans,
                )
            )
        except ApiError as exc:
            if single:
                raise
            count += 1
            if len(rejected) < MAX_REJECTED:
                rejected.append({"index": index, "code": exc.code, "message": exc.message})
    if rejected and not rows:
        first = rejected[0]
        raise ApiError(
            400,
            "invalid_batch",
            f"all {count} messages were rejected; message {first['index']}: {first['message']}",
            headers={},
        ).with_rejected(rejected, count)
    await collector.store(rows)
    if not rejected:
        return responses.success()
    return responses.success({"rejected": rejected, "rejected_count": count})


class _Api:
    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        config = collector.config
        self.timeout = config.body_timeout_seconds
        self.message_limit = config.max_message_bytes
        self.batch_limit = config.max_batch_bytes
        self.replays = webhooks.ReplayGuard()

    async def tracking(self, request: Request) -> Response:
        return await self.track(
            request.path_params["kind"],
            request.headers.get("authorization", ""),
            request.query_params.get("writeKey") or None,
            request.headers.get("content-encoding", ""),
            request.headers.get("content-length"),
            request.stream(),
        )

    async def track(
        self,
        kind: str,
        authorization: str,
        query_key: str | None,
        encoding: str,
        declared: str | None,
        chunks: AsyncIterator[bytes],
    ) -> Response:
        """``POST /v1/<kind>``, given its headers and body (see :class:`FastTrack`)."""
        is_batch = kind in BATCH_PATHS
        type_ = None if is_batch else SHORT_TYPES.get(kind, kind)
        if not is_batch and type_ not in TYPES:
            raise ApiError(404, "not_found", f"no endpoint /v1/{kind}")
        limit = self.batch_limit if is_batch else self.message_limit
        gzip = is_gzip(encoding)
        outer = _basic_user_of(authorization) or query_key
        key = None
        if outer is not None:
            key = _verify(self.collector, outer)  # before reading a byte of the body
        elif gzip:
            raise ApiError(
                401,
                "missing_write_key",
                "a gzipped body needs the write key as the Basic-auth username",
            )
        raw = await read_chunks(chunks, declared, gzip, limit, self.timeout)
        if key is None:
            _prescan(self.collector, raw)
        data = parse_json(raw)
        if key is None:
            body_key = data.get("writeKey")
            if not isinstance(body_key, str) or not body_key:
                raise _MISSING
            key = _verify(self.collector, body_key)
        if is_batch:
            messages = data.get("batch")
            if not isinstance(messages, list):
                raise ApiError(400, "invalid_batch", "'batch' must be a list of messages")
            return await _accept(self.collector, messages, None, data, key, single=False)
        return await _accept(self.collector, [data], type_, None, key, single=True)

    async def settings(self, request: Request) -> Response:
        _verify(self.collector, request.path_params["write_key"])
        public = self.collector.config.public_url
        if public:
            where = urlsplit(public)
            host, scheme = where.netloc + where.path.rstrip("/"), where.scheme
        else:  # the Host header: set collect.public_url in production
            host, scheme = request.url.netloc, request.url.scheme
        return responses.json(
            {
                "integrations": {
                    "Segment.io": {
                        "apiKey": request.path_params["write_key"],
                        "apiHost": f"{host}/v1",
                        "protocol": scheme,
                        "unbundledIntegrations": [],
                        "addBundledMetadata": True,
                    }
                },
                "plan": {"track": {"__default": {"enabled": True}}},
                "edgeFunction": {},
                "analyticsNextEnabled": True,
                "middlewareSettings": {},
                "enabledMiddleware": {},
                "metrics": {"sampleRate": 0},
                "legacyVideoPluginsEnabled": False,
                "remotePlugins": [],
            }
        )

    def _email_message(self, request: Request, event: str) -> tuple[dict[str, Any], WriteKey]:
        params = dict(request.query_params)
        if signing.verify(self.collector.secret, params) and params.get("source"):
            key = WriteKey(key_id="signed", source=params["source"], created_at="")
        elif event == "Email Opened":
            key = authenticate(self.collector, request)
        else:
            raise ApiError(
                400, "unsigned_url", "this redirect is not signed by the server; it is refused"
            )
        reserved = ("sig", "source", "writeKey", "userId", "anonymousId", "email", "messageId")
        message: dict[str, Any] = {
            "event": event,
            "properties": {k: v for k, v in params.items() if k not in reserved},
            "context": {"userAgent": request.headers.get("user-agent", "")},
        }
        for name in ("userId", "anonymousId", "messageId"):
            if params.get(name):
                message[name] = params[name]
        if params.get("email"):
            message["context"]["traits"] = {"email": params["email"]}
        return message, key

    async def pixel(self, request: Request) -> Response:
        message, key = self._email_message(request, "Email Opened")
        await _accept(self.collector, [message], "track", None, key, single=True)
        return Response(
            GIF, 200, media_type="image/gif", headers={"Cache-Control": "no-store, max-age=0"}
        )

    async def click(self, request: Request) -> Response:
        message, key = self._email_message(request, "Email Link Clicked")
        url = request.query_params.get("url", "")
        if urlsplit(url).scheme not in ("http", "https"):
            raise ApiError(400, "invalid_url", "the redirect target must be an http(s) URL")
        await _accept(self.collector, [message], "track", None, key, single=True)
        return RedirectResponse(url, 302)

    async def unsubscribe_page(self, request: Request) -> Response:
        """GET: a confirmation page; nothing is recorded (link scanners follow GETs)."""
        params = dict(request.query_params)
        unsubscribe.check(self.collector.secret, params)
        action = f"{request.url.path}?{request.url.query}"
        page = unsubscribe.landing_page(params["email"], action)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def unsubscribe(self, request: Request) -> Response:
        """POST (RFC 8058 one-click, or the page's button): record the unsubscribe."""
        params = dict(request.query_params)
        key = unsubscribe.check(self.collector.secret, params)
        await read_body(request, self.message_limit, self.timeout)
        agent = request.headers.get("user-agent", "")
        message = unsubscribe.message(params, "one-click", agent)
        await _accept(self.collector, [message], "track", None, key, single=True)
        page = unsubscribe.done_page(params["email"])
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def webhook(self, request: Request) -> Response:
        name = request.path_params["name"]
        mapping = self.collector.config.webhooks.get(name)
        if mapping is None:
            raise ApiError(404, "unknown_webhook", f"no webhook {name!r} in collect.webhooks")
        source = mapping.source or name
        if mapping.signature is not None:
            raw = await read_body(request, self.batch_limit, self.timeout)
            webhooks.check_signature(name, mapping.signature, raw, request.headers, self.replays)
            key = WriteKey(key_id=f"webhook:{name}", source=source, created_at="")
        else:
            key = authenticate(self.collector, request)  # before reading the body
            if key.source != source:
                raise ApiError(
                    403,
                    "wrong_source",
                    f"webhook {name!r} writes to source {source!r}; this key belongs to "
                    f"{key.source!r}: create one with personae keys create {source}",
                )
            raw = await read_body(request, self.batch_limit, self.timeout)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
        messages = webhooks.to_messages(name, mapping, body)
        return await _accept(self.collector, messages, None, None, key, single=False)

    async def health(self, request: Request) -> Response:
        return responses.json(self.collector.health())


def error_response(exc: ApiError) -> Response:
    extra: dict[str, Any] = {}
    if exc.rejected:
        extra = {"rejected": exc.rejected, "rejected_count": exc.rejected_count}
    return responses.error(exc, **extra)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


#: the paths :class:`FastTrack` takes, after ``/v1/``
FAST_KINDS = frozenset((*TYPES, *SHORT_TYPES, *BATCH_PATHS))


class FastTrack:
    """ASGI middleware: ``POST /v1/<kind>`` from a server (no ``Origin`` header, no
    query string) goes straight to :meth:`_Api.track`, past the router and the other
    middleware, which cost a server-side SDK's call as much as storing its message.
    Everything else (browsers, whose calls need CORS, and every other route) goes on
    to the app. Both paths answer the same (``tests/collect`` runs through both).

    Likewise a ``GET`` from a server under a mounted app's prefix (the Profile API) goes
    straight to that app, as the router would send it, with the ``Vary: Origin`` the
    CORS middleware adds to an answer without ``Origin``."""

    def __init__(self, app: ASGIApp, api: _Api, mounts: tuple[Mount, ...] = ()) -> None:
        self.app = app
        self.api = api
        self.mounts = mounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if self.mounts and scope["type"] == "http" and scope["method"] == "GET":
            if not any(name == b"origin" for name, _ in scope["headers"]):
                for mount in self.mounts:
                    match, child = mount.matches(scope)
                    if match is Match.FULL:
                        await mount.handle({**scope, **child}, receive, _vary_origin(send))
                        return
            await self.app(scope, receive, send)
            return
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope.get("query_string")
            or path[4:] not in FAST_KINDS
            or not path.startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        found: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name == b"origin":
                await self.app(scope, receive, send)
                return
            if name in _FAST_HEADERS and name not in found:
                found[name] = value.decode("latin-1")
        try:
            response = await self.api.track(
                path[4:],
                found.get(b"authorization", ""),
                None,
                found.get(b"content-encoding", ""),
                found.get(b"content-length"),
                _chunks(receive),
            )
        except ApiError as exc:
            response = error_response(exc)
        if response.status_code == 200 and response.body == responses.SUCCESS:
            # the common answer, sent as it is: the same bytes Response would send
            await send({"type": "http.response.start", "status": 200, "headers": list(_SUCCESS)})
            await send({"type": "http.response.body", "body": responses.SUCCESS})
            return
        await response(scope, receive, send)


def _vary_origin(send: Send) -> Send:
    """``send`` adding ``Vary: Origin`` to the response's headers, as Starlette's CORS
    middleware does to an answer to a request without ``Origin``."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            varies = [v.decode("latin-1") for k, v in headers if k == b"vary"]
            value = ", ".join([*varies, "Origin"]).encode("latin-1")
            if varies:
                first = next(i for i, (k, _) in enumerate(headers) if k == b"vary")
                headers[first] = (b"vary", value)
                headers = [h for i, h in enumerate(headers) if h[0] != b"vary" or i == first]
            else:
                headers.append((b"vary", value))
            message = {**message, "headers": headers}
        await send(message)

    return sending


_SUCCESS = (
    (b"content-length", str(len(responses.SUCCESS)).encode()),
    (b"content-type", b"application/json"),
)
_FAST_HEADERS = frozenset((b"authorization", b"content-encoding", b"content-length"))


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "client_disconnected", "the client left before the body ended")
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return responses.error(ApiError(exc.status_code, code, str(exc.detail)))


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path)
    return responses.error(ApiError(500, "internal_error", "unexpected server error"))


def load_mounts(specs: Mapping[str, str], project_root: Path) -> dict[str, ASGIApp]:
    """Each prefix's ASGI app: ``"module:factory"`` imported, called with the project
    folder. A wrong spec raises a :class:`CollectError` naming the prefix."""
    apps: dict[str, ASGIApp] = {}
    for prefix, spec in specs.items():
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise CollectError(
                f"mount prefix {prefix!r}: a prefix starts with '/' and does not end with "
                "one, like '/v1/profiles'"
            )
        module_name, _, attribute = spec.partition(":")
        if not module_name or not attribute:
            raise CollectError(
                f"mount {prefix!r}: {spec!r} is not an import string; write 'module:factory'"
            )
        try:
            factory = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise CollectError(f"mount {prefix!r}: cannot import {spec!r}: {exc}") from exc
        apps[prefix] = factory(project_root)
    return apps


def create_app(
    collector: Collector, *, manage: bool = True, mounts: Mapping[str, ASGIApp] | None = None
) -> Starlette:
    """The ASGI app. With ``manage`` the app starts and closes the collector itself;
    ``mounts`` (prefix → ASGI app) are routed before the collector's own routes."""
    api = _Api(collector)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage:
            collector.start()
        try:
            yield
        finally:
            if manage:
                collector.close()

    mounted = tuple(Mount(prefix, app) for prefix, app in (mounts or {}).items())
    routes: list[BaseRoute] = list(mounted)
    routes += [
        Route("/health", api.health, methods=["GET"]),
        Route("/v1/projects/{write_key}/settings", api.settings, methods=["GET"]),
        Route("/v1/pixel.gif", api.pixel, methods=["GET"]),
        Route("/v1/r", api.click, methods=["GET"]),
        Route("/v1/webhook/{name}", api.webhook, methods=["POST"]),
        Route("/v1/unsubscribe", api.unsubscribe_page, methods=["GET"]),
        Route("/v1/unsubscribe", api.unsubscribe, methods=["POST"]),
        Route("/v1/{kind}", api.tracking, methods=["POST"]),
    ]
    middleware = [
        Middleware(FastTrack, api=api, mounts=mounted),
        Middleware(
            CORSMiddleware,
            allow_origins=collector.config.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
            max_age=86400,
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _crash},
    )
    # a trailing-slash redirect would be built from the client's Host header
    app.router.redirect_slashes = False
    return app
