"""The fast lane stores exactly what the exact path stores, or declines."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.collect import ServeFactory, basic
from personae.collect import stored
from personae.collect.errors import ApiError
from personae.collect.fastlane import batch_columns
from personae.collect.keys import WriteKey
from personae.collect.messages import Limits, to_row
from personae.collect.plans import PlanChecker

FIXTURES = Path(__file__).resolve().parents[2] / "benchmarks" / "fixtures" / "sdk_payloads.json"
KEY = WriteKey(key_id="k1", source="web", created_at="")
RECEIVED = 1_764_000_000_000_000
LIMITS = Limits(2_000)


def sdk_messages() -> list[dict[str, Any]]:
    shapes = json.loads(FIXTURES.read_text())
    return [v for k, v in shapes.items() if not k.startswith("_")]


def exact(messages: list[Any], batch: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The rows of the exact path, or None when it refuses a message."""
    rows = []
    for message in messages:
        try:
            rows.append(to_row(message, None, batch, KEY, RECEIVED, "c1", LIMITS, PlanChecker({})))
        except ApiError:
            return None
    return rows


def fast(messages: list[Any], batch: dict[str, Any]) -> list[dict[str, Any]] | None:
    columns = batch_columns(messages, batch, RECEIVED, "k1", "web", "c1", LIMITS)
    if columns is None:
        return None
    columns["payload"] = [p.decode() for p in columns["payload"]]  # kept as bytes
    return stored.columns_to_rows(columns)


def same(messages: list[Any], batch: dict[str, Any] | None = None) -> list[dict[str, Any]] | None:
    batch = {"batch": messages} if batch is None else batch
    expected = exact(copy.deepcopy(messages), copy.deepcopy(batch))
    got = fast(messages, batch)
    if got is not None:  # the fast lane only takes what the exact path stores, unchanged
        assert expected is not None
        for a, b in zip(got, expected, strict=True):
            if a["message_id"].startswith("personae-"):  # generated: random
                b["message_id"] = a["message_id"]
        assert got == expected
    return got


def test_sdk_batches_take_the_fast_lane_and_store_the_same_rows() -> None:
    messages = sdk_messages() * 3
    rows = same(messages)
    assert rows is not None and len(rows) == len(messages)
    page = next(r for r in rows if r["type"] == "page")
    assert json.loads(page["payload"])["properties"]["utm_source"] == "facebook"


def test_anything_unusual_declines() -> None:
    good = {"type": "track", "userId": "u", "event": "E", "messageId": "m"}
    assert same([good]) is not None
    for bad in (
        {**good, "userId": 7},  # a number the exact path turns into "7"
        {**good, "writeKey": "k"},
        {**good, "type": "bogus"},
        {"type": "track", "event": "E"},
        {**good, "timestamp": "yesterday"},
        {**good, "properties": {"x": "y" * 3_000}},
        "not an object",
    ):
        assert same([good, bad]) is None, bad
    assert same([good], {"batch": [good], "context": {"ip": "1.2.3.4"}}) is None
    assert same([good], {"batch": [good], "sentAt": "2026-01-01T00:00:00Z"}) is None


