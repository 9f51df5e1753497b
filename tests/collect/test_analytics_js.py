"""analytics.js (``@segment/analytics-next`` from npm) in headless Chromium, unchanged:
it loads its settings from the server, then sends an identify, a page and a track
cross-origin with ``text/plain`` bodies.

Set-up: the package is installed with npm into a cache folder on first use; the test is
skipped when npm or Debian's ``chromium`` is missing.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collect.test_real_clients import LiveServer
from helpers.collect import free_port, new_key, write_project

PACKAGE = "@segment/analytics-next@1.84.3"
CACHE = Path(os.environ.get("PERSONAE_TEST_CACHE", Path.home() / ".cache" / "personae-tests"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PAGE = """<!doctype html><html><head><title>shop</title>
<script src="index.js"></script></head><body><script>
const {{ AnalyticsBrowser }} = window.AnalyticsNext;
AnalyticsBrowser.load(
  {{ writeKey: "{key}", cdnURL: "{server}" }},
  {{ integrations: {{ "Segment.io": {{ apiHost: "{host}/v1", protocol: "http" }} }} }}
).then(async ([analytics]) => {{
  await analytics.identify("user-42", {{ email: "Web@Example.fr" }});
  await analytics.page("Home");
  await analytics.track("Button Clicked", {{ color: "red" }});
  document.title = "done";
}}).catch((e) => {{ document.title = "error " + e; }});
</script></body></html>
"""


def _bundle() -> Path:
    folder = CACHE / "analytics-next"
    bundle = folder / "node_modules" / "@segment" / "analytics-next" / "dist" / "umd"
    if not (bundle / "index.js").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed")
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), PACKAGE],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return bundle


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A static web site on another 127.0.0.1 port: a different origin (CORS)."""
    folder = tmp_path / "site"
    shutil.copytree(_bundle(), folder)
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, port
    server.shutdown()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_analytics_js_in_headless_chromium(tmp_path: Path, site: tuple[Path, int]) -> None:
    folder, site_port = site
    (tmp_path / "project").mkdir()
    root = write_project(tmp_path / "project", "collect:\n  flush_seconds: 60\n")
    key = new_key(root, "website")
    with LiveServer(root) as server:
        host = f"127.0.0.1:{server.port}"
        page = PAGE.format(key=key, server=server.url, host=host)
        (folder / "shop.html").write_text(page, encoding="utf-8")
        assert CHROMIUM is not None
        browser = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path / 'chrome'}",
                "--remote-debugging-port=0",
                f"http://127.0.0.1:{site_port}/shop.html",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while server.collector.accepted < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            browser.kill()
            browser.wait(10)
        rows = {r["type"]: r for r in server.rows()}
    assert set(rows) == {"identify", "page", "track"}, rows
    assert rows["identify"]["user_id"] == "user-42"
    assert rows["track"]["event"] == "Button Clicked"
    track = json.loads(rows["track"]["payload"])
    assert track["properties"] == {"color": "red"}
    assert track["context"]["library"]["name"] == "analytics.js"
    assert rows["page"]["anonymous_id"] == rows["track"]["anonymous_id"] is not None
    assert all(r["source"] == "website" for r in rows.values())
