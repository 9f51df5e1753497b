"""Journeys: event entries and re-entry rules, exits, waiting for an event, branching on
a condition, retries of held-back messages, changed configurations, and the checks of
``journeys:`` with their fixes."""

from __future__ import annotations

import datetime as dt

import pytest

from activate.journey_world import D, FakeConnector, World, connectors_of
from personae.activate.journeys import journey_status, run_journeys
from personae.activate.orchestrator import FixedClock, Held
from personae.config.journeys import Orchestration
from personae.config.loader import parse_config
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, NotFoundError

NOW = D(2024, 6, 10, 9)

BASE = """
consent: {categories: {}}
traits:
  vip_score: {aggregate: count, event: Order Completed}
segments:
  fans:
    all: [{trait: vip_score, ">=": 20}]
destinations:
  meta_fans: {type: file, segment: fans, path: out/fans.csv, purpose: advertising}
orchestration:
  campaigns:
    thanks: {channel: email, purpose: email_marketing, body: Hi}
    reminder: {channel: email, purpose: email_marketing, body: Hi}
    big_spender: {channel: email, purpose: email_marketing, body: Hi}
    text: {channel: sms, purpose: sms_marketing, body: Hi}
"""


def config(journeys: str, *, fans_of: str | None = None) -> ProjectConfig:
    """``fans_of``: the journey whose audience steps feed destination meta_fans."""
    base = BASE
    if fans_of is not None:
        base = base.replace("segment: fans, path:", f"audience: {{journey: {fans_of}}}, path:")
    return parse_config(base + "journeys:\n" + journeys)


def paths(engine: Engine, journey: str) -> dict[int, str]:
    return {
        int(p): str(path)
        for p, path in engine.rows(
            f"SELECT person_id, path FROM journey_state WHERE journey = '{journey}'"
        )
    }


@pytest.fixture
def world(engine: Engine) -> World:
    w = World(engine)
    for pid in range(1, 5):
        w.person(pid, f"p{pid}@x.fr", phone=f"+3361234567{pid}")
    w.build()
    return w


REENTRY = """
  after_order:
    entry: {{event: Order Completed, lookback: 2d}}
    reentry: {reentry}
    steps:
      - send: {{campaign: thanks}}
"""


@pytest.mark.parametrize(
    ("reentry", "entries"),
    [("never", 1), ("always", 3), ("3d", 2)],
)
def test_event_entry_and_reentry_rules(
    engine: Engine, world: World, reentry: str, entries: int
) -> None:
    cfg = config(REENTRY.format(reentry=reentry))
    clock = FixedClock(NOW)
    world.add_event(1, "Order Completed", NOW - dt.timedelta(days=3))  # too old: no entry
    assert (
        run_journeys(engine, cfg, clock, connectors_of(FakeConnector()))
        .journeys["after_order"]
        .entered
        == 0
    )
    entered = 0
    for days in (0, 2, 4):  # an order on day 0, day 2 and day 4
        clock.set(NOW + dt.timedelta(days=days))
        world.add_event(1, "Order Completed", clock.now() - dt.timedelta(hours=1))
        report = run_journeys(engine, cfg, clock, connectors_of(FakeConnector()))
        entered += report.journeys["after_order"].entered
        # the same order does not make them enter twice
        clock.advance(hours=1)
        again = run_journeys(engine, cfg, clock, connectors_of(FakeConnector()))
        entered += again.journeys["after_order"].entered
    assert entered == entries


