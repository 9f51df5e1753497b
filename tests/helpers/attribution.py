"""A small warehouse for the attribution tests: persons, their events and the messages
the orchestrator decided (``activation_messages``, created by hand from its columns).

Persons 1 to 4 are live; person 5 was merged into 1. Answers are computed by hand in
the tests (lookback 7 days, half-life 1 day).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa

from personae.catalog import EVENTS, IDENTITY_MAP, PERSONS
from personae.engine import Engine

MESSAGES = (
    # message_id, campaign, person_id, channel, status, decided_at
    ("m1", "welcome", 1, "email", "sent", "2026-01-01 10:00:00"),
    ("m2", "vip", 5, "sms", "sent", "2026-01-03 10:00:00"),
    ("m3", "welcome", 2, "email", "sent", "2026-01-01 10:00:00"),
    ("m4", "welcome", 3, "email", "control", "2026-01-01 10:00:00"),
    ("m5", "welcome", 4, "email", "suppressed", "2026-01-01 10:00:00"),
    ("m6", "vip", 2, "sms", "failed", "2026-01-03 10:00:00"),
)
EVENT_ROWS: tuple[tuple[str, str, int, str, str, dict[str, Any]], ...] = (
    # source, record_id, person_id, event, timestamp, properties
    (
        "web",
        "e1",
        1,
        "Email Opened",
        "2026-01-02 10:00:00",
        {"campaign": "welcome", "message_id": "m1"},
    ),
    (
        "web",
        "e2",
        5,
        "Page Viewed",
        "2026-01-04 10:00:00",
        {"utm_campaign": "summer", "utm_medium": "cpc"},
    ),
    # a click tied to its message by message_id alone, from a record resolved to another person
    ("web", "e3", 4, "Email Link Clicked", "2026-01-01 12:00:00", {"message_id": "m3"}),
    ("web", "e4", 4, "Page Viewed", "2026-01-02 10:00:00", {"path": "/"}),
    ("shop", "o1", 1, "Order Completed", "2026-01-05 10:00:00", {"revenue": 100}),
    ("shop", "o2", 2, "Order Completed", "2026-01-02 10:00:00", {"revenue": 50.0}),
    ("shop", "o3", 3, "Order Completed", "2026-01-15 10:00:00", {"revenue": 30}),
    ("shop", "o4", 2, "Order Completed", "2026-01-20 10:00:00", {"revenue": "80"}),
)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def create_messages(engine: Engine, rows: tuple[tuple[Any, ...], ...] = MESSAGES) -> None:
    """``activation_messages`` with the journeys engineer's columns, one batch (one job
    on Spark)."""
    table = pa.table(
        {
            "message_id": pa.array([r[0] for r in rows], pa.string()),
            "campaign": pa.array([r[1] for r in rows], pa.string()),
            "journey": pa.array(["j"] * len(rows), pa.string()),
            "step": pa.array(["s"] * len(rows), pa.string()),
            "person_id": pa.array([r[2] for r in rows], pa.int64()),
            "channel": pa.array([r[3] for r in rows], pa.string()),
            "destination": pa.array(["d"] * len(rows), pa.string()),
            "priority": pa.array([1] * len(rows), pa.int32()),
            "decided_at": pa.array([_at(r[5]) for r in rows], pa.timestamp("us")),
            "status": pa.array([r[4] for r in rows], pa.string()),
            "reason": pa.array([""] * len(rows), pa.string()),
            "provider_id": pa.array([None] * len(rows), pa.string()),
        }
    )
    engine.write_arrow("activation_messages", table, mode="replace")


def create_warehouse(
    engine: Engine,
    events: tuple[tuple[str, str, int, str, str, dict[str, Any]], ...] = EVENT_ROWS,
    *,
    messages: bool = True,
) -> None:
    persons = pa.table(
        {
            "person_id": pa.array([1, 2, 3, 4, 5], pa.int64()),
            "created_at": pa.array([None] * 5, pa.timestamp("us")),
            "merged_into": pa.array([None, None, None, None, 1], pa.int64()),
            "records": pa.array([1] * 5, pa.int64()),
        }
    )
    engine.write_arrow(PERSONS, persons, mode="replace")
    identity_map = pa.table(
        {
            "source": pa.array([e[0] for e in events], pa.string()),
            "record_id": pa.array([e[1] for e in events], pa.string()),
            "person_id": pa.array([e[2] for e in events], pa.int64()),
        }
    )
    engine.write_arrow(IDENTITY_MAP, identity_map, mode="replace")
    rows = pa.table(
        {
            "source": pa.array([e[0] for e in events], pa.string()),
            "record_id": pa.array([e[1] for e in events], pa.string()),
            "event": pa.array([e[3] for e in events], pa.string()),
            "timestamp": pa.array([_at(e[4]) for e in events], pa.timestamp("us")),
            "properties": pa.array([json.dumps(e[5]) for e in events], pa.string()),
        }
    )
    engine.write_arrow(EVENTS, rows, mode="replace")
    if messages:
        create_messages(engine)
