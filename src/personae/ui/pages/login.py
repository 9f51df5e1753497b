"""Logging in and out, and choosing the language.

The login form is protected from cross-site posts by a double-submit token (a cookie and
a hidden field that must agree); after login every form carries the session's CSRF
token. Ten failed logins for one name or address within 15 minutes lock it for 15
minutes.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Literal
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from personae.ui import i18n
from personae.ui.accounts import LANGUAGES, User
from personae.ui.sessions import COOKIE
from personae.ui.web import Viewer, page, state_of, viewer_of

LOGIN_CSRF = "personae_login_csrf"


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _form(request: Request, error: str | None = None, status: int = 200) -> Response:
    state = state_of(request)
    language = request.cookies.get("personae_lang", "en")
    token = secrets.token_urlsafe(32)
    html = state.env.get_template("login.html").render(
        _=lambda t: i18n.translate(language, t),
        base=_base(request),
        csrf=token,
        error=error,
        language=language,
        languages=LANGUAGES,
    )
    response = HTMLResponse(html, status_code=status)
    _set_cookie(response, request, LOGIN_CSRF, token, "strict")
    return response


def _set_cookie(
    response: Response, request: Request, name: str, value: str, samesite: Literal["lax", "strict"]
) -> None:
    """An HttpOnly cookie of the UI's path, Secure over HTTPS (or ``--secure-cookies``)."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite=samesite,
        secure=state_of(request).secure_cookies or request.url.scheme == "https",
        path=_base(request) or "/",
    )


async def login(request: Request) -> Response:
    state = state_of(request)
    if request.method == "GET":
        if viewer_of(request) is not None:
            return RedirectResponse(f"{_base(request)}/", status_code=303)
        return _form(request)
    form = await request.form()
    language = request.cookies.get("personae_lang", "en")
    cookie, sent = request.cookies.get(LOGIN_CSRF, ""), str(form.get("csrf_token", ""))
    if not cookie or not hmac.compare_digest(cookie, sent):
        message = i18n.translate(language, "The form expired: reload the page and try again.")
        return _form(request, message, 403)
    name, password = str(form.get("user", "")).strip(), str(form.get("password", ""))
    client = request.client.host if request.client else "?"
    if state.failures.blocked(f"user:{name}", f"client:{client}"):
        message = "Too many failed logins: wait a few minutes and try again."
        return _form(request, i18n.translate(language, message), 429)
    user: User | None = state.accounts.verify(name, password)
    if user is None:
        state.failures.add(f"user:{name}", f"client:{client}")
        state.workspace.audit.record("ui.login_failed", {"user": name}, actor=f"ui:{client}")
        return _form(request, i18n.translate(language, "Wrong user name or password."), 401)
    token, _session = state.sessions.create(user.name, user.language)
    state.workspace.audit.record("ui.login", {"user": user.name}, actor=f"ui:{user.name}")
    response = RedirectResponse(f"{_base(request)}/", status_code=303)
    _set_cookie(response, request, COOKIE, token, "lax")
    response.delete_cookie(LOGIN_CSRF, path=_base(request) or "/")
    return response


@page(None)
def logout(v: Viewer) -> Response:
    v.state.sessions.end(v.request.cookies.get(COOKIE))
    v.audit("logout")
    response = RedirectResponse(f"{v.base}/login", status_code=303)
    response.delete_cookie(COOKIE, path=v.base or "/")
    return response


@page(None)
def language(v: Viewer) -> Response:
    chosen = str(v.form.get("language", "en")) if v.form else "en"
    if chosen not in LANGUAGES:
        chosen = "en"
    token = v.request.cookies.get(COOKIE)
    if token and not v.state.no_auth:
        v.state.sessions.set_language(token, chosen)
        v.state.accounts.update(v.user.name, language=chosen)
    back = urlsplit(v.request.headers.get("referer", ""))
    same_site = back.netloc == v.request.url.netloc and back.path.startswith(v.base or "/")
    response = RedirectResponse(
        (back.path + (f"?{back.query}" if back.query else "")) if same_site else f"{v.base}/",
        status_code=303,
    )
    response.set_cookie("personae_lang", chosen, samesite="lax", path=v.base or "/")
    return response


ROUTES = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/language", language, methods=["POST"]),
]
