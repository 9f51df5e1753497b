"""The streaming worker: collected messages change the serving store's persons, traits
and segments, as the next batch run would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from helpers.collect import Served, ServeFactory
from helpers.serving import CONFIG, build_shop
from personae.activate.triggers import TriggerQueue
from personae.project import STATE_DIR, Project
from personae.serving.profiles import ExternalId, ProfileStore
from personae.stream.generation import PROVISIONAL_FROM
from personae.stream.worker import StreamWorker

NOW = dt.datetime(2026, 3, 31, 12, 0, 0)


@pytest.fixture
def shop(tmp_path: Path, serve: ServeFactory) -> Served:
    build_shop(tmp_path)
    return serve(CONFIG)


def _post(s: Served, path: str, **body: Any) -> None:
    body.setdefault("timestamp", "2026-03-31T09:00:00Z")
    assert s.post(path, body).status_code == 200


def _step(root: Path) -> Any:
    with Project.load(root) as project:
        worker = StreamWorker(project)
        try:
            report = worker.step(now=NOW)
        finally:
            worker.close()
    return report


def _store(root: Path) -> ProfileStore:
    return ProfileStore(root / STATE_DIR, None)


def _person(store: ProfileStore, kind: str, value: str) -> int:
    found = store.resolve(ExternalId(kind, value))
    assert found is not None, f"{kind}:{value} resolves to no one"
    return found.person_id


def test_an_order_counts_at_once(shop: Served) -> None:
    store = _store(shop.root)
    jeanne = _person(store, "user_id", "u-1")
    assert store.traits(jeanne)["order_count"] == 2
    _post(shop, "/v1/track", userId="u-1", event="Order Completed", messageId="live-1")
    report = _step(shop.root)
    assert (report.messages, report.events, report.persons) == (1, 1, 1)
    store = _store(shop.root)
    assert store.traits(jeanne)["order_count"] == 3
    assert store.events(jeanne)[0]["m"] == "live-1"


def test_a_visitor_who_identifies_joins_the_customer_and_enters_a_segment(shop: Served) -> None:
    store = _store(shop.root)
    zoe = _person(store, "email", "zoe.petit@mail.fr")
    assert [s["segment"] for s in store.segments(zoe)] == []
    _post(shop, "/v1/page", anonymousId="a-zoe", name="Home", messageId="v-1")
    _post(
        shop,
        "/v1/identify",
        anonymousId="a-zoe",
        traits={"email": "Zoe.Petit@mail.fr"},
        messageId="v-2",
    )
    report = _step(shop.root)
    assert report.merges == 1  # the page view's new person joined Zoe at the identify
    store = _store(shop.root)
    assert _person(store, "anonymous_id", "a-zoe") == zoe
    assert store.traits(zoe)["page_views"] == 1
    assert [s["segment"] for s in store.segments(zoe)] == ["browsers"]
    with TriggerQueue(shop.root / STATE_DIR) as queue:
        entered = [(t.kind, t.person_id, t.name) for t in queue.read(0)]
    assert entered == [("entered", zoe, "browsers")]


def test_a_new_visitor_is_a_provisional_person(shop: Served) -> None:
    _post(shop, "/v1/track", anonymousId="a-new", event="Order Completed", messageId="n-1")
    _step(shop.root)
    store = _store(shop.root)
    person = _person(store, "anonymous_id", "a-new")
    assert person >= PROVISIONAL_FROM
    assert store.traits(person)["order_count"] == 1
    assert [s["segment"] for s in store.segments(person)] == ["buyers"]


def test_nothing_is_applied_twice(shop: Served) -> None:
    _post(shop, "/v1/track", userId="u-1", event="Order Completed", messageId="once")
    assert _step(shop.root).messages == 1
    assert _step(shop.root).messages == 0
    store = _store(shop.root)
    assert store.traits(_person(store, "user_id", "u-1"))["order_count"] == 3


def test_erasure_reaches_what_the_stream_added(shop: Served) -> None:
    from personae.privacy.erasure import TRIGGER_FILES, erase
    from personae.privacy.person import Selector, find_person

    _post(
        shop,
        "/v1/identify",
        anonymousId="a-zoe",
        traits={"email": "zoe.petit@mail.fr"},
        messageId="e-1",
    )
    _post(shop, "/v1/page", anonymousId="a-zoe", name="Home", messageId="e-2")
    _step(shop.root)
    store = _store(shop.root)
    zoe = _person(store, "anonymous_id", "a-zoe")
    store.close()
    with TriggerQueue(shop.root / STATE_DIR) as queue:
        assert [t.person_id for t in queue.read(0)] == [zoe]
    with Project.load(shop.root) as project:
        selector = Selector(email="zoe.petit@mail.fr")
        report = erase(project, find_person(project, selector), selector)
    assert report.files[TRIGGER_FILES] == 1
    store = _store(shop.root)
    assert store.resolve(ExternalId("anonymous_id", "a-zoe")) is None  # the streamed id too
    assert store.resolve(ExternalId("email", "zoe.petit@mail.fr")) is None
    with TriggerQueue(shop.root / STATE_DIR) as queue:
        assert queue.read(0) == []


def test_a_store_published_without_the_streams_facts_is_left_alone(shop: Served) -> None:
    import sqlite3

    from personae.serving.store import ServingPaths

    live = ServingPaths.of(shop.root / STATE_DIR).live()
    assert live is not None
    db = sqlite3.connect(live)
    db.execute("DELETE FROM meta WHERE key = 'column_types'")  # as an earlier personae wrote
    db.commit()
    db.close()
    _post(shop, "/v1/track", userId="u-1", event="Order Completed", messageId="old-1")
    with Project.load(shop.root) as project:
        worker = StreamWorker(project)
        try:
            assert worker.step(now=NOW).messages == 0
            assert "run 'personae serving publish'" in (worker.problem or "")
        finally:
            worker.close()
    store = _store(shop.root)
    assert store.traits(_person(store, "user_id", "u-1"))["order_count"] == 2  # untouched


def test_a_person_with_more_events_than_the_store_keeps(
    tmp_path: Path, serve: ServeFactory
) -> None:
    """Jeanne has 28 events; the store keeps 3: her count adds the new order to the
    run's count, which her kept events alone could not give."""
    extra = "serving:\n  events_per_person: 3\n"
    build_shop(tmp_path, extra=extra)
    served = serve(CONFIG + extra)
    store = _store(tmp_path)
    jeanne = _person(store, "user_id", "u-1")
    assert len(store.events(jeanne)) == 3 and store.traits(jeanne)["page_views"] == 25
    store.close()
    _post(served, "/v1/track", userId="u-1", event="Order Completed", messageId="t-1")
    _post(served, "/v1/page", userId="u-1", name="Home", messageId="t-2")
    _step(tmp_path)
    store = _store(tmp_path)
    traits = store.traits(jeanne)
    assert (traits["order_count"], traits["page_views"]) == (3, 26)
    assert [s["segment"] for s in store.segments(jeanne)] == ["browsers", "buyers"]


def test_the_worker_drops_triggers_older_than_the_queue_keeps(shop: Served) -> None:
    from personae.activate.triggers import KEEP_DAYS, Trigger

    old = (NOW - dt.timedelta(days=KEEP_DAYS + 1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with TriggerQueue(shop.root / STATE_DIR) as queue:
        queue.append([Trigger("entered", 1, "buyers", old, "old-one")])
        assert len(queue.read(0)) == 1
    _step(shop.root)
    with TriggerQueue(shop.root / STATE_DIR) as queue:
        assert queue.read(0) == []
