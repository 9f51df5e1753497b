"""The HTTP server every fake platform runs in, and what a fake sees of a request."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True)

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.headers.get("authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except ValueError:
            return None
        return user, password


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class Refused(Exception):
    """Raised by a fake's handler to answer with an error reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


class FakePlatform:
    """A platform's behaviour: subclasses implement :meth:`handle`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._injected: deque[Reply] = deque()

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def rate_limited(self, retry_after: float | None) -> Reply:
        """How the platform answers a request over its rate limit."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return Reply(429, {"message": "Too many requests"}, headers)

    def throttle(self, times: int = 1, *, retry_after: float | None = 2) -> None:
        """Answer the next ``times`` requests as over the rate limit."""
        for _ in range(times):
            self._injected.append(self.rate_limited(retry_after))

    def fail_next(self, reply: Reply, times: int = 1) -> None:
        for _ in range(times):
            self._injected.append(reply)

    def dispatch(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append(request)
            if self._injected:
                return self._injected.popleft()
            try:
                return self.handle(request)
            except Refused as refused:
                return refused.reply


class _Handler(BaseHTTPRequestHandler):
    platform: FakePlatform

    def _serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        request = Request(
            method=self.command,
            path=urllib.parse.unquote(url.path),
            query=urllib.parse.parse_qs(url.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        reply = self.platform.dispatch(request)
        body = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if body:
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextmanager
def serve(platform: FakePlatform) -> Iterator[str]:
    """Run ``platform`` on 127.0.0.1 in a thread; yields its base URL."""
    handler = type("Handler", (_Handler,), {"platform": platform})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def sync(connector: Any, changes: list[Any]) -> dict[int, str]:
    """Send ``changes`` in batches of the connector's ``max_batch``, as the sync engine
    does, then close it; the members refused, with why."""
    failed: dict[int, str] = {}
    for start in range(0, len(changes), connector.max_batch):
        failed.update(connector.send(changes[start : start + connector.max_batch]).failed)
    connector.close()
    return failed
