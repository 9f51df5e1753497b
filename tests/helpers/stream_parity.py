"""The batch/stream parity check: the same collected messages, applied by the streaming
worker and then by a batch run, give the same persons, traits and segment memberships
(``tests/stream/test_parity.py`` on DuckDB, ``tests/spark/test_spark_stream.py`` with the
batch on Spark)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from helpers.collect import ServeFactory
from helpers.serving import CONFIG, build_shop
from personae.pipeline import run
from personae.project import STATE_DIR, Project
from personae.serving.profiles import ExternalId, ProfileStore
from personae.stream.evaluate import plan
from personae.stream.worker import StreamWorker

NOW = dt.datetime(2026, 3, 31, 23, 0, 0)

#: traits and segments exercising what the stream maintains: counts, sums, last values,
#: windows, existence, expressions, event conditions, sequences and abandonment
EXTRA = """
  revenue: {aggregate: sum, event: Order Completed, of: total}
  last_total: {aggregate: last, event: Order Completed, of: total}
  biggest: {aggregate: max, event: Order Completed, of: total}
  recent_orders: {aggregate: count, event: Order Completed, within: 7d}
  avg_basket: {aggregate: avg, event: Order Completed, of: total}
  pages_seen: {aggregate: distinct_count, event: Page Viewed, of: page}
  has_cart: {aggregate: exists, event: Product Added}
  first_seen: {aggregate: min, of: timestamp}
  basket_per_order: {expression: "revenue / nullif(order_count, 0)"}
"""
SEGMENTS = """
  big_spenders: {all: [{event: Order Completed, sum: total, ">": 100, within: 30d}]}
  repeat: {all: [{event: Order Completed, at_least: 2}]}
  cart_then_buy:
    all: [{sequence: [{event: Product Added}, {event: Order Completed}], within: 1h}]
  abandoned:
    all: [{sequence: [{event: Product Added}, {not: {event: Order Completed}}], within: 1h}]
  parisians: {all: [{trait: city, "=": Paris}, {segment: buyers}]}