SCALAR = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
TIMES = st.sampled_from(
    ["2026-03-01T10:00:00Z", "2026-03-01T10:00:05+02:00", "", "x", "1850-01-01"]
)
WORD = st.text(min_size=1, max_size=8)
#: mostly well formed, so the fast lane takes many of them
VALID = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["track", "page", "screen", "identify", "group", "alias"]),
        "userId": WORD,
        "event": WORD,
        "previousId": WORD,
        "groupId": WORD,
    },
    optional={
        "anonymousId": WORD,
        "name": WORD,
        "timestamp": TIMES,
        "originalTimestamp": TIMES,
        "sentAt": TIMES,
        "messageId": st.text(max_size=6),
        "properties": st.dictionaries(
            st.sampled_from(["url", "search", "utm_source", "a"]),
            st.sampled_from(["?utm_source=x&utm_medium=y", "https://a.b/?utm_term=z", " v "]),
        ),
        "context": st.fixed_dictionaries(
            {}, optional={"campaign": st.fixed_dictionaries({"source": st.text(max_size=5)})}
        ),
    },
)
#: and now and then one field out of the ordinary
ODD = st.sampled_from(
    ["type", "userId", "anonymousId", "event", "name", "previousId", "groupId", "messageId",
     "timestamp", "sentAt", "properties", "context", "writeKey"]
)  # fmt: skip
MESSAGE = st.builds(
    lambda base, odd: {**base, **odd}, VALID, st.dictionaries(ODD, SCALAR, max_size=1)
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(messages=st.lists(MESSAGE, min_size=1, max_size=4))
def test_fast_lane_equals_the_exact_path(messages: list[dict[str, Any]]) -> None:
    same(messages)


def test_fast_lane_batches_dedupe_and_survive_a_restart(serve: ServeFactory) -> None:
    s = serve()
    batch = [{**m, "messageId": f"m{i}"} for i, m in enumerate(sdk_messages())]
    assert s.post("/v1/batch", {"batch": batch}).json() == {"success": True}
    assert s.post("/v1/batch", {"batch": batch}).json() == {"success": True}
    assert s.collector.duplicates == len(batch)
    rows = s.rows()
    assert sorted(r["message_id"] for r in rows) == [f"m{i}" for i in range(len(batch))]
    assert {r["source"] for r in rows} == {"web"}


def test_server_calls_and_browser_calls_answer_the_same(serve: ServeFactory) -> None:
    """Without an Origin header a call takes FastTrack; with one, the router and CORS."""
    import gzip

    s = serve()
    good = {"userId": "u", "event": "E"}
    cases: list[tuple[str, bytes, dict[str, str]]] = [
        ("/v1/track", json.dumps(good).encode(), basic(s.key)),
        ("/v1/t", json.dumps({**good, "writeKey": s.key}).encode(), {}),
        ("/v1/track", b"{not json", basic(s.key)),
        ("/v1/batch", b'{"batch": {}}', basic(s.key)),
        ("/v1/batch", json.dumps({"batch": [{"type": "nope"}]}).encode(), basic(s.key)),
        ("/v1/track", json.dumps(good).encode(), {}),
        ("/v1/track", json.dumps(good).encode(), basic("wk_nope")),
        ("/v1/track", json.dumps(good).encode(), {**basic(s.key), "Authorization": "Basic !"}),
        ("/v1/track", gzip.compress(json.dumps(good).encode()), {"Content-Encoding": "gzip"}),
        ("/v1/identify", json.dumps({"userId": "u", "p": "x" * 40_000}).encode(), basic(s.key)),
    ]
    for path, body, headers in cases:
        server = s.client.post(path, content=body, headers=headers)
        browser = s.client.post(
            path, content=body, headers={**headers, "Origin": "https://shop.example.com"}
        )
        assert (server.status_code, server.json()) == (browser.status_code, browser.json())
        assert "access-control-allow-origin" in browser.headers
        assert server.headers["content-type"] == "application/json"


def test_the_dedupe_window_is_invisible_to_the_garbage_collector() -> None:
    """Millions of remembered ids must not be walked by every full collection."""
    import gc

    from personae.collect.dedupe import DedupeWindow

    window = DedupeWindow(24)
    assert window.add(("web", "m1"), 1) and window.add(("app", "m1"), 1)
    assert not window.add(("web", "m1"), 2)  # a duplicate inside the window
    assert ("web", "m1") in window and len(window) == 2
    assert not gc.is_tracked(window._seen)


def test_a_segment_of_old_and_new_records_flushes_by_received_day(tmp_path: Path) -> None:
    import orjson

    from personae.collect.flush import flush_segments, read_events_file
    from personae.collect.wal import encode_record, segment_name

    day = 86_400_000_000
    old = {"message_id": "old", "type": "track", "received_at": 20_000 * day, "payload": "{}"}
    rows = [
        {"message_id": "a", "received_at": 20_000 * day + 5, "payload": '{"é":1}'},
        {"message_id": "b", "received_at": 20_001 * day, "payload": None},
        {"message_id": "c", "received_at": 20_001 * day + 1, "payload": '{"x":"\\u001e"}'},
    ]
    wal = tmp_path / "wal"
    wal.mkdir()
    records = [orjson.dumps(old), stored.encode_rows(rows)]
    (wal / segment_name("c1", 7)).write_bytes(b"".join(encode_record(r) for r in records))
    result = flush_segments(sorted(wal.glob("*.wal")), tmp_path / "events")
    assert (result.rows, result.files) == (4, 2)
    found = {}
    for path in sorted((tmp_path / "events").rglob("*.parquet")):
        table = read_events_file(path)
        found[path.parent.name] = list(
            zip(table["message_id"].to_pylist(), table["payload"].to_pylist(), strict=True)
        )
    assert found == {
        "date=2024-10-04": [("old", "{}"), ("a", '{"é":1}')],
        "date=2024-10-05": [("b", None), ("c", '{"x":"\\u001e"}')],
    }


def test_erasure_removes_one_person_from_a_record_of_several_rows(tmp_path: Path) -> None:
    from personae.collect.paths import CollectPaths
    from personae.collect.wal import encode_record, read_segment, segment_name
    from personae.privacy.files import erase_from_segments

    paths = CollectPaths.of(tmp_path)
    paths.ensure()
    rows = [
        {"message_id": f"m{i}", "user_id": user, "received_at": 1, "payload": "{}"}
        for i, user in enumerate(["alice", "bob", "alice"])
    ]
    segment = paths.wal / segment_name("c9", 1)
    segment.write_bytes(encode_record(stored.encode_rows(rows)))
    removed, warnings = erase_from_segments(paths, lambda row: row["user_id"] == "alice", False)
    assert removed == {str(segment): 2} and warnings == []
    (record,) = read_segment(segment).records
    assert [r["message_id"] for r in stored.decode_rows(record)] == ["m1"]
