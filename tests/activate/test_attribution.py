"""Attribution by each model against answers computed by hand on a small warehouse
(tests/helpers/attribution.py: lookback 7 days, half-life 1 day).

Person 1 converts o1 (100) at 01-05 10:00 after four touches: welcome/email delivered
(4 days before) and opened (3 days), vip/sms delivered (2 days, sent to person 5 who was
merged into 1) and a summer/cpc UTM visit (1 day). Time-decay weights 2^-4, 2^-3, 2^-2,
2^-1 over their sum 0.9375. Person 2 converts o2 (50) a day after welcome/email was
delivered and clicked: every model gives it to welcome/email. o3 (person 3, control
group, no touch) and o4 (person 2, 19 days after the last touch) are not attributed.
"""

from __future__ import annotations

import pytest

from helpers.attribution import EVENT_ROWS, create_warehouse
from personae.activate.attribution import CampaignReport, campaign_report
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import NotFoundError

CONFIG = ProjectConfig.model_validate(
    {"attribution": {"lookback": "7d", "half_life": "1d", "control_groups": {"welcome": "10%"}}}
)

#: (campaign, channel) -> model -> (conversions, revenue)
EXPECTED = {
    ("welcome", "email"): {
        "first": (2.0, 150.0),
        "last": (1.0, 50.0),
        "linear": (1.5, 100.0),
        "time_decay": (1.2, 70.0),
    },
    ("vip", "sms"): {
        "first": (0.0, 0.0),
        "last": (0.0, 0.0),
        "linear": (0.25, 25.0),
        "time_decay": (0.25 / 0.9375, 25.0 / 0.9375 * 1.0),
    },
    ("summer", "cpc"): {
        "first": (0.0, 0.0),
        "last": (1.0, 100.0),
        "linear": (0.25, 25.0),
        "time_decay": (0.5 / 0.9375, 50.0 / 0.9375),
    },
}


@pytest.fixture
def report(engine: Engine) -> CampaignReport:
    create_warehouse(engine)
    return campaign_report(engine, CONFIG)


def rows_by_key(report: CampaignReport) -> dict[tuple[str, str], object]:
    return {(r.campaign, r.channel): r for r in report.rows}


@pytest.mark.parametrize("model", ["first", "last", "linear", "time_decay"])
def test_each_model_matches_the_hand_computed_answer(report: CampaignReport, model: str) -> None:
    rows = {(r.campaign, r.channel): r for r in report.rows}
    assert set(rows) == set(EXPECTED)
    for key, models in EXPECTED.items():
        conversions, revenue = models[model]
        got = rows[key].model(model)
        assert got.conversions == pytest.approx(conversions), (key, model)
        assert got.revenue == pytest.approx(revenue), (key, model)
    # every attributed conversion is shared out whole, in every model
    assert sum(r.model(model).conversions for r in report.rows) == pytest.approx(2)
    assert sum(r.model(model).revenue for r in report.rows) == pytest.approx(150)


def test_counts_per_campaign_and_channel(report: CampaignReport) -> None:
    rows = {(r.campaign, r.channel): r for r in report.rows}
    welcome, vip, summer = rows["welcome", "email"], rows["vip", "sms"], rows["summer", "cpc"]
    assert (welcome.sends, welcome.delivered, welcome.failed) == (2, 2, 0)
    assert (welcome.held, welcome.control) == (1, 1)
    assert (welcome.opens, welcome.clicks, welcome.visits) == (1, 1, 0)
    assert (welcome.conversions, welcome.revenue) == (2, 150.0)
    assert (vip.sends, vip.delivered, vip.failed, vip.held) == (2, 1, 1, 0)
    assert (vip.conversions, vip.revenue) == (1, 100.0)
    assert (summer.sends, summer.visits, summer.conversions) == (0, 1, 1)


def test_totals_count_unattributed_conversions(report: CampaignReport) -> None:
    assert (report.conversions, report.revenue) == (4, 260.0)
    assert (report.attributed_conversions, report.attributed_revenue) == (2, 150.0)
    assert report.has_messages


