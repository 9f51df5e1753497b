"""Users of the UI (admin only): add one (its password shown once), change its role,
give it a new password, remove it. Removing a user or changing its password ends its
sessions. The same operations as ``personae ui users``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from personae.ui.accounts import LANGUAGES, AccountError
from personae.ui.roles import ROLES
from personae.ui.web import Viewer, page


def _listing(v: Viewer, **extra: Any) -> Response:
    return v.render(
        "users.html",
        users=v.state.accounts.users(),
        roles=list(ROLES),
        languages=LANGUAGES,
        **extra,
    )


@page("users")
def users(v: Viewer) -> Response:
    return _listing(v)


@page("users")
def change(v: Viewer) -> Response:
    assert v.form is not None
    action = str(v.form.get("action", ""))
    name = str(v.form.get("name", "")).strip()
    accounts = v.state.accounts
    try:
        if action == "add":
            password = accounts.add(
                name,
                str(v.form.get("role", "")),
                language=str(v.form.get("language", "en")),
            )
            v.audit("user_add", user=name, role=str(v.form.get("role", "")))
            return _listing(v, password=password, for_user=name)
        if action == "password":
            password = accounts.set_password(name)
            v.state.sessions.end_user(name)
            v.audit("user_password", user=name)
            return _listing(v, password=password, for_user=name)
        if action == "role":
            accounts.update(name, role=str(v.form.get("role", "")))
            v.audit("user_role", user=name, role=str(v.form.get("role", "")))
        elif action == "remove":
            if name == v.user.name:
                raise AccountError("you cannot remove yourself: ask another admin")
            accounts.remove(name)
            v.state.sessions.end_user(name)
            v.audit("user_remove", user=name)
        else:
            raise AccountError(f"unknown action {action!r}")
    except AccountError as exc:
        return _listing(v, error=str(exc))
    return _listing(v)


ROUTES = [
    Route("/users", users, methods=["GET"]),
    Route("/users", change, methods=["POST"]),
]
