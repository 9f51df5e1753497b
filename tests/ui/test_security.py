"""Logins, sessions, CSRF, roles, masking and the audit of every view (through the ASGI
app, without a browser; tests/ui/test_browser.py drives the same flows in Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from helpers.ui import USERS, client, login, warehouse_rows
from personae.protect.audit import AuditLog
from personae.ui.app import standalone_app
from personae.ui.sessions import COOKIE

PAGES = [
    "/ui/",
    "/ui/persons/1",
    "/ui/segments",
    "/ui/review",
    "/ui/privacy",
    "/ui/users",
    "/ui/dashboards/quality",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_asks_for_a_login(ui_project: Path, path: str) -> None:
    answer = client(ui_project).get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login"


def test_a_login_sets_a_private_session_cookie_and_keeps_only_hashes(ui_project: Path) -> None:
    c = client(ui_project)
    login(c, "alice")
    cookie = c.cookies.get(COOKIE)
    assert cookie
    stored = (ui_project / ".personae" / "ui" / "sessions.sqlite").read_bytes()
    assert cookie.encode() not in stored
    users = (ui_project / ".personae" / "ui" / "users.json").read_text()
    assert "$argon2id$" in users
    assert USERS["alice"][1] not in users


def test_logging_out_ends_the_session(ui_project: Path) -> None:
    c = client(ui_project)
    csrf = login(c, "alice")
    cookie = c.cookies.get(COOKIE)
    assert (
        c.post("/ui/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    again = client(ui_project)
    again.cookies.set(COOKIE, str(cookie))
    assert again.get("/ui/", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_httponly_and_samesite(ui_project: Path) -> None:
    c = client(ui_project)
    form = c.get("/ui/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = c.post(
        "/ui/login",
        data={"user": "alice", "password": USERS["alice"][1], "csrf_token": token[1]},
        follow_redirects=False,
    )
    set_cookie = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
    session = next(v for v in set_cookie if v.startswith(COOKIE))
    assert "HttpOnly" in session
    assert "SameSite=lax" in session or "samesite=lax" in session.lower()


def test_a_wrong_password_is_refused_and_logged_without_the_password(ui_project: Path) -> None:
    c = client(ui_project)
    form = c.get("/ui/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = c.post(
        "/ui/login", data={"user": "alice", "password": "not-her-password", "csrf_token": token[1]}
    )
    assert answer.status_code == 401
    assert "Wrong user name or password." in answer.text
    log = (ui_project / ".personae" / "audit.jsonl").read_text()
    assert "not-her-password" not in log


def test_the_login_form_needs_its_own_token(ui_project: Path) -> None:
    c = client(ui_project)
    answer = c.post(
        "/ui/login", data={"user": "alice", "password": USERS["alice"][1], "csrf_token": "forged"}
    )
    assert answer.status_code == 403
    assert c.cookies.get(COOKIE) is None


def test_a_post_without_the_session_csrf_token_is_refused(ui_project: Path) -> None:
    c = client(ui_project)
    csrf = login(c, "alice")
    form = {"kind": "cannot_link", "a": "crm:x", "b": "crm:y"}
    refused = c.post("/ui/overrides", data=form)
    assert refused.status_code == 403
    forged = c.post("/ui/overrides", data=form, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    assert (
        not (ui_project / "overrides.yml").exists()
        or "crm:x" not in (ui_project / "overrides.yml").read_text()
    )
    assert csrf


@pytest.mark.parametrize(
    ("user", "path", "allowed"),
    [
        ("alice", "/ui/users", True),
        ("alice", "/ui/privacy", True),
        ("marc", "/ui/segments", True),
        ("marc", "/ui/review", False),
        ("marc", "/ui/privacy", False),
        ("ana", "/ui/privacy", False),
        ("ana", "/ui/users", False),
        ("ana", "/ui/segments", True),
        ("dora", "/ui/privacy", True),
        ("dora", "/ui/segments", False),
        ("dora", "/ui/users", False),
    ],
)
def test_roles_open_only_their_pages(ui_project: Path, user: str, path: str, allowed: bool) -> None:
    c = client(ui_project)
    login(c, user)
    answer = c.get(path)
    assert (answer.status_code == 200) is allowed, (answer.status_code, answer.text[:300])


def _person_with_email(root: Path) -> tuple[int, str, str]:
    rows = warehouse_rows(
        root,
        "SELECT person_id, email, last_name FROM profiles WHERE email IS NOT NULL AND "
        "last_name IS NOT NULL ORDER BY record_count DESC, person_id LIMIT 1",
    )
    person, email, last_name = rows[0]
    return int(person), str(email), str(last_name)


def test_the_analyst_sees_personal_data_masked_and_every_view_is_audited(
    ui_project: Path,
) -> None:
    person, email, last_name = _person_with_email(ui_project)
    c = client(ui_project)
    login(c, "ana")
    page = c.get(f"/ui/persons/{person}").text
    assert email not in page
    assert last_name not in page
    assert "•" in page
    marketer = client(ui_project)
    login(marketer, "marc")
    assert email in marketer.get(f"/ui/persons/{person}").text
    views = [
        e
        for e in AuditLog(ui_project).entries(action="ui.view_person")
        if e["details"].get("person_id") == person
    ]
    assert {e["actor"] for e in views} >= {"ui:ana", "ui:marc"}
    assert email not in json.dumps(views)


def test_pages_carry_a_content_security_policy_and_are_not_cached(ui_project: Path) -> None:
    c = client(ui_project)
    login(c, "alice")
    answer = c.get("/ui/")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"


def test_no_auth_answers_localhost_only(ui_project: Path) -> None:
    app = standalone_app(ui_project, no_auth=True)
    local = TestClient(app, client=("127.0.0.1", 50000))
    assert local.get("/ui/segments").status_code == 200
    remote = TestClient(app, client=("192.0.2.10", 50000))
    assert remote.get("/ui/segments").status_code == 403


def test_ten_failed_logins_lock_the_name(ui_project: Path) -> None:
    c = client(ui_project)
    for _ in range(10):
        form = c.get("/ui/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        c.post("/ui/login", data={"user": "dora", "password": "wrong", "csrf_token": token[1]})
    form = c.get("/ui/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    locked = c.post(
        "/ui/login", data={"user": "dora", "password": USERS["dora"][1], "csrf_token": token[1]}
    )
    assert locked.status_code == 429


def test_personae_serve_mounts_the_ui_at_ui(ui_project: Path) -> None:
    from personae.collect.app import load_mounts

    (mounted,) = load_mounts({"/ui": "personae.ui.mount:serve_app"}, ui_project).values()
    from starlette.applications import Starlette
    from starlette.routing import Mount

    app = Starlette(routes=[Mount("/ui", mounted)])
    c = TestClient(app)
    assert c.get("/ui/persons/1", follow_redirects=False).headers["location"] == "/ui/login"
    assert "csrf_token" in c.get("/ui/login").text
