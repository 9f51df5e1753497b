"""The orchestrator: caps, priorities, contradictory offers, suppression, dedupe, control
groups and channel rules; every decision is a row with its reason."""

from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

import pytest

from activate.journey_world import D, FakeConnector, World, connectors_of
from personae.activate.orchestrator import (
    Candidate,
    Orchestrator,
    decisions_about,
    deliver,
    in_control_group,
    message_id,
)
from personae.config.loader import parse_config
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError
from personae.protect.suppression import Suppression, suppress

CONFIG = """
consent:
  purposes:
    email_marketing: {channels: [email]}
    sms_marketing: {channels: [sms]}
    advertising: {channels: [ads]}
    promotions: {channels: [email, sms]}
  categories: {}
orchestration:
  caps:
    email: ["1/1d", "3/7d"]
  contradictions: [[welcome_discount, full_price]]
  campaigns:
    welcome: {channel: email, purpose: email_marketing, priority: 1, offer: welcome_discount,
               body: Hi}
    vip_preview: {channel: email, purpose: email_marketing, priority: 9, offer: full_price,
                  body: Hi}
    sms_preview: {channel: sms, purpose: sms_marketing, priority: 9, offer: full_price, body: Hi}
    newsletter: {channel: email, purpose: email_marketing, priority: 3, body: Hi}
    promo: {purpose: promotions, priority: 4}
    receipt: {channel: email, transactional: true, body: Hi}
    holdout: {channel: email, purpose: email_marketing, control_share: 0.25, body: Hi}
"""

NOW = D(2024, 6, 10, 9)


def config() -> ProjectConfig:
    return parse_config(CONFIG)


def ask(
    engine: Engine,
    wanted: list[tuple[int, str, str]],
    now: dt.datetime = NOW,
    fake: FakeConnector | None = None,
    **options: object,
) -> dict[tuple[int, str, str], tuple[str, str]]:
    """Decide and deliver (person, campaign, channel) candidates; -> (status, reason)."""
    cfg = config()
    candidates = [
        Candidate(message_id(p, c, ch, now), c, p, ch, "test", "step") for p, c, ch in wanted
    ]
    decisions = Orchestrator(engine, cfg, **options).decide(candidates, now)  # type: ignore[arg-type]
    deliver(engine, cfg, decisions, connectors_of(fake or FakeConnector()), now)
    return {
        (d.candidate.person_id, d.candidate.campaign, d.candidate.channel): (d.status, d.reason)
        for d in decisions
    }


@pytest.fixture
def world(engine: Engine) -> World:
    w = World(engine)
    for pid in range(1, 9):
        w.person(pid, f"p{pid}@x.fr", phone=f"+3361234567{pid}")
    w.build()
    return w


def test_the_more_important_message_wins_and_contradicting_offers_never_meet(
    engine: Engine, world: World
) -> None:
    fake = FakeConnector()
    got = ask(
        engine,
        [(1, "welcome", "email"), (1, "newsletter", "email"), (1, "vip_preview", "email")],
        fake=fake,
    )
    assert got[(1, "vip_preview", "email")][0] == "sent"
    status, reason = got[(1, "welcome", "email")]
    assert status == "conflict"
    assert "'welcome_discount' contradicts campaign 'vip_preview'" in reason
    status, reason = got[(1, "newsletter", "email")]
    assert status == "outranked"
    assert "cap 1/1d on email" in reason and "'vip_preview' (priority 9)" in reason
    assert fake.to("p1@x.fr") == ["vip_preview"]

    # the contradiction holds across channels and runs for the rest of the day…
    later = ask(engine, [(1, "welcome", "email")], NOW + dt.timedelta(hours=5))
    assert later[(1, "welcome", "email")][0] == "conflict"
    # …but not the next day
    tomorrow = ask(engine, [(1, "welcome", "email")], NOW + dt.timedelta(days=1))
    assert tomorrow[(1, "welcome", "email")] == ("sent", "sent")