def test_exit_when_ends_the_journey_for_those_who_left_the_segment(
    engine: Engine, world: World
) -> None:
    cfg = config(
        """
  fan_club:
    entry: {segment: fans}
    exit_when: [{segment: fans, member: false}]
    steps:
      - wait: 2d
      - send: {campaign: thanks}
"""
    )
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id IN (2, 3)"
    )
    clock = FixedClock(NOW)
    fake = FakeConnector()
    run_journeys(engine, cfg, clock, connectors_of(fake))
    engine.execute("DELETE FROM segment_membership WHERE person_id = 3")
    clock.advance(days=2)
    report = run_journeys(engine, cfg, clock, connectors_of(fake))
    assert report.journeys["fan_club"].exited == 1
    assert paths(engine, "fan_club") == {
        2: "wait_1 > send_2:sent > exit:end",
        3: "exited:not in segment fans",
    }
    assert fake.to("p3@x.fr") == []


def test_wait_until_an_event_or_the_end_of_the_window(engine: Engine, world: World) -> None:
    cfg = config(
        """
  nudge:
    entry: {segment: fans}
    steps:
      - name: wait_visit
        wait_until: {event: Page Viewed, within: 3d, else: remind}
      - send: {campaign: thanks}
      - exit: visited
      - name: remind
        send: {campaign: reminder}
"""
    )
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id IN (1, 2)"
    )
    world.add_event(1, "Page Viewed", NOW - dt.timedelta(hours=1))  # before: does not count
    clock = FixedClock(NOW)
    fake = FakeConnector()
    run_journeys(engine, cfg, clock, connectors_of(fake))
    clock.advance(days=1)
    world.add_event(2, "Page Viewed", clock.now() - dt.timedelta(hours=1))
    run_journeys(engine, cfg, clock, connectors_of(fake))
    assert fake.to("p2@x.fr") == ["thanks"]
    assert fake.to("p1@x.fr") == []
    clock.advance(days=2)
    run_journeys(engine, cfg, clock, connectors_of(fake))
    assert fake.to("p1@x.fr") == ["reminder"]
    assert paths(engine, "nudge") == {
        1: "wait_visit:timeout > remind:sent > exit:end",
        2: "wait_visit:yes > send_2:sent > exit_3:visited",
    }


def test_a_branch_on_a_trait_condition_and_an_audience_step(engine: Engine, world: World) -> None:
    cfg = config(
        """
  sort:
    entry: {segment: fans}
    steps:
      - name: big
        branch: {condition: {trait: vip_score, ">=": 30}, else: audience}
      - send: {campaign: big_spender}
      - exit: mailed
      - name: audience
        audience: {add: meta_fans}
      - name: later
        wait: 1d
      - audience: {remove: meta_fans}
""",
        fans_of="sort",
    )
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id IN (2, 3, 4)"
    )
    clock = FixedClock(NOW)
    fake = FakeConnector()
    run_journeys(engine, cfg, clock, connectors_of(fake))
    assert sorted(m.to for m in fake.sent) == ["p3@x.fr", "p4@x.fr"]
    assert paths(engine, "sort")[2] == "big:no > audience:added"
    clock.advance(days=1)
    run_journeys(engine, cfg, clock, connectors_of(fake))
    assert (
        paths(engine, "sort")[2]
        == "big:no > audience:added > later > audience_6:removed > exit:end"
    )
    rows = engine.rows(
        "SELECT destination, person_id, added_at, removed_at FROM journey_audience_members"
        " ORDER BY coalesce(added_at, removed_at)"
    )
    assert rows == [("meta_fans", 2, NOW, None), ("meta_fans", 2, None, NOW + dt.timedelta(days=1))]


