"""A small warehouse for the attribution tests: persons, their events and the messages
the orchestrator decided (``activation_messages``, created by hand from its columns).

Persons 1 to 4 are live; person 5 was merged into 1. Answers are computed by hand in
the tests (lookback 7 days, half-life 1 day).
"""

from __future__ import annotations

import json
from typing import Any

from personae.catalog import EVENTS, IDENTITY_MAP, PERSONS
from personae.engine import Engine
from personae.sql import literal

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


def create_messages(engine: Engine, rows: tuple[tuple[Any, ...], ...] = MESSAGES) -> None:
    engine.execute(
        "CREATE OR REPLACE TABLE activation_messages (message_id VARCHAR, campaign VARCHAR, "
        "journey VARCHAR, step VARCHAR, person_id BIGINT, channel VARCHAR, destination VARCHAR, "
        "priority INTEGER, decided_at TIMESTAMP, status VARCHAR, reason VARCHAR, "
        "provider_id VARCHAR)"
    )
    for message_id, campaign, person, channel, status, at in rows:
        engine.execute(
            "INSERT INTO activation_messages VALUES "
            f"({literal(message_id)}, {literal(campaign)}, 'j', 's', {person}, "
            f"{literal(channel)}, 'd', 1, CAST({literal(at)} AS TIMESTAMP), {literal(status)}, "
            "'', NULL)"
        )


def create_warehouse(
    engine: Engine,
    events: tuple[tuple[str, str, int, str, str, dict[str, Any]], ...] = EVENT_ROWS,
    *,
    messages: bool = True,
) -> None:
    engine.execute(
        f"CREATE OR REPLACE TABLE {PERSONS} (person_id BIGINT, created_at TIMESTAMP, "
        "merged_into BIGINT, records BIGINT)"
    )
    engine.execute(
        f"INSERT INTO {PERSONS} VALUES (1, NULL, NULL, 1), (2, NULL, NULL, 1), "
        "(3, NULL, NULL, 1), (4, NULL, NULL, 1), (5, NULL, 1, 1)"
    )
    engine.execute(
        f"CREATE OR REPLACE TABLE {IDENTITY_MAP} (source VARCHAR, record_id VARCHAR, "
        "person_id BIGINT)"
    )
    engine.execute(
        f"CREATE OR REPLACE TABLE {EVENTS} (source VARCHAR, record_id VARCHAR, event VARCHAR, "
        "timestamp TIMESTAMP, properties VARCHAR)"
    )
    for source, record, person, event, at, props in events:
        engine.execute(
            f"INSERT INTO {IDENTITY_MAP} VALUES ({literal(source)}, {literal(record)}, {person})"
        )
        engine.execute(
            f"INSERT INTO {EVENTS} VALUES ({literal(source)}, {literal(record)}, "
            f"{literal(event)}, CAST({literal(at)} AS TIMESTAMP), {literal(json.dumps(props))})"
        )
    if messages:
        create_messages(engine)
