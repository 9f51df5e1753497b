"""A webhook receiver: a real HTTP server in a thread that checks personae's signature
the way personae's own collector does (``collect.webhooks.check_signature``), fails a
share of the requests on purpose, and dedupes changes on their idempotency ``key``."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from personae.collect.webhooks import ReplayGuard, check_signature
from personae.config.collect import WebhookSignature
from personae.errors import PersonaeError


@dataclass
class Receiver:
    secret: str
    #: share of requests that fail: half before applying the batch (503), half after
    #: applying it (500: the answer is lost, so the sender retries what was applied)
    failure_rate: float = 0.0
    #: answer these requests (1-based) with 429 and this Retry-After
    throttle: dict[int, str] = field(default_factory=dict)
    seed: int = 7
    port: int = 0
    requests: int = 0
    failures: int = 0
    bad_signatures: int = 0
    #: change key -> times the receiver was handed it
    deliveries: Counter[str] = field(default_factory=Counter)
    #: what the receiver applied, once per key: (kind, person_id, fields)
    applied: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(self.seed)
        self.signature = WebhookSignature(secret=self.secret)
        self.replays = ReplayGuard()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def duplicates(self) -> int:
        """Changes handed over more than once (the receiver applied each once)."""
        return sum(n - 1 for n in self.deliveries.values())

    def handle(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.requests += 1
            number = self.requests
            self.headers.append(headers)
            roll = self.rng.random()
            if number in self.throttle:
                return 429, {"Retry-After": self.throttle[number]}
            try:
                check_signature("hook", self.signature, body, headers, self.replays)
            except PersonaeError:
                self.bad_signatures += 1
                return 401, {}
            if roll < self.failure_rate / 2:
                self.failures += 1
                return 503, {}
            for change in json.loads(body)["changes"]:
                self.deliveries[change["key"]] += 1
                if self.deliveries[change["key"]] == 1:
                    self.applied.append((change["type"], change["person_id"], change["fields"]))
            if roll < self.failure_rate:
                self.failures += 1
                return 500, {}
            return 200, {}


@contextmanager
def serve(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra = receiver.handle(body, headers)
            answer = b"{}"
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