def test_a_held_back_message_is_retried_at_the_next_tick_with_the_same_id(
    engine: Engine, world: World
) -> None:
    cfg = config(
        """
  texts:
    entry: {segment: fans}
    steps:
      - send: {campaign: text}
"""
    )
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id IN (1, 2)"
    )
    night = {"blocked": True}

    def quiet(channel: str, when: dt.datetime) -> str | None:
        return "SMS: quiet hours (20:00-08:00)" if night["blocked"] else None

    clock = FixedClock(NOW)
    fake = FakeConnector(fail={"+33612345672": "transient"})
    first = run_journeys(engine, cfg, clock, connectors_of(fake), channel_rule=quiet)
    assert first.journeys["texts"].messages == {"quiet_hours": 2}
    assert journey_status(engine, "texts", cfg.journeys["texts"]).count("send_1", "waiting") == 2
    night["blocked"] = False
    clock.advance(hours=12)
    second = run_journeys(engine, cfg, clock, connectors_of(fake), channel_rule=quiet)
    assert second.journeys["texts"].messages == {"sent": 1, "failed": 1}
    fake.fail.clear()
    clock.advance(hours=1)
    run_journeys(engine, cfg, clock, connectors_of(fake), channel_rule=quiet)
    assert [m.to for m in fake.sent] == ["+33612345671", "+33612345672"]
    ids = engine.rows(
        "SELECT count(DISTINCT message_id), count(*) FROM activation_messages WHERE person_id = 2"
    )
    assert ids == [(1, 3)]  # quiet hours, failed, sent: one message id
    assert paths(engine, "texts") == {1: "send_1:sent > exit:end", 2: "send_1:sent > exit:end"}


def test_persons_at_a_step_removed_from_the_journey_leave_it(engine: Engine, world: World) -> None:
    before = config(
        """
  j:
    entry: {segment: fans}
    steps:
      - name: pause
        wait: 2d
      - send: {campaign: thanks}
"""
    )
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id = 1"
    )
    clock = FixedClock(NOW)
    run_journeys(engine, before, clock, connectors_of(FakeConnector()))
    after = config(
        """
  j:
    entry: {segment: fans}
    steps:
      - send: {campaign: thanks}
"""
    )
    report = run_journeys(engine, after, clock, connectors_of(FakeConnector()))
    assert report.journeys["j"].exited == 1
    assert paths(engine, "j") == {1: "exited:step pause no longer exists"}


@pytest.mark.parametrize(
    ("journey", "message"),
    [
        (
            "{entry: {segment: fans}, steps: [{branch: {segment: fans, then: nowhere}}]}",
            "jumps to 'nowhere', which is no step",
        ),
        (
            "{entry: {segment: fans, event: x}, steps: [{wait: 1d}]}",
            "an entry is a segment or an event, exactly one of them",
        ),
        (
            "{entry: {segment: fans}, steps: [{wait: 1d, send: {campaign: thanks}}]}",
            "a step is exactly one of send, wait, wait_until, branch, audience, exit",
        ),
        (
            "{entry: {segment: fans}, steps: [{name: w, wait: 1d}, {branch: {event: Email "
            "Opened, message_of: w}}]}",
            "message_of 'w' must name a send step",
        ),
        (
            "{entry: {segment: fans}, steps: [{name: a, send: {campaign: thanks}}, "
            "{name: b, branch: {segment: fans, then: a}}]}",
            r"steps loop without waiting \(a > b > a\); add a wait step",
        ),
        (
            "{entry: {segment: fans}, reentry: sometimes, steps: [{wait: 1d}]}",
            "reentry 'sometimes': use never, always, or a cool-down such as 30d",
        ),
    ],
)
def test_journeys_are_checked_with_fixes(journey: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config(f"  j: {journey}\n")


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            "[{branch: {condition: {trait: vip_scor, '>=': 1}}}]",
            "journeys.j.steps.0..branch.condition.trait: unknown trait.*did you mean 'vip_score'",
        ),
        ("[{send: {campaign: thank}}]", "no campaign 'thank'; did you mean 'thanks'"),
        ("[{send: {campaign: thanks, channel: sms}}]", "does not reach people by 'sms'"),
        ("[{audience: {add: meta}}]", "no destination 'meta'"),
        ("[{branch: {segment: fan}}]", "no segment 'fan'"),
    ],
)
def test_references_are_checked_when_journeys_run(
    engine: Engine, world: World, steps: str, message: str
) -> None:
    cfg = config(f"  j: {{entry: {{segment: fans}}, steps: {steps}}}\n")
    with pytest.raises(ConfigError, match=message):
        run_journeys(engine, cfg, FixedClock(NOW), connectors_of(FakeConnector()))