def test_caps_count_earlier_runs_per_day_and_per_week(engine: Engine, world: World) -> None:
    assert ask(engine, [(2, "newsletter", "email")])[(2, "newsletter", "email")][0] == "sent"
    again = ask(engine, [(2, "vip_preview", "email")], NOW + dt.timedelta(hours=3))
    assert again[(2, "vip_preview", "email")] == (
        "capped",
        "cap 1/1d on email already reached",
    )
    # an SMS has no cap here, and a transactional e-mail ignores caps
    more = ask(
        engine,
        [(2, "sms_preview", "sms"), (2, "receipt", "email")],
        NOW + dt.timedelta(hours=4),
    )
    assert more[(2, "sms_preview", "sms")][0] == "sent"
    assert more[(2, "receipt", "email")][0] == "sent"
    ask(engine, [(2, "vip_preview", "email")], NOW + dt.timedelta(days=1))
    ask(engine, [(2, "welcome", "email")], NOW + dt.timedelta(days=2))
    week = ask(engine, [(2, "holdout", "email")], NOW + dt.timedelta(days=3))
    assert week[(2, "holdout", "email")] == ("capped", "cap 3/7d on email already reached")
    # a week after the first send, one more fits
    later = ask(engine, [(2, "holdout", "email")], NOW + dt.timedelta(days=7, hours=1))
    assert later[(2, "holdout", "email")][0] in ("sent", "control")


def test_suppression_says_why(engine: Engine, tmp_path: Path) -> None:
    w = World(engine)
    w.person(1, "ok@x.fr")
    w.person(2, "no-consent@x.fr", email_ok=False)
    w.person(3, None)
    w.person(4, "bounced@x.fr")
    w.person(5, "erased@x.fr")
    w.person(6, "merged@x.fr", live=False)
    w.event(4, "Email Bounced", NOW - dt.timedelta(days=3))
    w.build()
    suppress(tmp_path, [("email", "Erased@X.fr")])
    everyone = [(p, "newsletter", "email") for p in range(1, 7)]
    receipts = [(p, "receipt", "email") for p in range(1, 7)]
    fake = FakeConnector()
    got = ask(engine, everyone + receipts, fake=fake, suppression=Suppression.load(tmp_path))
    assert got[(1, "newsletter", "email")][0] == "sent"
    reasons = {p: got[(p, "newsletter", "email")] for p in range(2, 7)}
    assert reasons == {
        2: (
            "suppressed",
            "no consent for email_marketing on email (unsubscribed or never granted)",
        ),
        3: ("suppressed", "no email to reach them on email"),
        4: ("suppressed", "stopped on email by Email Bounced on 2024-06-07"),
        5: ("suppressed", "the email is on the suppression list (an erased person's)"),
        6: (
            "suppressed",
            "the person no longer exists (erased, or merged into another person)",
        ),
    }
    # a transactional message needs no marketing consent, but never reaches the others
    assert got[(2, "receipt", "email")][0] == "sent"
    assert [got[(p, "receipt", "email")][0] for p in (3, 4, 5, 6)] == ["suppressed"] * 4
    assert sorted(m.to for m in fake.sent) == ["no-consent@x.fr", "ok@x.fr", "ok@x.fr"]


def test_the_same_message_is_sent_once_across_channels_and_runs(
    engine: Engine, world: World
) -> None:
    fake = FakeConnector()
    got = ask(engine, [(3, "promo", "email"), (3, "promo", "sms")], fake=fake)
    assert got[(3, "promo", "email")][0] == "sent"
    status, reason = got[(3, "promo", "sms")]
    assert status == "deduped" and "the same campaign goes to them on email" in reason
    again = ask(engine, [(3, "promo", "sms")], NOW + dt.timedelta(days=2), fake=fake)
    assert again[(3, "promo", "sms")] == ("deduped", "already got it on 2024-06-10 09:00")
    assert len(fake.sent) == 1


