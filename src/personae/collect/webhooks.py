"""Webhooks: any JSON, turned into messages by a mapping declared in ``personae.yml``."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from typing import Any

from personae.collect.errors import ApiError
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


def signature_ok(signature: WebhookSignature, body: bytes, headers: Mapping[str, str]) -> bool:
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
    given = headers.get(signature.header.lower(), "")
    if not given.startswith(signature.prefix):
        return False
    expected = hmac.new(secret.encode(), body, getattr(hashlib, signature.algorithm)).hexdigest()
    return hmac.compare_digest(given[len(signature.prefix) :].strip().lower(), expected)
