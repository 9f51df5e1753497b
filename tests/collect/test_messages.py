"""Clock-skew correction, batch-level merging, time parsing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from personae.collect.errors import ApiError
from personae.collect.keys import WriteKey
from personae.collect.messages import Limits, parse_time, to_row
from personae.collect.plans import PlanChecker

KEY = WriteKey("k1", "web", "")
US = 1_000_000


def _us(text: str) -> int:
    value = parse_time(text, "t")
    assert value is not None
    return value


def row(
    message: dict[str, object], batch: dict[str, object] | None = None, received: str = ""
) -> dict[str, object]:
    return to_row(
        message,
        None,
        batch,
        KEY,
        _us(received or "2026-03-01T12:00:00Z"),
        "c0",
        Limits(32 * 1024),
        PlanChecker({}),
    )


def test_parse_time_accepts_z_offsets_and_naive_utc() -> None:
    z = _us("2026-03-01T12:00:00Z")
    assert _us("2026-03-01T14:00:00+02:00") == z
    assert _us("2026-03-01T12:00:00") == z
    assert _us("2026-03-01T12:00:00.250Z") == z + US // 4
    assert z == int(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC).timestamp()) * US
    with pytest.raises(ApiError):
        parse_time("12/03/2026", "t")


def test_clock_skew_uses_message_level_sent_at() -> None:
    # the device clock is 1 hour ahead: sent "13:00:05", created "13:00:00"
    r = row(
        {
            "type": "track",
            "userId": "u",
            "event": "E",
            "timestamp": "2026-03-01T13:00:00Z",
            "sentAt": "2026-03-01T13:00:05Z",
        }
    )
    assert r["timestamp"] == _us("2026-03-01T11:59:55Z")
    assert r["original_timestamp"] == _us("2026-03-01T13:00:00Z")


def test_clock_skew_uses_batch_level_sent_at_with_offsets() -> None:
    batch = {"sentAt": "2026-03-01T15:00:10+02:00"}
    r = row(
        {"type": "track", "userId": "u", "event": "E", "timestamp": "2026-03-01T13:00:00Z"},
        batch,
    )
    assert r["sent_at"] == _us("2026-03-01T13:00:10Z")
    assert r["timestamp"] == _us("2026-03-01T11:59:50Z")


def test_without_times_the_received_time_is_used() -> None:
    r = row({"type": "identify", "userId": "u"})
    assert r["timestamp"] == r["received_at"]
    r = row({"type": "identify", "userId": "u", "timestamp": "2026-02-01T00:00:00Z"})
    assert r["timestamp"] == _us("2026-02-01T00:00:00Z")


def test_batch_context_and_integrations_are_merged() -> None:
    batch = {
        "context": {"library": {"name": "analytics-python"}, "ip": "1.2.3.4"},
        "integrations": {"All": False},
        "writeKey": "secret",
    }
    r = row({"type": "track", "userId": "u", "event": "E", "context": {"ip": "5.6.7.8"}}, batch)
    payload = json.loads(str(r["payload"]))
    assert payload["context"] == {"library": {"name": "analytics-python"}, "ip": "5.6.7.8"}
    assert payload["integrations"] == {"All": False}
    assert "writeKey" not in payload


def test_alias_and_group_need_their_ids() -> None:
    with pytest.raises(ApiError, match="previousId"):
        row({"type": "alias", "userId": "u"})
    with pytest.raises(ApiError, match="groupId"):
        row({"type": "group", "userId": "u"})
    r = row({"type": "alias", "userId": "u", "previousId": "anon"})
    assert r["previous_id"] == "anon"


def test_numeric_user_ids_become_text_and_message_ids_are_generated() -> None:
    r = row({"type": "identify", "userId": 42})
    assert r["user_id"] == "42"
    assert str(r["message_id"]).startswith("personae-")
