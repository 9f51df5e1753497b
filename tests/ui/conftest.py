"""The UI's fixtures: one demo project per test session (built once per xdist worker),
served on a free port, and headless Chromium driven by Playwright (Debian's chromium:
Playwright's own browser download is not reachable)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.ui import CHROMIUM, USERS, LoggedIn, build_ui_project, served


@pytest.fixture(scope="session")
def ui_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_ui_project(tmp_path_factory.mktemp("ui-demo"))


@pytest.fixture(scope="session")
def ui_url(ui_project: Path) -> Iterator[str]:
    with served(ui_project) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture
def logged_in(browser: Any, ui_url: str) -> Iterator[LoggedIn]:
    """``logged_in(user)``: a page of a fresh browser context, logged in as ``user``."""
    contexts: list[Any] = []

    def login(user: str) -> Any:
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{ui_url}/login")
        page.fill("#user", user)
        page.fill("#password", USERS[user][1])
        page.click("button[type=submit]")
        page.wait_for_url(f"{ui_url}/")
        return page

    yield login
    for context in contexts:
        context.close()
