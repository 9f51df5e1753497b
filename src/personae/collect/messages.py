"""One Segment message → its stored row: validation, merging, clock-skew correction.

* ``type`` comes from the endpoint, or from the message inside a batch;
* batch-level ``context`` and ``integrations`` are merged into each message (the
  message's own keys win), and batch-level ``sentAt`` applies when the message has none;
* ``timestamp = receivedAt − (sentAt − originalTimestamp)`` when both are known, where
  the original timestamp is the message's ``originalTimestamp`` or ``timestamp``;
* every stored time lies between 1900-01-01 and 2200-01-01: a time outside is refused
  (400 for that message), and a skew-corrected timestamp is clamped to
  [1900-01-01, receivedAt] (an event cannot happen after it arrived), so nothing stored
  can break an export;
* the stored payload is the message as received plus what was merged into it, without
  the write key; a page view's UTM parameters are added to its properties
  (:mod:`personae.collect.utm`). A message nested too deeply to be written back (orjson
  writes at most 254 levels) is refused alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from personae.collect.errors import ApiError
from personae.collect.keys import WriteKey
from personae.collect.plans import PlanChecker
from personae.collect.utm import with_utm

TYPES = ("identify", "track", "page", "screen", "group", "alias")
_KINDS = frozenset(TYPES)
SHORT_TYPES = {
    "i": "identify",
    "t": "track",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
}
_OBJECT_FIELDS = ("context", "integrations", "properties", "traits")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _us(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


#: the range of every stored time (µs since the epoch): [1900-01-01, 2200-01-01)
TIME_MIN_US = _us(dt.datetime(1900, 1, 1, tzinfo=dt.UTC))
TIME_MAX_US = _us(dt.datetime(2200, 1, 1, tzinfo=dt.UTC))


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int


def parse_time(value: Any, name: str) -> int | None:
    """An ISO-8601 time (``Z``, an offset, or none = UTC) as µs since the epoch."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(400, "invalid_timestamp", f"'{name}' must be an ISO-8601 string")
    moment = iso_us(value)
    if moment is None:
        raise ApiError(
            400, "invalid_timestamp", f"'{name}' is not an ISO-8601 time: {value[:40]!r}"
        )
    if not TIME_MIN_US <= moment < TIME_MAX_US:
        raise ApiError(
            400,
            "invalid_timestamp",
            f"'{name}' is out of range: {value[:40]!r}; times must lie between "
            "1900-01-01 and 2200-01-01",
        )
    return moment


@functools.lru_cache(maxsize=1024)
def iso_us(value: str) -> int | None:
    """µs since the epoch of an ISO-8601 time, None when it is not one (cached: a
    batch's ``sentAt`` and an SDK's timestamps repeat)."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return _us(parsed)
    except OverflowError:  # an offset pushing year 1 or 9999 out of datetime's range
        return TIME_MIN_US - 1


def _id(message: dict[str, Any], name: str) -> str | None:
    value = message.get(name)
    if value is None:
        return None
    if type(value) is str:  # the common case, first
        return value.strip() or None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ApiError(400, "invalid_type", f"'{name}' must be a string")
    text = str(value).strip()
    return text or None


def _merged(message: dict[str, Any], batch: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(message)
    merged.pop("writeKey", None)
    if batch and merges(batch):
        for name in ("context", "integrations"):
            outer = batch.get(name)
            if isinstance(outer, dict) and outer:
                inner = merged.get(name)
                merged[name] = {**outer, **inner} if isinstance(inner, dict) else dict(outer)
        if "sentAt" not in merged and batch.get("sentAt") is not None:
            merged["sentAt"] = batch["sentAt"]
    return merged


def merges(batch: dict[str, Any]) -> bool:
    """Whether a batch has anything to merge into its messages."""
    return bool(batch.get("context") or batch.get("integrations") or "sentAt" in batch)


def to_row(
    message: Any,
    type_: str | None,
    batch: dict[str, Any] | None,
    key: WriteKey,
    received_us: int,
    collector_id: str,
    limits: Limits,
    plans: PlanChecker,
) -> dict[str, Any]:
    """The stored row of one message; raises ApiError when it is refused."""
    if not isinstance(message, dict):
        raise ApiError(400, "invalid_message", "a message must be a JSON object")
    kind = type_ or message.get("type")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ApiError(
            400, "invalid_type", f"'type' must be one of {', '.join(TYPES)}, got {kind!r}"
        )
    for name in _OBJECT_FIELDS:
        value = message.get(name)
        if value is not None and type(value) is not dict and not isinstance(value, dict):
            raise ApiError(400, "invalid_type", f"'{name}' must be a JSON object")
    if "writeKey" in message or (batch and merges(batch)) or message.get("type") != kind:
        merged = _merged(message, batch)
        merged["type"] = kind
    else:  # nothing to change: the message is stored as it came
        merged = message
    if kind == "page":
        merged = with_utm(merged)
    try:
        payload = orjson.dumps(merged)
    except orjson.JSONEncodeError as exc:  # nested deeper than orjson writes (254 levels)
        raise ApiError(
            400, "invalid_message", f"the message cannot be stored: {exc}; nest it less deeply"
        ) from None
    if len(payload) > limits.max_message_bytes:
        raise ApiError(
            413,
            "message_too_large",
            f"a message may hold at most {limits.max_message_bytes} bytes, got {len(payload)}",
        )
    user_id, anonymous_id = _id(message, "userId"), _id(message, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise ApiError(400, "missing_identity", "a message needs a userId or an anonymousId")
    event = _event_name(kind, message)
    previous_id, group_id = _id(message, "previousId"), _id(message, "groupId")
    if kind == "alias" and previous_id is None:
        raise ApiError(400, "missing_field", "an alias needs a previousId")
    if kind == "group" and group_id is None:
        raise ApiError(400, "missing_field", "a group call needs a groupId")
    original = parse_time(message.get("originalTimestamp") or message.get("timestamp"), "timestamp")
    sent = parse_time(merged.get("sentAt"), "sentAt")
    timestamp = received_us
    if original is not None:
        timestamp = received_us - (sent - original) if sent is not None else original
        if sent is not None:  # a correction never lands after the arrival, nor before 1900
            timestamp = min(max(timestamp, TIME_MIN_US), received_us)
    violations = plans.check(merged, kind, event) if plans else []
    rejected = [v for v in violations if v.mode == "reject"]
    if rejected:
        first = rejected[0]
        raise ApiError(
            400,
            "tracking_plan_violation",
            f"tracking plan '{first.plan}': {first.path}: {first.message}",
        )
    return {
        "message_id": _id(message, "messageId") or f"personae-{uuid.uuid4()}",
        "type": kind,
        "event": event,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "previous_id": previous_id,
        "group_id": group_id,
        "timestamp": timestamp,
        "received_at": received_us,
        "sent_at": sent,
        "original_timestamp": original,
        "write_key_id": key.key_id,
        "source": key.source,
        "payload": payload.decode(),
        "violations": orjson.dumps([v.as_json() for v in violations]).decode()
        if violations
        else None,
        "collector_id": collector_id,
    }


def _event_name(kind: str, message: dict[str, Any]) -> str | None:
    if kind == "track":
        event = message.get("event")
        if not isinstance(event, str) or not event.strip():
            raise ApiError(400, "missing_field", "a track call needs an 'event' name")
        return event
    if kind in ("page", "screen"):
        name = message.get("name")
        if name is not None and not isinstance(name, str):
            raise ApiError(400, "invalid_type", "'name' must be a string")
        return name
    return None


def now_us() -> int:
    """Now, in µs since the epoch (UTC)."""
    return time.time_ns() // 1000
