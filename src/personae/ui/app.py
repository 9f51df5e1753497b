"""The web UI's ASGI app: ``create_app(project_root)``, mounted at ``/ui`` by ``personae
ui`` and by ``personae serve``."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from personae.ui.accounts import Accounts
from personae.ui.pages import (
    dashboards,
    graph,
    home,
    login,
    overrides,
    person,
    privacy,
    review,
    segments,
    users,
)
from personae.ui.sessions import Sessions
from personae.ui.web import UiState
from personae.ui.workspace import Workspace

STATIC = Path(__file__).parent / "static"
PREFIX = "/ui"

#: scripts only from the UI itself (Vega runs its expressions with vega-interpreter, so
#: no eval); inline styles are allowed for the libraries that set them
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Every response gets the CSP and friends; pages (which hold personal data) are
    never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(str(scope.get("root_path", "")) + "/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class LocalOnly:
    """``--no-auth`` answers only clients on the loopback interface."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and not is_loopback(client[0] if client else None):
            response = PlainTextResponse(
                "this UI runs without login (--no-auth) and answers localhost only", 403
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (an address, or ``localhost``) is this machine's loopback."""
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def create_app(
    project_root: Path, *, no_auth: bool = False, secure_cookies: bool = False
) -> Starlette:
    """The UI of the project at ``project_root`` (mount it at ``/ui``)."""
    root = Path(project_root).resolve()
    state = UiState(
        workspace=Workspace(root),
        accounts=Accounts(root),
        sessions=Sessions(root),
        no_auth=no_auth,
        local_csrf=secrets.token_urlsafe(32),
        secure_cookies=secure_cookies,
    )
    routes: list[BaseRoute] = [Mount("/static", StaticFiles(directory=STATIC), name="static")]
    for module in (
        login,
        home,
        person,
        graph,
        overrides,
        review,
        segments,
        dashboards,
        privacy,
        users,
    ):
        routes += module.ROUTES
    middleware = [Middleware(SecurityHeaders)]
    if no_auth:
        middleware.insert(0, Middleware(LocalOnly))
    app = Starlette(routes=routes, middleware=middleware)
    app.state.ui = state
    return app


def standalone_app(
    project_root: Path, *, no_auth: bool = False, secure_cookies: bool = False
) -> Starlette:
    """``personae ui``: the UI at ``/ui`` and ``/`` redirecting there."""

    async def home_redirect(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    ui = create_app(project_root, no_auth=no_auth, secure_cookies=secure_cookies)
    return Starlette(routes=[Route("/", home_redirect), Mount(PREFIX, ui)])