"""


def _config(engine: str = "") -> str:
    text = engine + CONFIG.replace(
        "  order_count: {aggregate: count, event: Order Completed}\n",
        "  order_count: {aggregate: count, event: Order Completed}\n" + EXTRA.lstrip("\n"),
    )
    text = text.replace(
        '  browsers: {all: [{trait: page_views, ">=": 1}]}\n',
        '  browsers: {all: [{trait: page_views, ">=": 1}]}\n' + SEGMENTS.lstrip("\n"),
    )
    assert EXTRA.strip() and "big_spenders" in text and "revenue" in text
    return text


def _messages() -> list[tuple[str, dict[str, Any]]]:
    def at(minutes: int) -> str:
        return (NOW - dt.timedelta(hours=6) + dt.timedelta(minutes=minutes)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )

    return [
        # Jeanne, known by user id: a cart, an order within the hour, a second order
        ("/v1/track", {"userId": "u-1", "event": "Product Added", "messageId": "j1",
                       "timestamp": at(0), "properties": {"sku": "A"}}),
        ("/v1/track", {"userId": "u-1", "event": "Order Completed", "messageId": "j2",
                       "timestamp": at(20), "properties": {"total": 80}}),
        ("/v1/track", {"userId": "u-1", "event": "Order Completed", "messageId": "j3",
                       "timestamp": at(90), "properties": {"total": 45.5}}),
        # a retry of the same message: counted once on both paths
        ("/v1/track", {"userId": "u-1", "event": "Order Completed", "messageId": "j3",
                       "timestamp": at(90), "properties": {"total": 45.5}}),
        # a visitor browses, then identifies with Zoe's e-mail: one person with Zoe
        ("/v1/page", {"anonymousId": "a-zoe", "name": "Home", "messageId": "z1",
                      "timestamp": at(5), "properties": {"page": "/home"}}),
        ("/v1/track", {"anonymousId": "a-zoe", "event": "Product Added", "messageId": "z2",
                       "timestamp": at(6), "properties": {"sku": "B"}}),
        ("/v1/identify", {"anonymousId": "a-zoe", "messageId": "z3", "timestamp": at(7),
                          "traits": {"email": "Zoe.Petit@mail.fr"}}),
        # a new visitor buys twice and signs up with a user id
        ("/v1/track", {"anonymousId": "a-new", "event": "Order Completed", "messageId": "n1",
                       "timestamp": at(30), "properties": {"total": 150}}),
        ("/v1/identify", {"anonymousId": "a-new", "userId": "u-new", "messageId": "n2",
                          "timestamp": at(31), "traits": {"email": "new@mail.fr"}}),
        ("/v1/track", {"userId": "u-new", "event": "Order Completed", "messageId": "n3",
                       "timestamp": at(40), "properties": {"total": 20}}),
        ("/v1/page", {"userId": "u-new", "name": "Thanks", "messageId": "n4",
                      "timestamp": at(41), "properties": {"page": "/thanks"}}),
    ]  # fmt: skip


#: every external id of the scenario, and what the test compares for each
IDS = [
    ExternalId("user_id", "u-1"),
    ExternalId("email", "jeanne.martin@mail.fr"),
    ExternalId("email", "paul.durand@mail.fr"),
    ExternalId("anonymous_id", "a-2"),
    ExternalId("email", "zoe.petit@mail.fr"),
    ExternalId("anonymous_id", "a-zoe"),
    ExternalId("anonymous_id", "a-new"),
    ExternalId("user_id", "u-new"),
    ExternalId("email", "new@mail.fr"),
]


def _view(root: Path, traits: list[str]) -> dict[str, Any]:
    """Per external id: its person (as the set of ids resolving to the same person), the
    streamed traits and the segments."""
    store = ProfileStore(root / STATE_DIR, None)
    persons = {f"{x.kind}:{x.value}": store.resolve(x) for x in IDS}
    view: dict[str, Any] = {}
    for external, found in persons.items():
        assert found is not None, f"{external} resolves to no one"
        person = found.person_id
        values = store.traits(person)
        view[external] = {
            "same_person_as": sorted(k for k, f in persons.items() if f and f.person_id == person),
            "traits": {t: values.get(t) for t in traits},
            "segments": sorted(s["segment"] for s in store.segments(person)),
        }
    store.close()
    return view


def check_parity(tmp_path: Path, serve: ServeFactory, engine: str = "") -> None:
    """Run the scenario; ``engine`` is an ``engine:`` section for the batch runs."""
    build_shop(tmp_path, extra=engine, second_run=True)
    served = serve(_config(engine))
    with Project.load(tmp_path) as project:
        run(project)  # the new traits and segments, published; nothing collected yet
    for path, body in _messages():
        assert served.post(path, body).status_code == 200

    with Project.load(tmp_path) as project:
        streamed_traits = plan(project.config).streamed("traits")
        worker = StreamWorker(project)
        try:
            while worker.step(now=NOW).messages:
                pass
        finally:
            worker.close()
    streamed = _view(tmp_path, streamed_traits)

    served.collector.flush()
    with Project.load(tmp_path) as project:
        run(project)
    batch = _view(tmp_path, streamed_traits)

    differences = {
        k: {"stream": streamed[k], "batch": batch[k]} for k in batch if streamed[k] != batch[k]
    }
    assert not differences, differences
    # the scenario did change things, on both paths
    assert batch["user_id:u-new"]["same_person_as"] == [
        "anonymous_id:a-new", "email:new@mail.fr", "user_id:u-new"
    ]  # fmt: skip
    assert batch["email:zoe.petit@mail.fr"]["segments"] == ["abandoned", "browsers"]
    assert batch["user_id:u-1"]["traits"]["order_count"] == 4
    assert "cart_then_buy" in batch["user_id:u-1"]["segments"]
