"""A journey's e-mail is its template rendered for each person: the profile fills the
placeholders, the unsubscribe link, pixel and click redirect are signed for that message,
and a campaign with nothing to send is refused before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from activate.journey_world import D, FakeConnector, World, connectors_of
from personae.activate.journeys import run_journeys, validate_journeys
from personae.activate.orchestrator import FixedClock
from personae.config.loader import parse_config
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError
from personae.segment.evaluate import evaluate_segments

NOW = D(2024, 6, 10, 9)

BASE = """
collect: {public_url: "https://collect.shop.fr"}
traits:
  vip_score: {aggregate: count, event: Order Completed}
segments:
  fans: {all: [{trait: vip_score, ">=": 10}]}
messages:
  email: {from: "Shop <news@shop.fr>"}
  templates:
    welcome:
      subject: "Welcome ${email}"
      text: "Hello ${email}, your score is ${vip_score}. Unsubscribe: ${unsubscribe_url}"
      html: '<p>Hello</p><a href="https://shop.fr/new">new</a>'
    ping: {channel: sms, text: "Hi", commercial: false}
orchestration:
  campaigns:
    CAMPAIGN
journeys:
  hello:
    entry: {segment: fans}
    steps: [{send: {campaign: welcome}}]
"""


def config(campaign: str) -> ProjectConfig:
    return parse_config(BASE.replace("CAMPAIGN", campaign))


def tick(engine: Engine, cfg: ProjectConfig, fake: FakeConnector, root: Path) -> object:
    evaluate_segments(engine, cfg.model_copy(update={"as_of": NOW.date()}), NOW)
    return run_journeys(engine, cfg, FixedClock(NOW), connectors_of(fake), root=root)


def test_the_campaign_template_is_rendered_with_signed_links(
    engine: Engine, tmp_path: Path
) -> None:
    w = World(engine)
    w.person(1, "ann@x.fr")
    w.person(2, None)  # no e-mail: suppressed with the reason, nothing sent
    w.build()
    fake = FakeConnector()
    cfg = config("welcome: {channel: email, purpose: email_marketing}")
    report = tick(engine, cfg, fake, tmp_path)
    assert report.journeys  # type: ignore[attr-defined]["hello"].messages == {"sent": 1, "suppressed": 1}
    (message,) = fake.sent
    assert message.to == "ann@x.fr" and message.subject == "Welcome ann@x.fr"
    assert message.body.startswith("Hello ann@x.fr, your score is 10. Unsubscribe: ")
    unsubscribe = message.extra["unsubscribe_url"]
    assert unsubscribe.startswith("https://collect.shop.fr/") and unsubscribe in message.body
    html = message.extra["html"]
    assert "https://collect.shop.fr/" in html  # the pixel and the click redirect
    assert 'href="https://shop.fr/new"' not in html  # the link goes through the redirect
    assert message.extra["journey"] == "hello" and message.extra["purpose"] == "email_marketing"
    (reason,) = engine.rows("SELECT reason FROM activation_messages WHERE person_id = 2")[0]
    assert "no email" in reason


def test_a_named_template_wins_over_the_campaign_name(engine: Engine, tmp_path: Path) -> None:
    w = World(engine)
    w.person(1, "ann@x.fr")
    w.build()
    fake = FakeConnector()
    cfg = config("welcome: {channel: email, purpose: email_marketing, template: ping}")
    with pytest.raises(ConfigError, match="template 'ping' is a sms message"):
        validate_journeys(cfg)
    cfg = config("welcome: {channel: email, purpose: email_marketing, subject: Hi, body: Hey}")
    cfg.messages.templates.pop("welcome")
    tick(engine, cfg, fake, tmp_path)
    assert [(m.subject, m.body) for m in fake.sent] == [("Hi", "Hey")]


def test_a_campaign_with_nothing_to_send_is_refused() -> None:
    cfg = config("welcome: {channel: email, purpose: email_marketing}")
    cfg.messages.templates.pop("welcome")
    with pytest.raises(ConfigError, match="has nothing to send on email") as error:
        validate_journeys(cfg)
    assert "messages.templates.welcome" in str(error.value)
