"""Events collected by the server reach the pipeline: stitched, counted in traits."""

from __future__ import annotations

from helpers.collect import ServeFactory
from personae.pipeline import run
from personae.project import Project

CONFIG = """
as_of: 2026-11-01
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {customer_id: id, user_id: id, email: email, first_name: first}
traits:
  order_count: {aggregate: count, event: Order Completed}
  revenue: {aggregate: sum, event: Order Completed, of: revenue}
  pages: {aggregate: count, event: Page Viewed}
collect:
  flush_seconds: 60
"""


def test_collected_events_join_the_crm_person(serve: ServeFactory) -> None:
    served = serve(CONFIG)
    (served.root / "crm.csv").write_text("id,email,first\nu1,jeanne@example.org,Jeanne\n")
    batch = {
        "batch": [
            {
                "type": "page",
                "anonymousId": "anon-1",
                "messageId": "m1",
                "timestamp": "2026-10-30T10:00:00Z",
            },
            {
                "type": "identify",
                "anonymousId": "anon-1",
                "userId": "u1",
                "messageId": "m2",
                "traits": {"email": "Jeanne@Example.org"},
                "timestamp": "2026-10-30T10:01:00Z",
            },
            {
                "type": "track",
                "userId": "u1",
                "event": "Order Completed",
                "messageId": "m3",
                "properties": {"revenue": 42.5},
                "timestamp": "2026-10-30T10:02:00Z",
            },
        ]
    }
    assert served.post("/v1/batch", batch).status_code == 200
    served.collector.flush()
    with Project.load(served.root) as project:
        run(project)
        engine = project.engine
        persons = engine.rows("SELECT count(DISTINCT person_id) FROM identity_map")[0][0]
        assert persons == 1  # the anonymous page view, the identify and the CRM row
        row = engine.query("SELECT order_count, revenue, pages FROM traits").to_pylist()[0]
        assert row == {"order_count": 1, "revenue": 42.5, "pages": 1}


def test_a_phone_in_identify_traits_links_to_the_crm_phone(serve: ServeFactory) -> None:
    config = CONFIG.replace("email: email, first_name: first}", "phone: tel, first_name: first}")
    served = serve(config)
    (served.root / "crm.csv").write_text("id,tel,first\nu9,+33612345678,Jeanne\n")
    identify = {
        "type": "identify",
        "anonymousId": "anon-7",
        "messageId": "m7",
        "traits": {"phone": "06 12 34 56 78", "firstName": "Jeanne"},
        "timestamp": "2026-10-30T10:01:00Z",
    }
    assert served.post("/v1/identify", identify).status_code == 200
    served.collector.flush()
    with Project.load(served.root) as project:
        run(project)
        rows = project.engine.rows("SELECT phone FROM records ORDER BY source")
        assert rows == [("+33612345678",), ("+33612345678",)]
        persons = project.engine.scalar("SELECT count(DISTINCT person_id) FROM identity_map")
        assert persons == 1
