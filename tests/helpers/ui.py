"""A demo project with the UI's users, and the UI served on a free port, for tests/ui."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.testclient import TestClient

from helpers.small_demo import demo_receivers
from personae.demo import generate_demo
from personae.demo.activation import activate_demo
from personae.lock import warehouse_lock
from personae.pipeline import run
from personae.project import Project
from personae.ui.accounts import Accounts
from personae.ui.app import standalone_app
from personae.ui.workspace import Workspace

#: ``logged_in(user)``: a browser page logged in as ``user`` (tests/ui/conftest.py)
LoggedIn = Callable[[str], Any]
PEOPLE = 800
SEED = 5
#: user -> (role, password, language)
USERS = {
    "alice": ("admin", "alice-password-1", "en"),
    "marc": ("marketer", "marc-password-1", "fr"),
    "ana": ("analyst", "ana-password-1", "en"),
    "dora": ("dpo", "dora-password-1", "en"),
}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: where the browser tests save a screenshot of each page (kept out of git)
SCREENSHOTS = Path(
    os.environ.get(
        "PERSONAE_UI_SCREENSHOTS", Path(__file__).parents[2] / "build" / "ui-screenshots"
    )
)


def build_ui_project(root: Path) -> Path:
    """The demo, run, activated (so journeys and syncs exist) and published, with users."""
    generate_demo(PEOPLE, root, seed=SEED)
    with Project.load(root) as project:
        run(project)
        with demo_receivers():
            activate_demo(project)
    Workspace(root).ensure_published()
    accounts = Accounts(root)
    for name, (role, password, language) in USERS.items():
        accounts.add(name, role, language=language, password=password)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(root: Path, *, no_auth: bool = False) -> Iterator[str]:
    """``personae ui`` on a free port, in a thread; yields the UI's base URL."""
    port = free_port()
    config = uvicorn.Config(
        standalone_app(root, no_auth=no_auth), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the UI server did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/ui"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot of what a browser test sees (for a human to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def warehouse_rows(root: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of a query on the project's warehouse, read under the warehouse lock."""
    with warehouse_lock(root), Project.load(root) as project:
        return project.engine.rows(sql, params)


def client(root: Path) -> TestClient:
    return TestClient(standalone_app(root), base_url="http://127.0.0.1:8700")


def login(c: TestClient, user: str, password: str | None = None) -> str:
    """Log in; returns the session's CSRF token."""
    form = c.get("/ui/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = c.post(
        "/ui/login",
        data={"user": user, "password": password or USERS[user][1], "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', c.get("/ui/").text)
    assert csrf is not None
    return csrf[1]
