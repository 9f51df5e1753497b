"""A webhook destination: each batch of changes POSTed as JSON, signed.

The request::

    POST <url>
    Content-Type: application/json
    Idempotency-Key: <batch key>
    X-Personae-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">

    {"destination": "crm_hook", "batch": "<batch key>", "sent_at": "<ISO time, UTC>",
     "changes": [{"type": "add", "person_id": 12, "key": "<member key>",
                  "fields": {"email": "ann@corp.fr"}}, ...]}

The signature is the one personae's own collector checks for ``scheme: timestamped``
webhooks (``collect/webhooks.py``): HMAC-SHA256 under the secret read from the
environment variable ``secret_env`` names, over the timestamp, a dot and the body.

``sent_at`` (to the microsecond) differs on every try, so a retry is never mistaken
for a replay by a receiver that refuses a signature it has already seen (as personae's
collector does).

**Idempotency.** A batch can reach the receiver and its answer be lost; the sync then
retries it. Each change carries a ``key`` (SHA-256 of the destination, the person, the
kind of change and the fields sent), the same on every retry and every later run, and
each request an ``Idempotency-Key`` (derived from its members' keys): a receiver that
remembers the keys it applied ignores a delivery it already has.

Answers: 2xx accepted; 408, 425, 429 and 5xx transient (``Retry-After`` honoured); a
connection failure or timeout transient; any other 4xx permanent (the whole batch goes to
the dead letters). A 2xx JSON body may list ``{"failed": {"<person_id>": "why"}}``: those
members are refused for good.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import http.client
import os
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import orjson

from personae.activate.connectors.base import (
    BatchResult,
    Change,
    PermanentError,
    TransientError,
)
from personae.config.destinations import WebhookDestination
from personae.errors import ConfigError

_TRANSIENT = {408, 425, 429}


def member_key(destination: str, change: Change) -> str:
    """The same for the same change of the same member, on every try and every run."""
    fields = orjson.dumps(change.fields, option=orjson.OPT_SORT_KEYS, default=str)
    head = f"{destination}\x1f{change.person_id}\x1f{change.kind}\x1f".encode()
    return hashlib.sha256(head + fields).hexdigest()[:32]


def sign(secret: bytes, body: bytes, at: int) -> str:
    digest = hmac.new(secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class WebhookConnector:
    """POSTs batches of changes to one URL over a kept-alive connection."""

    #: the receiver keys members by person id: a changed e-mail is an update
    identity_fields: tuple[str, ...] = ()

    def __init__(self, name: str, destination: WebhookDestination) -> None:
        self.name = name
        self.destination = destination
        self.max_batch = destination.batch_size
        self.secret: bytes | None = None
        if destination.secret_env is not None:
            value = os.environ.get(destination.secret_env)
            if not value:
                raise ConfigError(
                    f"the environment variable {destination.secret_env} holding the "
                    "webhook's signing secret is not set; export it before running "
                    f"(export {destination.secret_env}=...)",
                    path=f"destinations.{name}.secret_env",
                )
            self.secret = value.encode()
        parts = urlsplit(destination.url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self.connection = kind(self.host, self.port, timeout=self.destination.timeout_seconds)
        return self.connection

    def body(self, changes: Sequence[Change]) -> tuple[str, bytes]:
        keys = [member_key(self.name, c) for c in changes]
        batch = hashlib.sha256("".join(keys).encode()).hexdigest()[:32]
        payload = {
            "destination": self.name,
            "batch": batch,
            "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "changes": [
                {"type": c.kind, "person_id": c.person_id, "key": k, "fields": dict(c.fields)}
                for c, k in zip(changes, keys, strict=True)
            ],
        }
        return batch, orjson.dumps(payload, default=str)

    def send(self, changes: Sequence[Change]) -> BatchResult:
        batch, body = self.body(changes)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": batch,
            "User-Agent": "personae-webhook",
        }
        if self.secret is not None:
            headers[self.destination.header] = sign(self.secret, body, int(time.time()))
        try:
            connection = self._connect()
            connection.request("POST", self.target, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransientError(f"POST {self.destination.url} failed: {exc}") from exc
        status = response.status
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        if 200 <= status < 300:
            return BatchResult(failed=_refused(answer))
        text = answer[:300].decode("utf-8", "replace")
        message = f"POST {self.destination.url} answered {status}: {text}"
        if status in _TRANSIENT or status >= 500:
            raise TransientError(
                message, retry_after=retry_after(response.getheader("Retry-After"))
            )
        raise PermanentError(message)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _refused(answer: bytes) -> dict[int, str]:
    try:
        data: Any = orjson.loads(answer) if answer.strip() else {}
    except orjson.JSONDecodeError:
        return {}
    failed = data.get("failed") if isinstance(data, dict) else None
    if not isinstance(failed, dict):
        return {}
    return {int(k): str(v) for k, v in failed.items() if str(k).lstrip("-").isdigit()}
