"""Collected messages as canonical records and events, and identity from events."""

from __future__ import annotations

from typing import Any

from helpers.collect import ServeFactory
from personae.clean.collected import (
    collected_events_sql,
    collected_phone_request,
    collected_records_sql,
)
from personae.clean.lookups import PHONE, PHONE_KIND, refresh_lookup
from personae.clean.plan import record_columns
from personae.collect.status import tracking_plan_counts
from personae.ingest.collected import load_collected
from personae.project import Project

PLAN_CONFIG = """
custom_fields:
  plan_tier: {type: string}
collect:
  flush_seconds: 60
  tracking_plans:
    order_has_revenue:
      event: Order Completed
      schema:
        type: object
        required: [properties]
        properties:
          properties: {type: object, required: [revenue]}
    no_test_pages:
      type: page
      mode: reject
      schema:
        not: {properties: {name: {const: test}}, required: [name]}
"""


def _load(root: Any) -> Project:
    project = Project.load(root)
    load_collected(project)
    return project


def test_records_and_events_match_the_clean_tables(serve: ServeFactory) -> None:
    s = serve(PLAN_CONFIG)
    batch = [
        {
            "type": "page",
            "anonymousId": "anon-1",
            "name": "Home",
            "messageId": "p1",
            "context": {"device": {"id": "dev-9"}},
        },
        {
            "type": "identify",
            "userId": "user-1",
            "anonymousId": "anon-1",
            "messageId": "i1",
            "traits": {"email": "  Zoe@Example.FR ", "firstName": "Zoë", "lastName": "Martin"},
        },
        {
            "type": "track",
            "userId": "user-1",
            "event": "Order Completed",
            "messageId": "t1",
            "properties": {"revenue": 12.5},
            "context": {"traits": {"email": "zoe@example.fr"}},
        },
        {"type": "alias", "userId": "user-1", "previousId": "anon-0", "messageId": "a1"},
        {"type": "screen", "userId": "user-1", "name": "Cart", "messageId": "s1"},
        {"type": "group", "userId": "user-1", "groupId": "acme", "messageId": "g1"},
    ]
    assert s.post("/v1/batch", {"batch": batch}).status_code == 200
    s.collector.flush()
    with _load(s.root) as project:
        engine = project.engine
        refresh_lookup(engine, PHONE, [collected_phone_request(project.config)])
        refresh_lookup(engine, PHONE_KIND, [])
        engine.create_table_as("_r", collected_records_sql(project.config))
        engine.create_table_as("_e", collected_events_sql(project.config))
        expected = ["source", "record_id", "source_kind", "observed_at"]
        expected += [c for c, _ in record_columns(project.config)]
        assert engine.columns("_r") == expected
        assert engine.columns("_e") == ["source", "record_id", "event", "timestamp", "properties"]
        records = {
            r[0]: r[1:]
            for r in engine.rows(
                "SELECT record_id, source, source_kind, email, user_id, anonymous_id, "
                "device_id, first_name, first_name_key, last_name FROM _r"
            )
        }
        assert records["p1"] == ("web", "events", None, None, "anon-1", "dev-9", None, None, None)
        assert records["i1"][2:5] == ("zoe@example.fr", "user-1", "anon-1")
        assert records["i1"][6:] == ("Zoë", "zoe", "Martin")
        assert records["t1"][2] == "zoe@example.fr"
        assert records["a1"][3:5] == ("user-1", "anon-0")
        events = dict(engine.rows("SELECT record_id, event FROM _e"))
        assert events == {
            "p1": "Page Viewed",
            "i1": "Identified",
            "t1": "Order Completed",
            "a1": "Alias",
            "s1": "Screen Viewed",
            "g1": "Group",
        }
        props = engine.scalar("SELECT properties FROM _e WHERE record_id = 't1'")
        assert props == '{"revenue":12.5}'
        assert engine.scalar("SELECT properties FROM _e WHERE record_id = 'a1'") == "{}"


def test_tracking_plans_record_or_reject(serve: ServeFactory) -> None:
    s = serve(PLAN_CONFIG)
    ok = s.post("/v1/track", {"userId": "u", "event": "Order Completed", "properties": {}})
    assert ok.status_code == 200
    rejected = s.post("/v1/page", {"userId": "u", "name": "test"})
    assert rejected.status_code == 400
    assert rejected.json()["code"] == "tracking_plan_violation"
    assert "no_test_pages" in rejected.json()["message"]
    assert s.post("/v1/page", {"userId": "u", "name": "home"}).status_code == 200
    (violating,) = [r for r in s.rows() if r["violations"]]
    assert "'revenue' is a required property" in violating["violations"]
    with _load(s.root) as project:
        assert tracking_plan_counts(project.engine) == {"order_has_revenue": 1}
