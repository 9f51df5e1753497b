"""Collection figures over raw_collected: rates per minute, violations, newest messages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pytest

from personae.collect.stored import SCHEMA
from personae.engine import ENGINES, Engine
from personae.errors import PersonaeError
from personae.ingest.collected_stats import collection_rates, plan_violations, recent_messages

NEWEST = dt.datetime(2026, 5, 2, 12, 0, 30)
BAD_EMAIL = {"plan": "orders", "path": "$.properties.email", "message": "'x' is not an email"}
NO_TOTAL = {"plan": "orders", "path": "$.properties", "message": "'total' is a required property"}


def _message(i: int, source: str, at: dt.datetime, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in SCHEMA.names}
    row.update(
        message_id=f"m{i}",
        type="track",
        event="Order Completed",
        user_id=f"u{i % 3}",
        timestamp=at - dt.timedelta(seconds=5),
        received_at=at,
        source=source,
        payload=json.dumps({"type": "track", "messageId": f"m{i}", "properties": {"n": i}}),
    )
    row.update(extra)
    return row


@pytest.fixture
def collected() -> Engine:
    engine = ENGINES["duckdb"]()
    rows = [
        _message(1, "web", NEWEST - dt.timedelta(hours=30)),  # outside 24 h
        _message(2, "web", NEWEST - dt.timedelta(minutes=1, seconds=10)),
        _message(3, "web", NEWEST - dt.timedelta(minutes=1)),
        _message(4, "app", NEWEST - dt.timedelta(minutes=1)),
        _message(5, "web", NEWEST, violations=json.dumps([BAD_EMAIL, NO_TOTAL])),
        _message(6, "app", NEWEST - dt.timedelta(seconds=20), violations=json.dumps([BAD_EMAIL])),
        _message(
            7,
            "web",
            NEWEST - dt.timedelta(seconds=1),
            type="page",
            event=None,
            violations=json.dumps([BAD_EMAIL]),
        ),
    ]
    engine.write_arrow("raw_collected", pa.Table.from_pylist(rows, schema=SCHEMA), mode="append")
    return engine


def test_rates_per_minute_over_the_last_day_of_data(collected: Engine) -> None:
    rates = collection_rates(collected)
    assert rates.end == NEWEST.isoformat() and rates.start == "2026-05-01T12:00:30"
    assert [(p.minute, p.source, p.messages) for p in rates.per_minute] == [
        ("2026-05-02T11:59:00", "app", 1),
        ("2026-05-02T11:59:00", "web", 2),
        ("2026-05-02T12:00:00", "app", 1),
        ("2026-05-02T12:00:00", "web", 2),
    ]
    assert rates.totals == {"web": 4, "app": 2} and rates.messages == 6
    wide = collection_rates(collected, window=dt.timedelta(days=2))
    assert wide.totals["web"] == 5
    one_minute = collection_rates(
        collected, until=NEWEST - dt.timedelta(seconds=31), window=dt.timedelta(minutes=1)
    )
    assert one_minute.totals == {"web": 2, "app": 1}
    with pytest.raises(PersonaeError, match="must be positive"):
        collection_rates(collected, window=dt.timedelta(0))


def test_violations_per_source_event_and_rule(collected: Engine) -> None:
    found = [(v.source, v.event, v.path, v.messages) for v in plan_violations(collected)]
    assert found == [
        ("app", "Order Completed", "$.properties.email", 1),
        ("web", "Order Completed", "$.properties", 1),
        ("web", "Order Completed", "$.properties.email", 1),
        ("web", "page", "$.properties.email", 1),
    ]
    (app,) = plan_violations(collected, source="app")
    assert app.plan == "orders" and app.message == "'x' is not an email"


def test_newest_messages_with_payload_and_violations(collected: Engine) -> None:
    newest = recent_messages(collected, limit=3)
    assert [m.message_id for m in newest] == ["m5", "m7", "m6"]
    assert newest[0].payload["properties"] == {"n": 5}
    assert newest[0].violations == (BAD_EMAIL, NO_TOTAL)
    assert newest[0].received_at == NEWEST.isoformat() and newest[0].user_id == "u2"
    assert newest[1].event is None and newest[1].type == "page"
    assert [m.message_id for m in recent_messages(collected, source="app")] == ["m6", "m4"]
    with pytest.raises(PersonaeError, match="1 to 500"):
        recent_messages(collected, limit=501)


def test_nothing_collected_yet() -> None:
    engine = ENGINES["duckdb"]()
    rates = collection_rates(engine)
    assert rates.per_minute == () and rates.start is None and rates.messages == 0
    assert plan_violations(engine) == [] and recent_messages(engine) == []
