"""Webhooks: any JSON, turned into messages by a mapping declared in ``personae.yml``."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from collections.abc import Mapping
from typing import Any

from personae.collect.errors import ApiError
from personae.collect.signing import same_text
from personae.config.collect import WebhookMapping, WebhookSignature

_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def resolve(path: str, document: Any) -> Any:
    """The value at a ``$.a.b[0]`` path, or None when any step is missing."""
    if not path.startswith("$"):
        raise ValueError(f"not a path: {path!r}")
    value = document
    rest = path[1:]
    position = 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if match is None:
            raise ValueError(f"cannot read path {path!r} at {rest[position:]!r}")
        key, index = match.groups()
        if key is not None:
            value = value.get(key) if isinstance(value, dict) else None
        else:
            i = int(index)
            value = value[i] if isinstance(value, list) and i < len(value) else None
        position = match.end()
    return value


def _value(spec: str | None, item: Any) -> Any:
    if spec is None:
        return None
    return resolve(spec, item) if spec.startswith("$") else spec


def to_messages(name: str, mapping: WebhookMapping, body: Any) -> list[Any]:
    """Segment-shaped messages (not yet validated) from one webhook body."""
    items = resolve(mapping.items, body) if mapping.items else [body]
    if not isinstance(items, list):
        raise ApiError(400, "invalid_webhook", f"'{mapping.items}' is not a list in the body")
    messages: list[Any] = []
    for item in items:
        message: dict[str, Any] = {"type": mapping.type, "context": {"webhook": name}}
        for field, spec in (
            ("event", mapping.event),
            ("userId", mapping.user_id),
            ("anonymousId", mapping.anonymous_id),
            ("timestamp", mapping.timestamp),
            ("messageId", mapping.message_id),
        ):
            value = _value(spec, item)
            if value is not None:
                message[field] = value
        properties = _value(mapping.properties, item)
        if properties is not None:
            message["properties"] = (
                properties if isinstance(properties, dict) else {"value": properties}
            )
        email = _value(mapping.email, item)
        if email is not None:
            message["context"]["traits"] = {"email": email}
        messages.append(message)
    return messages


def _secret(signature: WebhookSignature) -> bytes:
    secret = signature.secret
    if signature.secret_env is not None:
        secret = os.environ.get(signature.secret_env)
        if not secret:
            raise ApiError(
                503,
                "webhook_secret_missing",
                f"the environment variable {signature.secret_env} holding the webhook "
                "secret is not set on the server",
            )
    assert secret is not None
    return secret.encode()


def _invalid(detail: str) -> ApiError:
    return ApiError(401, "invalid_signature", detail)


class ReplayGuard:
    """Timestamped signatures already accepted, remembered while they are fresh enough
    to be accepted again."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}

    def first_use(self, webhook: str, digest: str, expires: float, now: float) -> bool:
        """Remember ``digest``; False when it was already used."""
        if len(self._seen) > 10_000:
            self._seen = {k: v for k, v in self._seen.items() if v > now}
        key = (webhook, digest)
        if self._seen.get(key, 0.0) > now:
            return False
        self._seen[key] = expires
        return True


def check_signature(
    name: str,
    signature: WebhookSignature,
    body: bytes,
    headers: Mapping[str, str],
    replays: ReplayGuard,
    now: float | None = None,
) -> None:
    """Raise an :class:`ApiError` unless the delivery is signed with the webhook's secret
    (and, for ``scheme: timestamped``, fresh and not seen before)."""
    secret = _secret(signature)
    algorithm = getattr(hashlib, signature.algorithm)
    given = headers.get(signature.header.lower(), "")
    if signature.scheme == "body":
        expected = hmac.new(secret, body, algorithm).hexdigest()
        if not given.startswith(signature.prefix) or not same_text(
            given[len(signature.prefix) :].strip().lower(), expected
        ):
            raise _invalid(f"the webhook signature in {signature.header} does not match")
        return
    how = (
        f"sign each delivery in the {signature.header} header as "
        f"'t=<unix seconds>,v1=<hex HMAC-{signature.algorithm.upper()} of \"<t>.<body>\">'"
    )
    parts: dict[str, list[str]] = {}
    for item in given.split(","):
        field, _, value = item.strip().partition("=")
        parts.setdefault(field, []).append(value.strip())
    stamp = (parts.get("t") or [""])[0]
    if not given:
        raise _invalid(f"the {signature.header} header is missing; {how}")
    if not stamp.isascii() or not stamp.isdigit() or not parts.get("v1"):
        raise _invalid(f"the {signature.header} header is malformed; {how}")
    now = time.time() if now is None else now
    skew = now - int(stamp)
    tolerance = signature.tolerance_seconds
    if abs(skew) > tolerance:
        raise ApiError(
            401,
            "stale_signature",
            f"the signature's timestamp t={stamp} is {abs(skew):.0f} s "
            f"{'old' if skew > 0 else 'in the future'}, more than the {tolerance} s "
            "allowed; sign each delivery with the current time (and check the sender's clock)",
        )
    expected = hmac.new(secret, stamp.encode() + b"." + body, algorithm).hexdigest()
    if not any(same_text(v.lower(), expected) for v in parts["v1"]):
        raise _invalid(f"the webhook signature in {signature.header} does not match; {how}")
    if not replays.first_use(name, expected, int(stamp) + tolerance, now):
        raise ApiError(
            409,
            "replayed_signature",
            f"this signed delivery (t={stamp}) was already received; "
            "sign each new delivery with a fresh timestamp",
        )


def sign(secret: str, body: bytes, at: int, algorithm: str = "sha256") -> str:
    """The ``t=…,v1=…`` header value of a timestamped delivery (for senders and tests)."""
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, getattr(hashlib, algorithm))
    return f"t={at},v1={digest.hexdigest()}"
