"""The fast lane: a batch of well-formed messages to stored rows, by column.

:func:`personae.collect.messages.to_row` checks one message and builds its row, a dict;
on a batch of a hundred that is most of a request's time. :func:`batch_columns` does
the same work for the common case, a batch whose every message is well formed and needs
nothing merged into it, in one pass and one small function per message, and returns
the rows by column (what the WAL record and the Parquet file hold). It declines
(returns None) as soon as anything is out of the ordinary: a refused message, a
batch-level ``context``/``integrations``/``sentAt`` to merge, a ``writeKey`` inside a
message, tracking plans to check. The caller then takes the exact path, message by
message, which says what is wrong with which message; so both paths store the same
rows and refuse the same messages (``tests/collect/test_fastlane.py`` holds them to it).
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from personae.collect.messages import TIME_MAX_US, TIME_MIN_US, Limits, iso_us, merges
from personae.collect.utm import with_utm

_OBJECTS = ("context", "integrations", "properties", "traits")
#: what one message gives: every column but the request's own
_Fields = tuple[
    str, str, str | None, str | None, str | None, str | None, str | None, int, int | None,
    int | None, bytes,
]  # fmt: skip
_MESSAGE_COLUMNS = (
    "message_id", "type", "event", "user_id", "anonymous_id", "previous_id", "group_id",
    "timestamp", "sent_at", "original_timestamp", "payload",
)  # fmt: skip


class _Decline(Exception):
    """Not for the fast lane: take the exact path."""


def _text(value: Any) -> str | None:
    """:func:`personae.collect.messages._id` of a value that is a string or absent."""
    if value is None:
        return None
    if type(value) is not str:
        raise _Decline
    return value.strip() or None


def _time(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise _Decline
    moment = iso_us(value)
    if moment is None or not TIME_MIN_US <= moment < TIME_MAX_US:
        raise _Decline
    return moment


def _fields(message: Any, received: int, limit: int) -> _Fields:
    if type(message) is not dict or "writeKey" in message:
        raise _Decline
    get = message.get
    kind = get("type")
    for name in _OBJECTS:
        value = get(name)
        if value is not None and type(value) is not dict:
            raise _Decline
    event = None
    if kind == "track":
        event = get("event")
        if type(event) is not str or not event.strip():
            raise _Decline
    elif kind == "page" or kind == "screen":
        event = get("name")
        if event is not None and type(event) is not str:
            raise _Decline
    elif kind not in ("identify", "group", "alias"):
        raise _Decline
    user_id, anonymous_id = _text(get("userId")), _text(get("anonymousId"))
    if user_id is None and anonymous_id is None:
        raise _Decline
    previous_id, group_id = _text(get("previousId")), _text(get("groupId"))
    if (kind == "alias" and previous_id is None) or (kind == "group" and group_id is None):
        raise _Decline
    try:
        payload = orjson.dumps(with_utm(message) if kind == "page" else message)
    except orjson.JSONEncodeError:
        raise _Decline from None
    if len(payload) > limit:
        raise _Decline
    original = _time(get("originalTimestamp") or get("timestamp"))
    sent = _time(get("sentAt"))
    timestamp = received
    if original is not None:
        timestamp = received - (sent - original) if sent is not None else original
        if sent is not None:
            timestamp = min(max(timestamp, TIME_MIN_US), received)
    message_id = _text(get("messageId")) or f"personae-{uuid.uuid4()}"
    return (
        message_id, kind, event, user_id, anonymous_id, previous_id, group_id, timestamp,
        sent, original, payload,
    )  # fmt: skip


def batch_columns(
    messages: list[Any],
    batch: dict[str, Any],
    received: int,
    key_id: str,
    source: str,
    collector_id: str,
    limits: Limits,
) -> dict[str, list[Any]] | None:
    """The rows of a batch by column (every stored column; payloads as UTF-8 bytes), or
    None to take the exact path. Message ids are those
    :func:`~personae.collect.messages.to_row` would give."""
    if not messages or merges(batch):
        return None
    limit = limits.max_message_bytes
    try:
        fields = [_fields(m, received, limit) for m in messages]
    except _Decline:
        return None
    count = len(fields)
    columns: dict[str, list[Any]] = {
        name: list(values)
        for name, values in zip(_MESSAGE_COLUMNS, zip(*fields, strict=True), strict=True)
    }
    columns["received_at"] = [received] * count
    columns["write_key_id"] = [key_id] * count
    columns["source"] = [source] * count
    columns["violations"] = [None] * count
    columns["collector_id"] = [collector_id] * count
    return columns