def test_a_control_group_is_held_out_the_same_way_every_time(engine: Engine) -> None:
    w = World(engine)
    for pid in range(1, 201):
        w.person(pid, f"p{pid}@x.fr")
    w.build()
    fake = FakeConnector()
    got = ask(engine, [(p, "holdout", "email") for p in range(1, 201)], fake=fake)
    held = {p for (p, _, _), (status, _) in got.items() if status == "control"}
    assert held == {p for p in range(1, 201) if in_control_group("holdout", p, 0.25)}
    assert 30 <= len(held) <= 70  # about 25% of 200
    assert len(fake.sent) == 200 - len(held)
    assert not {m.person_id for m in fake.sent} & held
    (row,) = decisions_about(engine, min(held))
    assert row["status"] == "control"
    assert "control group of 25% of campaign 'holdout'" in row["reason"]
    # a held-out person stays out on the next run, without a second control row
    again = ask(engine, [(min(held), "holdout", "email")], NOW + dt.timedelta(days=1))
    assert again[(min(held), "holdout", "email")][0] == "deduped"


def test_channel_rules_hold_marketing_back_but_not_transactional(
    engine: Engine, world: World
) -> None:
    def no_sms_on_sunday(channel: str, when: dt.datetime) -> str | None:
        return "no commercial SMS on Sundays" if channel == "sms" else None

    got = ask(
        engine,
        [(4, "sms_preview", "sms"), (4, "newsletter", "email")],
        channel_rule=no_sms_on_sunday,
    )
    assert got[(4, "sms_preview", "sms")] == ("quiet_hours", "no commercial SMS on Sundays")
    assert got[(4, "newsletter", "email")][0] == "sent"


def test_every_decision_is_a_row_and_failures_are_recorded(engine: Engine, world: World) -> None:
    fake = FakeConnector(fail={"p5@x.fr": "permanent", "p6@x.fr": "transient"})
    got = ask(engine, [(p, "newsletter", "email") for p in (5, 6, 7)], fake=fake)
    assert got[(5, "newsletter", "email")] == ("failed", "refused: 550 mailbox unavailable")
    assert got[(6, "newsletter", "email")][1].startswith("temporary failure, retried")
    rows = engine.rows(
        "SELECT person_id, status, provider_id FROM activation_messages ORDER BY person_id"
    )
    assert rows == [(5, "failed", None), (6, "failed", None), (7, "sent", "p-1")]
    assert fake.closed == 1


def test_an_unknown_campaign_is_named_with_a_fix(engine: Engine, world: World) -> None:
    with pytest.raises(ConfigError, match="no campaign 'newsleter'; did you mean 'newsletter'"):
        ask(engine, [(1, "newsleter", "email")])


def test_orchestration_config_is_checked_with_fixes() -> None:
    with pytest.raises(ConfigError, match="'1 per day' is not a cap; write '1/1d'"):
        parse_config("orchestration: {caps: {email: ['1 per day']}}")
    with pytest.raises(ConfigError, match="no campaign makes the offer 'discount'"):
        parse_config(
            "orchestration: {contradictions: [[discount, vip]], campaigns: "
            "{a: {purpose: email_marketing, offer: vip}}}"
        )
    with pytest.raises(ConfigError, match="needs the purpose it serves"):
        parse_config("orchestration: {campaigns: {a: {channel: email}}}")


def test_the_channels_rules_and_connectors_are_found_when_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from personae.activate.orchestrator import rules

    cfg = config()
    monkeypatch.setitem(sys.modules, rules.RULES_MODULE, None)  # not installed
    assert rules.channel_rule_for(cfg)("sms", NOW) is None
    monkeypatch.setitem(sys.modules, rules.CONNECTORS_MODULE, None)
    with pytest.raises(ConfigError, match="no message connector is installed to send 'sms'"):
        rules.connectors_for(cfg, tmp_path)("sms")

    channels = types.ModuleType(rules.RULES_MODULE)
    channels.channel_allows = lambda channel, at: (  # type: ignore[attr-defined]
        (False, "no commercial sms on Sundays") if at.weekday() == 6 else (True, "fine")
    )
    monkeypatch.setitem(sys.modules, rules.RULES_MODULE, channels)
    rule = rules.channel_rule_for(cfg)
    assert rule("sms", D(2024, 6, 9, 12)) == "no commercial sms on Sundays"
    assert rule("sms", D(2024, 6, 10, 12)) is None

    fake = FakeConnector()
    registry = types.ModuleType(rules.CONNECTORS_MODULE)
    registry.message_connector = lambda config, root, channel: fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, rules.CONNECTORS_MODULE, registry)
    assert rules.connectors_for(cfg, tmp_path)("email") is fake
