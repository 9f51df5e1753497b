"""The HTTP the platform connectors share: one request, its answer, and the mapping of
failures onto :class:`TransientError` and :class:`PermanentError`.

Standard library only (``urllib``): a connector sends few, large requests (a batch of up
to 10,000 members) or one small request per message, so a connection pool buys little.
Every failure names the platform, the request and what to do.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from personae.activate.connectors.base import PermanentError, TransientError
from personae.errors import ConfigError

#: seconds a request may take before it counts as a transient failure
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or ``None`` when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    platform: str,
) -> Response:
    """Send one request and return the answer, whatever its status. A network failure or
    a timeout raises :class:`TransientError`."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, dict(error.headers.items()), error.read())
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise TransientError(
            f"{platform}: {method} {_without_query(url)} failed: {reason}"
        ) from None


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


#: bytes ``quote_plus`` leaves as they are (and the space, which becomes ``+``)
_UNSAFE = re.compile(rb"[^A-Za-z0-9_.~ -]")


def _quote_plus(text: str) -> bytes:
    data = text.encode("utf-8")
    unsafe = set(_UNSAFE.findall(data))
    if b"%" in unsafe:  # first, so that no escape is escaped again
        data = data.replace(b"%", b"%25")
        unsafe.discard(b"%")
    for byte in unsafe:  # a few distinct bytes (JSON's punctuation), each replaced in C
        data = data.replace(byte, b"%%%02X" % byte[0])
    return data.replace(b" ", b"+")


def form_encode(fields: Mapping[str, str]) -> bytes:
    """``application/x-www-form-urlencoded`` as ``urllib.parse.urlencode`` writes it, ten
    times faster on a large value (a Meta payload of 10,000 hashed members is 4 MB): each
    distinct character to escape is replaced once over the whole value."""
    return b"&".join(_quote_plus(key) + b"=" + _quote_plus(value) for key, value in fields.items())


def retry_after(response: Response, *extra_headers: str) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), or from a
    platform's own header (``x-sib-ratelimit-reset``)."""
    for name in ("Retry-After", *extra_headers):
        value = response.header(name)
        if value is None:
            continue
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        return max(0.0, when.timestamp() - time.time())
    return None


def fail(
    response: Response,
    *,
    platform: str,
    what: str,
    detail: str,
    credential: str,
    retry_headers: tuple[str, ...] = (),
) -> None:
    """Raise the error an unsuccessful ``response`` deserves: 429 and 5xx are transient
    (with ``Retry-After``), 401/403 name the credential to check, any other 4xx is a
    request the platform refuses for good."""
    status = response.status
    if status == 429 or status >= 500:
        raise TransientError(
            f"{platform} answered {status} to {what}: {detail}",
            retry_after=retry_after(response, *retry_headers),
        )
    if status in (401, 403):
        raise PermanentError(
            f"{platform} refused the credential ({status}) for {what}: {detail}; check the "
            f"value of {credential}"
        )
    raise PermanentError(f"{platform} refused {what} ({status}): {detail}")


def secret(env: Mapping[str, str] | None, name: str, *, path: str, what: str) -> str:
    """The credential held by environment variable ``name`` (never by personae.yml)."""
    values = os.environ if env is None else env
    value = values.get(name, "").strip()
    if not value:
        raise ConfigError(
            f"environment variable {name} is not set; export it with {what} before "
            "syncing (credentials never go in personae.yml)",
            path=path,
        )
    return value
