"""The demo's local receivers: an SMTP server and a webhook endpoint on 127.0.0.1, which
keep what they receive in files the user can open (``received/mail.mbox``, readable by
any mail client, and ``received/<destination>.jsonl``, one request body per line).

They stand in for the e-mail provider and the CRM so that the demo's messages and syncs
travel the same wire formats as in production, without leaving the machine.
"""

from __future__ import annotations

import mailbox
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from personae.errors import PersonaeError

#: the folder, in the project, the receivers write to
RECEIVED = "received"


@dataclass
class MailInbox:
    """An SMTP server appending every accepted message to an mbox file."""

    path: Path
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # kept open: each message is appended (and flushed), never the file rewritten
        self.box = mailbox.mbox(self.path)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.box.add(envelope.content)
            self.box.flush()
            self.received += 1
        return "250 Message accepted"

    def close(self) -> None:
        with self.lock:
            self.box.close()


@dataclass
class WebhookInbox:
    """An HTTP endpoint appending every POSTed body to a JSON lines file and counting the
    changes it carried by type (add, update, remove)."""

    path: Path
    requests: int = 0
    changes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, body: bytes) -> None:
        data = orjson.loads(body)
        with self.lock, self.path.open("ab") as out:
            out.write(orjson.dumps(data) + b"\n")
            self.requests += 1
            self.changes.update(change.get("type", "?") for change in data.get("changes", []))


def _address(host: str, port: int, what: str, setting: str) -> None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise PersonaeError(
            f"the demo starts its {what} on this machine only, but {setting} points at "
            f"{host}; point it at 127.0.0.1"
        )


@contextmanager
def mail_server(host: str, port: int, path: Path) -> Iterator[MailInbox]:
    """An SMTP server on ``host:port`` while the block runs."""
    from aiosmtpd.controller import Controller

    _address(host, port, "SMTP server", "messages.email.smtp.host")
    inbox = MailInbox(path)
    controller = Controller(inbox, hostname=host, port=port, ready_timeout=10)
    try:
        controller.start()
    except OSError as error:
        raise PersonaeError(
            f"the demo's SMTP server cannot listen on {host}:{port} ({error}); free the port "
            "or change messages.email.smtp.port in personae.yml (personae demo --no-activation "
            "skips the activation)"
        ) from error
    try:
        yield inbox
    finally:
        controller.stop()
        inbox.close()


@contextmanager
def webhook_server(url: str, path: Path) -> Iterator[WebhookInbox]:
    """An HTTP server answering POSTs to ``url`` while the block runs."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    _address(host, port, "webhook receiver", "the webhook destination's url")
    inbox = WebhookInbox(path)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                inbox.accept(body)
            except (orjson.JSONDecodeError, AttributeError):
                self.send_response(400)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the demo prints its own summary."""

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as error:
        raise PersonaeError(
            f"the demo's webhook receiver cannot listen on {host}:{port} ({error}); free the "
            "port or change the webhook destination's url in personae.yml (personae demo "
            "--no-activation skips the activation)"
        ) from error
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Receivers:
    folder: Path
    mail: MailInbox | None = None
    webhooks: dict[str, WebhookInbox] = field(default_factory=dict)


@contextmanager
def receivers(
    folder: Path, smtp: tuple[str, int] | None, webhooks: dict[str, str]
) -> Iterator[Receivers]:
    """The SMTP server (when ``smtp`` is given) and one webhook receiver per destination
    name -> URL, writing under ``folder`` (emptied first)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    found = Receivers(folder)
    with ExitStack() as stack:
        if smtp is not None:
            found.mail = stack.enter_context(mail_server(*smtp, folder / "mail.mbox"))
        for name, url in webhooks.items():
            found.webhooks[name] = stack.enter_context(
                webhook_server(url, folder / f"{name}.jsonl")
            )
        yield found