def test_the_lookback_window_decides_what_is_attributed(engine: Engine) -> None:
    create_warehouse(engine)
    config = ProjectConfig.model_validate({"attribution": {"lookback": "30d"}})
    report = campaign_report(engine, config)
    # o4 (19 days after welcome reached person 2) now counts; o3 still has no touch
    assert report.attributed_conversions == 3
    rows = {(r.campaign, r.channel): r for r in report.rows}
    assert rows["welcome", "email"].model("first").revenue == pytest.approx(230.0)
    short = campaign_report(
        engine, ProjectConfig.model_validate({"attribution": {"lookback": "2d"}})
    )
    # touches at most 2 days before (exactly 2 days counts): o1's vip delivery and summer
    # visit, o2's welcome delivery and click
    shorts = {(r.campaign, r.channel): r for r in short.rows}
    assert shorts["vip", "sms"].model("first").revenue == pytest.approx(100.0)
    assert shorts["summer", "cpc"].model("last").revenue == pytest.approx(100.0)
    assert shorts["welcome", "email"].conversions == 1


def test_half_life_changes_time_decay_only(engine: Engine) -> None:
    create_warehouse(engine)
    config = ProjectConfig.model_validate({"attribution": {"half_life": "2d"}})
    rows = {(r.campaign, r.channel): r for r in campaign_report(engine, config).rows}
    # o1's decays 2^-2, 2^-1.5, 2^-1, 2^-0.5: welcome/email gets the first two
    decays = [2**-2, 2**-1.5, 2**-1, 2**-0.5]
    share = (decays[0] + decays[1]) / sum(decays)
    assert rows["welcome", "email"].model("time_decay").revenue == pytest.approx(100 * share + 50)
    assert rows["welcome", "email"].model("linear").revenue == pytest.approx(100.0)


def test_one_order_seen_by_two_sources_counts_once(engine: Engine) -> None:
    events = (
        ("web", "e1", 1, "Email Opened", "2026-01-02 10:00:00", {"campaign": "welcome"}),
        (
            "shop",
            "o1",
            1,
            "Order Completed",
            "2026-01-03 10:00:00",
            {"revenue": 40, "order_id": "A1"},
        ),
        (
            "sdk",
            "x1",
            1,
            "Order Completed",
            "2026-01-03 10:00:05",
            {"revenue": 40, "order_id": "A1"},
        ),
    )
    create_warehouse(engine, events)
    plain = campaign_report(engine, ProjectConfig())
    assert plain.conversions == 2
    config = ProjectConfig.model_validate(
        {"attribution": {"conversions": {"order_id": "order_id"}}}
    )
    deduped = campaign_report(engine, config)
    assert (deduped.conversions, deduped.revenue) == (1, 40.0)
    assert deduped.rows[0].model("last").revenue == pytest.approx(40.0)


def test_without_activation_messages_tracked_visits_still_count(engine: Engine) -> None:
    create_warehouse(engine, messages=False)
    report = campaign_report(engine, CONFIG)
    rows = {(r.campaign, r.channel): r for r in report.rows}
    assert not report.has_messages
    # o1: the open (campaign property) and the UTM visit; the message-only click is lost
    assert rows["welcome", "email"].model("linear").revenue == pytest.approx(50.0)
    assert rows["summer", "cpc"].model("last").revenue == pytest.approx(100.0)
    assert rows["welcome", "email"].sends == 0


def test_a_messages_table_without_the_contracts_columns_is_named(engine: Engine) -> None:
    create_warehouse(engine, messages=False)
    engine.execute("CREATE TABLE activation_messages AS SELECT 'm1' AS message_id, 1 AS x")
    with pytest.raises(NotFoundError, match="lacks the columns campaign, channel, decided_at"):
        campaign_report(engine, CONFIG)


def test_only_the_first_open_of_a_message_is_a_touch(engine: Engine) -> None:
    reopened = ("web", "e9", 1, "Email Opened", "2026-01-04 12:00:00", {"message_id": "m1"})
    create_warehouse(engine, (*EVENT_ROWS, reopened))
    rows = {(r.campaign, r.channel): r for r in campaign_report(engine, CONFIG).rows}
    # the pixel loaded again: o1 still has four touches, welcome/email still gets half
    assert rows["welcome", "email"].model("linear").revenue == pytest.approx(100.0)
    assert rows["welcome", "email"].opens == 1
