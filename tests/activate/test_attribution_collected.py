"""From collection to the campaign report: the tracking pixel's open (campaign and
message id in its URL), a UTM-tagged page view and an order, all collected by
``personae serve``, run through the pipeline and attributed."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers.attribution import create_messages
from helpers.collect import ServeFactory, basic
from personae.activate.attribution import campaign_report
from personae.pipeline import run
from personae.project import Project


def iso(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_collected_opens_visits_and_orders_are_attributed(serve: ServeFactory) -> None:
    s = serve()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    identify = {
        "type": "identify",
        "userId": "ann",
        "messageId": "ann-1",
        "timestamp": iso(now - dt.timedelta(hours=2)),
        "traits": {"email": "ann@corp.fr"},
    }
    page = {
        "type": "page",
        "userId": "ann",
        "messageId": "ann-2",
        "timestamp": iso(now - dt.timedelta(minutes=30)),
        "properties": {"path": "/sale", "utm_campaign": "summer", "utm_medium": "cpc"},
    }
    assert s.post("/v1/batch", {"batch": [identify, page]}).status_code == 200
    pixel = s.client.get(
        "/v1/pixel.gif",
        params={"userId": "ann", "campaign": "welcome", "message_id": "m1"},
        headers=basic(s.key),
    )
    assert pixel.status_code == 200
    order = {
        "type": "track",
        "event": "Order Completed",
        "userId": "ann",
        "messageId": "ann-3",
        "timestamp": iso(now + dt.timedelta(minutes=2)),
        "properties": {"revenue": 90, "order_id": "A1"},
    }
    assert s.post("/v1/batch", {"batch": [order]}).status_code == 200
    s.collector.flush()
    with Project.load(s.root) as project:
        run(project)
        engine = project.engine
        person = engine.scalar("SELECT person_id FROM profiles WHERE user_id = 'ann'")
        sent_at = (now - dt.timedelta(hours=1)).replace(tzinfo=None).isoformat(sep=" ")
        create_messages(engine, (("m1", "welcome", person, "email", "sent", sent_at),))
        report = campaign_report(engine, project.config)
    rows = {(r.campaign, r.channel): r for r in report.rows}
    assert set(rows) == {("welcome", "email"), ("summer", "cpc")}
    welcome, summer = rows["welcome", "email"], rows["summer", "cpc"]
    assert (welcome.delivered, welcome.opens, summer.visits) == (1, 1, 1)
    assert (report.conversions, report.revenue) == (1, 90.0)
    # touches: delivered (-1h) and open (~0) of welcome, the summer visit (-30 min)
    assert welcome.model("first").revenue == pytest.approx(90.0)
    assert welcome.model("last").revenue == pytest.approx(90.0)
    assert welcome.model("linear").revenue == pytest.approx(60.0)
    assert summer.model("linear").revenue == pytest.approx(30.0)