def test_orchestration_names_known_channels_and_purposes(engine: Engine, world: World) -> None:
    base = config("  j: {entry: {segment: fans}, steps: [{wait: 1d}]}\n")
    for rules, message in [
        ({"caps": {"pigeon": ["1/1d"]}}, "orchestration.caps.pigeon: channel 'pigeon' is not"),
        (
            {"campaigns": {"x": {"channel": "sms", "purpose": "email_marketing"}}},
            "orchestration.campaigns.x: purpose 'email_marketing' does not reach people by 'sms'",
        ),
    ]:
        cfg = base.model_copy(update={"orchestration": Orchestration.model_validate(rules)})
        with pytest.raises(ConfigError, match=message):
            run_journeys(engine, cfg, FixedClock(NOW), connectors_of(FakeConnector()))


def test_an_unknown_journey_is_named(engine: Engine, world: World) -> None:
    cfg = config("  j: {entry: {segment: fans}, steps: [{wait: 1d}]}\n")
    with pytest.raises(NotFoundError, match="no journey 'k'"):
        run_journeys(engine, cfg, FixedClock(NOW), connectors_of(FakeConnector()), ["k"])


def test_quiet_hours_hold_the_message_until_the_channel_opens(engine: Engine, world: World) -> None:
    cfg = config("  texts: {entry: {segment: fans}, steps: [{send: {campaign: text}}]}\n")
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id = 1"
    )
    opens = D(2024, 6, 11, 6)

    def quiet(channel: str, when: dt.datetime) -> Held | None:
        return Held("quiet hours on sms", opens) if when < opens else None

    clock = FixedClock(D(2024, 6, 10, 21))
    fake = FakeConnector()
    for _ in range(3):  # hourly ticks in the night: one decision, no retry before 06:00
        run_journeys(engine, cfg, clock, connectors_of(fake), channel_rule=quiet)
        clock.advance(hours=1)
    clock.set(opens)
    run_journeys(engine, cfg, clock, connectors_of(fake), channel_rule=quiet)
    rows = engine.rows("SELECT status, decided_at FROM activation_messages ORDER BY decided_at")
    assert rows == [("quiet_hours", D(2024, 6, 10, 21)), ("sent", opens)]
    assert fake.to("+33612345671") == ["text"]


def test_a_merged_person_carries_on_and_is_not_sent_the_same_message_twice(
    engine: Engine, world: World
) -> None:
    cfg = config(
        """
  welcome:
    entry: {segment: fans}
    steps:
      - send: {campaign: thanks}
      - name: pause
        wait: 2d
      - send: {campaign: reminder}
"""
    )
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id IN (1, 2)"
    )
    clock = FixedClock(NOW)
    fake = FakeConnector()
    run_journeys(engine, cfg, clock, connectors_of(fake))
    # person 2 turns out to be person 3 (not in the journey): 3 is who survives
    engine.execute("UPDATE persons SET merged_into = 3 WHERE person_id = 2")
    engine.execute("UPDATE segment_membership SET person_id = 3 WHERE person_id = 2")
    clock.advance(days=1)
    run_journeys(engine, cfg, clock, connectors_of(fake))
    found = paths(engine, "welcome")
    assert found[2] == "send_1:sent > exited:merged into person 3"
    assert found[3] == "send_1:sent"  # waiting at pause, not back at the start
    clock.advance(days=1)
    run_journeys(engine, cfg, clock, connectors_of(fake))
    assert [(m.person_id, m.campaign) for m in fake.sent] == [
        (1, "thanks"),
        (2, "thanks"),
        (1, "reminder"),
        (3, "reminder"),
    ]
    # a journey that sends "thanks" again treats 3 as having had it, as 2
    again = config("  again: {entry: {segment: fans}, steps: [{send: {campaign: thanks}}]}\n")
    report = run_journeys(engine, again, clock, connectors_of(fake))
    assert report.journeys["again"].messages == {"deduped": 2}


