"""What ``personae serve`` collected, as loaded into ``raw_collected``: messages per
minute per source, tracking-plan violations, and the newest messages (a debugger view).

Times are the collector's ``received_at``; the default window is the last 24 hours of
collected data, ending at the newest message (not at the clock: a project loaded
yesterday still shows its traffic). Every time is ISO 8601 text, naive UTC.

    rates = collection_rates(engine)
    for point in rates.per_minute:
        print(point.minute, point.source, point.messages)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from personae.catalog import RAW_COLLECTED
from personae.engine import Engine
from personae.errors import PersonaeError

#: the default window of :func:`collection_rates`
DEFAULT_WINDOW = dt.timedelta(hours=24)
#: the most messages :func:`recent_messages` returns at once
MAX_LIMIT = 500


@dataclass(frozen=True)
class MinuteCount:
    """Messages of one source received in one minute (``minute``: its start)."""

    minute: str
    source: str
    messages: int


@dataclass(frozen=True)
class CollectionRates:
    """Messages per minute per source over ``[start, end]`` (None when nothing was
    collected), minutes without messages left out; ``totals``: per source, most first."""

    start: str | None
    end: str | None
    per_minute: tuple[MinuteCount, ...]
    totals: dict[str, int]

    @property
    def messages(self) -> int:
        return sum(self.totals.values())


@dataclass(frozen=True)
class ViolationCount:
    """Messages of one source and event (or message type, for messages without an
    event) breaking one rule of a tracking plan: the plan, the JSON path in the
    message and the validator's message."""

    source: str
    event: str
    plan: str
    path: str
    message: str
    messages: int


@dataclass(frozen=True)
class CollectedMessage:
    """One collected message as stored: its identifiers, times, the payload as sent
    (parsed JSON) and its tracking-plan violations (``plan``, ``path``, ``message``)."""

    message_id: str
    type: str
    event: str | None
    source: str
    user_id: str | None
    anonymous_id: str | None
    timestamp: str | None
    received_at: str | None
    payload: dict[str, Any]
    violations: tuple[dict[str, str], ...]


def collection_rates(
    engine: Engine, *, window: dt.timedelta = DEFAULT_WINDOW, until: dt.datetime | None = None
) -> CollectionRates:
    """Messages per minute per source over the ``window`` ending at ``until`` (naive
    UTC; default: the newest message received)."""
    if window <= dt.timedelta(0):
        raise PersonaeError(f"the window of collection rates must be positive, not {window}")
    if not engine.table_exists(RAW_COLLECTED):
        return CollectionRates(None, None, (), {})
    end = until or engine.scalar(f"SELECT max(received_at) FROM {RAW_COLLECTED}")
    if not isinstance(end, dt.datetime):
        return CollectionRates(None, None, (), {})
    start = end - window
    rows = engine.rows(
        "SELECT date_trunc('minute', received_at) AS minute, source, count(*) "
        f"FROM {RAW_COLLECTED} WHERE received_at > ? AND received_at <= ? "
        "GROUP BY minute, source ORDER BY minute, source",
        [start, end],
    )
    points = tuple(MinuteCount(_iso(minute) or "", str(src), int(n)) for minute, src, n in rows)
    totals: dict[str, int] = {}
    for point in points:
        totals[point.source] = totals.get(point.source, 0) + point.messages
    ordered = dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))
    return CollectionRates(_iso(start), _iso(end), points, ordered)


def plan_violations(engine: Engine, *, source: str | None = None) -> list[ViolationCount]:
    """Tracking-plan violations per source, event and rule, most messages first."""
    if not engine.table_exists(RAW_COLLECTED):
        return []
    where = "WHERE violations IS NOT NULL" + (" AND source = ?" if source is not None else "")
    # parsed here rather than in SQL: JSON functions differ between engines, and only
    # messages with violations are read
    counts: dict[tuple[str, str, str, str, str], int] = {}
    for src, event, type_, violations in engine.rows(
        f"SELECT source, event, type, violations FROM {RAW_COLLECTED} {where}",
        [] if source is None else [source],
    ):
        seen = set()
        for violation in _violations(violations):
            key = (
                str(src),
                str(event if event is not None else type_),
                violation.get("plan", ""),
                violation.get("path", ""),
                violation.get("message", ""),
            )
            if key not in seen:  # a message counts once per rule
                seen.add(key)
                counts[key] = counts.get(key, 0) + 1
    found = [ViolationCount(*key, messages=n) for key, n in counts.items()]
    return sorted(found, key=lambda v: (-v.messages, v.source, v.event, v.plan, v.path))


def recent_messages(
    engine: Engine, *, source: str | None = None, limit: int = 50
) -> list[CollectedMessage]:
    """The ``limit`` newest messages received (of one ``source``), newest first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise PersonaeError(f"recent messages are 1 to {MAX_LIMIT} at a time, not {limit}")
    if not engine.table_exists(RAW_COLLECTED):
        return []
    where = "WHERE source = ?" if source is not None else ""
    rows = engine.rows(
        "SELECT message_id, type, event, source, user_id, anonymous_id, timestamp, "
        f"received_at, payload, violations FROM {RAW_COLLECTED} {where} "
        f"ORDER BY received_at DESC, message_id DESC LIMIT {int(limit)}",
        [] if source is None else [source],
    )
    return [
        CollectedMessage(
            message_id=str(message_id),
            type=str(type_),
            event=None if event is None else str(event),
            source=str(src),
            user_id=None if user_id is None else str(user_id),
            anonymous_id=None if anonymous_id is None else str(anonymous_id),
            timestamp=_iso(timestamp),
            received_at=_iso(received_at),
            payload=_payload(payload),
            violations=tuple(_violations(violations)),
        )
        for (
            message_id,
            type_,
            event,
            src,
            user_id,
            anonymous_id,
            timestamp,
            received_at,
            payload,
            violations,
        ) in rows
    ]


def _violations(text: object) -> list[dict[str, str]]:
    if not text:
        return []
    try:
        parsed = json.loads(str(text))
    except ValueError:
        return [{"plan": "", "path": "$", "message": str(text)}]
    if not isinstance(parsed, list):
        return []
    return [{str(k): str(v) for k, v in item.items()} for item in parsed if isinstance(item, dict)]


def _payload(text: object) -> dict[str, Any]:
    if not text:
        return {}
    try:
        parsed = json.loads(str(text))
    except ValueError:
        return {"unreadable": str(text)}
    return parsed if isinstance(parsed, dict) else {"payload": parsed}


def _iso(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)
