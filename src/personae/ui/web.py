"""What every page shares: who is asking (login, role, CSRF), rendering in their
language, masking, the audit log, and the errors a page turns into a message.

A page is an ``async`` Starlette endpoint wrapped by :func:`page`, which finds the
viewer from the session cookie (or the local admin under ``--no-auth``), refuses a role
without the permission, checks the CSRF token of every POST, then runs the page's work
in a worker thread (DuckDB and SQLite calls block).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from personae.ui import i18n
from personae.ui.accounts import Accounts, User
from personae.ui.masking import is_pii, mask
from personae.ui.roles import allowed
from personae.ui.sessions import COOKIE, Failures, Sessions
from personae.ui.workspace import Workspace

TEMPLATES = Path(__file__).parent / "templates"
LOCAL_USER = User("local", "admin", "en")


@dataclass
class UiState:
    """Held by the app (``app.state.ui``)."""

    workspace: Workspace
    accounts: Accounts
    sessions: Sessions
    #: ``--no-auth``: everyone on localhost is the local admin
    no_auth: bool = False
    #: the CSRF token of the local admin's forms (``--no-auth``)
    local_csrf: str = ""
    #: cookies marked Secure (always when served behind HTTPS)
    secure_cookies: bool = False
    failures: Failures = field(default_factory=Failures)
    env: Environment = field(
        default_factory=lambda: Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), trim_blocks=True
        )
    )


@dataclass
class Viewer:
    """The user asking, in their language, with the request's CSRF token."""

    request: Request
    user: User
    language: str
    csrf: str
    state: UiState
    form: FormData | None = None

    @property
    def workspace(self) -> Workspace:
        return self.state.workspace

    @property
    def base(self) -> str:
        """The UI's path prefix (``/ui``)."""
        return str(self.request.scope.get("root_path", "")).rstrip("/")

    def can(self, permission: str) -> bool:
        return allowed(self.user.role, permission)

    @property
    def masked(self) -> bool:
        return not self.can("pii")

    def show(self, value: Any, kind: str = "") -> str:
        """A value as this viewer may see it: masked when personal and not allowed."""
        if value is None:
            return ""
        if self.masked and is_pii(kind):
            return mask(value, kind)
        return str(value)

    def _(self, text: str) -> str:
        return i18n.translate(self.language, text)

    @property
    def actor(self) -> str:
        """Who acts, as the audit log names UI users."""
        return f"ui:{self.user.name}"

    def audit(self, action: str, **details: Any) -> None:
        self.workspace.audit.record(f"ui.{action}", details, actor=self.actor)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.state.env.get_template(template).render(
            v=self,
            _=self._,
            num=lambda x: i18n.number(x, self.language),
            pct=lambda x: i18n.percent(x, self.language),
            when=lambda x: i18n.when(x, self.language),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def redirect(self, path: str) -> Response:
        target = self.base + path
        if self.request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)


Work = Callable[[Viewer], Response]


def state_of(request: Request) -> UiState:
    ui: UiState = request.app.state.ui
    return ui


def viewer_of(request: Request) -> Viewer | None:
    """The logged-in viewer, or None."""
    state = state_of(request)
    if state.no_auth:
        language = request.cookies.get("personae_lang", "en")
        return Viewer(request, LOCAL_USER, language, state.local_csrf, state)
    session = state.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        return None
    user = state.accounts.get(session.user)
    if user is None:
        return None
    return Viewer(request, user, session.language, session.csrf, state)


def page(permission: str | None) -> Callable[[Work], Callable[[Request], Awaitable[Response]]]:
    """Wrap a page's work: login, permission, CSRF on POST, run in a thread."""

    def wrap(work: Work) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(work)
        async def endpoint(request: Request) -> Response:
            viewer = viewer_of(request)
            if viewer is None:
                base = str(request.scope.get("root_path", "")).rstrip("/")
                if request.headers.get("HX-Request"):
                    return Response(status_code=401, headers={"HX-Redirect": f"{base}/login"})
                return RedirectResponse(f"{base}/login", status_code=303)
            if request.method == "POST":
                viewer.form = await request.form()
                sent = request.headers.get("X-CSRF-Token") or str(viewer.form.get("csrf_token", ""))
                if not sent or not hmac.compare_digest(sent, viewer.csrf):
                    return viewer.render(
                        "message.html",
                        status=403,
                        title=viewer._("You may not do this"),
                        message=viewer._("The form expired: reload the page and try again."),
                    )
            if permission is not None and not viewer.can(permission):
                return viewer.render(
                    "message.html",
                    status=403,
                    title=viewer._("You may not do this"),
                    message=viewer._("Your role does not allow this page."),
                )
            return await run_in_threadpool(work, viewer)

        return endpoint

    return wrap