def test_a_temporary_failure_is_retried_after_the_time_the_provider_asked(
    engine: Engine, world: World
) -> None:
    cfg = config("  mail: {entry: {segment: fans}, steps: [{send: {campaign: thanks}}]}\n")
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id = 1"
    )
    fake = FakeConnector(fail={"p1@x.fr": "transient"})  # retry_after=1 (second)
    clock = FixedClock(NOW)
    run_journeys(engine, cfg, clock, connectors_of(fake))
    state = engine.rows("SELECT status, next_at FROM journey_state")
    assert state == [("waiting", NOW + dt.timedelta(seconds=1))]
    fake.fail.clear()
    run_journeys(engine, cfg, clock, connectors_of(fake))  # too early: nothing
    assert fake.sent == []
    clock.advance(seconds=1)
    run_journeys(engine, cfg, clock, connectors_of(fake))
    assert fake.to("p1@x.fr") == ["thanks"]


TWO_JOURNEYS = """
consent: {categories: {}}
segments:
  fans: {all: [{trait: record_count, ">=": 1}]}
orchestration:
  caps: {email: ["1/16h"]}
  contradictions: [[welcome_discount, full_price_preview]]
  campaigns:
    welcome_20: {channel: email, purpose: email_marketing, priority: 1, offer: welcome_discount,
               body: Hi}
    vip_preview: {channel: sms, purpose: sms_marketing, priority: 9, offer: full_price_preview,
                 body: Hi}
    tips: {channel: email, purpose: email_marketing, priority: 2, body: Hi}
journeys:
  welcome:
    entry: {segment: fans}
    steps: [{send: {campaign: welcome_20}}]
  vip:
    entry: {segment: fans}
    steps: [{send: {campaign: vip_preview}}]
  tips:
    entry: {segment: fans}
    steps: [{wait: 1h}, {send: {campaign: tips}}]
"""


def test_journeys_share_one_orchestrator_so_offers_never_contradict(
    engine: Engine, world: World
) -> None:
    cfg = parse_config(TWO_JOURNEYS)
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id = 1"
    )
    fake = FakeConnector()
    clock = FixedClock(NOW)
    report = run_journeys(engine, cfg, clock, connectors_of(fake))
    # the VIP preview (SMS, priority 9) wins; the -20% e-mail would contradict it today
    assert [m.campaign for m in fake.sent] == ["vip_preview"]
    assert report.journeys["welcome"].messages == {"conflict": 1}
    clock.advance(hours=1)
    run_journeys(engine, cfg, clock, connectors_of(fake))
    assert [m.campaign for m in fake.sent] == ["vip_preview", "tips"]
    rows = engine.rows(
        "SELECT journey, status, reason FROM activation_messages ORDER BY decided_at, journey"
    )
    assert rows[0][:2] == ("vip", "sent")
    assert rows[1] == (
        "welcome",
        "conflict",
        "offer 'welcome_discount' contradicts campaign 'vip_preview' (priority 9) chosen today",
    )
    assert rows[2][:2] == ("tips", "sent")


def test_validate_checks_the_journeys_before_any_stage() -> None:
    from personae.pipeline import validate

    orders = (
        "sources:\n  orders: {kind: events, path: orders.csv, record_id: id, fields: "
        "{email: email}, event: {name: Order Completed, timestamp: {column: at}}}\n"
    )
    journeys = "journeys:\n  j: {entry: {segment: fans}, steps: [{send: {campaign: thank}}]}\n"
    with pytest.raises(ConfigError, match="no campaign 'thank'; did you mean 'thanks'"):
        validate(parse_config(orders + BASE + journeys))
