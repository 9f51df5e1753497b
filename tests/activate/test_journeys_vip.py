"""The seed's VIP journey over simulated days: "customers who bought accessories and
visited the site this week become VIP tier 1; if they opened the last e-mail, they get a
second one with recommended products; if not, they join a Facebook audience"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from activate.journey_world import D, FakeConnector, World, connectors_of
from personae.activate.journeys import journey_status, journeys_of, run_journeys
from personae.activate.orchestrator import FixedClock, decisions_about
from personae.config.loader import parse_config
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.segment.evaluate import evaluate_segments

VIP = """
segments:
  vip_tier_1:
    all:
      - {event: Order Completed, where: "category = 'accessories'", within: 7d}
      - {event: Page Viewed, within: 7d}
destinations:
  facebook_vip:
    type: file
    audience: {journey: vip}
    path: out/facebook.csv
    purpose: advertising
orchestration:
  caps:
    email: ["1/1d", "3/7d"]
  campaigns:
    vip_welcome: {channel: email, purpose: email_marketing, priority: 10,
                  subject: "Welcome to VIP tier 1", body: "Welcome"}
    vip_recommendations: {channel: email, purpose: email_marketing, priority: 5,
                          subject: "Picked for you", body: "Picked for you"}
journeys:
  vip:
    entry: {segment: vip_tier_1}
    steps:
      - name: first_email
        send: {campaign: vip_welcome}
      - name: wait_3d
        wait: 3d
      - name: opened
        branch: {event: Email Opened, message_of: first_email, else: facebook}
      - name: recommendations
        send: {campaign: vip_recommendations}
      - exit: recommended
      - name: facebook
        audience: {add: facebook_vip}
"""

START = D(2024, 6, 10, 9)
ACCESSORIES = {"category": "accessories"}


def config() -> ProjectConfig:
    return parse_config(VIP)


def world(engine: Engine) -> World:
    w = World(engine)
    w.person(1, "ann@x.fr")  # opens the first e-mail: gets recommendations
    w.person(2, "bob@x.fr")  # does not open: joins the Facebook audience
    w.person(3, "cid@x.fr")  # bought shoes, not accessories: never a VIP
    w.person(4, "dee@x.fr", email_ok=False)  # no e-mail consent: suppressed, then Facebook
    w.person(5, "eve@x.fr")  # opens another e-mail, not this one: Facebook
    w.person(6, "fay@x.fr")  # becomes VIP two days later: her own schedule
    for pid in (1, 2, 4, 5):
        w.event(pid, "Order Completed", START - dt.timedelta(days=2), **ACCESSORIES)
        w.event(pid, "Page Viewed", START - dt.timedelta(days=1))
    w.event(3, "Order Completed", START - dt.timedelta(days=2), category="shoes")
    w.event(3, "Page Viewed", START - dt.timedelta(days=1))
    w.build()
    return w


def day(engine: Engine, cfg: ProjectConfig, clock: FixedClock, fake: FakeConnector) -> Any:
    """One simulated day: the pipeline's segments as of today, then a journey tick."""
    evaluate_segments(engine, cfg.model_copy(update={"as_of": clock.now().date()}), clock.now())
    return run_journeys(engine, cfg, clock, connectors_of(fake))


def paths(engine: Engine) -> dict[int, str]:
    return {
        int(r[0]): str(r[1])
        for r in engine.rows("SELECT person_id, path FROM journey_state WHERE journey = 'vip'")
    }


def test_the_vip_journey_over_simulated_days(engine: Engine) -> None:
    cfg = config()
    w = world(engine)
    clock = FixedClock(START)
    fake = FakeConnector()

    report = day(engine, cfg, clock, fake)  # day 0: four VIPs enter, three are e-mailed
    assert report.journeys["vip"].entered == 4
    assert [m.to for m in fake.sent] == ["ann@x.fr", "bob@x.fr", "eve@x.fr"]
    assert {m.campaign for m in fake.sent} == {"vip_welcome"}
    assert report.journeys["vip"].messages == {"sent": 3, "suppressed": 1}
    assert report.journeys["vip"].held == {
        "suppressed: no consent for email_marketing on email (unsubscribed or never granted)": 1
    }
    first = {m.to: m.message_id for m in fake.sent}

    # a second run the same day sends nothing again
    day(engine, cfg, clock, fake)
    assert len(fake.sent) == 3

    # day 1: Ann opens the welcome e-mail; Eve opens some other e-mail
    clock.advance(days=1)
    w.add_event(
        1, "Email Opened", clock.now(), message_id=first["ann@x.fr"], campaign="vip_welcome"
    )
    w.add_event(5, "Email Opened", clock.now(), message_id="another-message", campaign="other")
    # day 2: Fay becomes a VIP
    clock.advance(days=1)
    w.add_event(6, "Order Completed", clock.now() - dt.timedelta(hours=2), **ACCESSORIES)
    w.add_event(6, "Page Viewed", clock.now() - dt.timedelta(hours=1))
    for _ in range(2):
        day(engine, cfg, clock, fake)
    assert fake.to("fay@x.fr") == ["vip_welcome"]
    assert journey_status(engine, "vip", cfg.journeys["vip"]).count("wait_3d", "waiting") == 5

    clock.advance(days=1)  # day 3: the first four's wait is over
    day(engine, cfg, clock, fake)
    assert fake.to("ann@x.fr") == ["vip_welcome", "vip_recommendations"]
    assert fake.to("bob@x.fr") == ["vip_welcome"]
    found = paths(engine)
    assert found[1] == (
        "first_email:sent > wait_3d > opened:yes > recommendations:sent > exit_5:recommended"
    )
    assert found[2] == "first_email:sent > wait_3d > opened:no > facebook:added > exit:end"
    assert found[4] == "first_email:suppressed > wait_3d > opened:no > facebook:added > exit:end"
    assert found[5] == found[2]
    assert found[6] == "first_email:sent"  # still waiting: her three days end on day 5
    assert 3 not in found

    audience = engine.rows(
        "SELECT person_id FROM journey_audience_members WHERE destination = 'facebook_vip' "
        "AND removed_at IS NULL ORDER BY person_id"
    )
    assert [r[0] for r in audience] == [2, 4, 5]

    clock.advance(days=2)  # day 5: Fay did not open
    day(engine, cfg, clock, fake)
    assert paths(engine)[6].endswith("opened:no > facebook:added > exit:end")

    status = journey_status(engine, "vip", cfg.journeys["vip"])
    assert status.count("exit", "done") == 5  # the end of the list
    assert status.count("exit_5", "done") == 0
    assert status.entered == 5
    # Dee's decision is visible with its reason
    (why,) = decisions_about(engine, 4)
    assert why["status"] == "suppressed"
    assert "no consent for email_marketing on email" in why["reason"]
    assert journeys_of(engine, 1)[0]["status"] == "done"
