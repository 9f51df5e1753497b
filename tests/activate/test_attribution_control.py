"""Control groups: the deterministic hold-out, and the uplift of exposed over control
with Newcombe's interval."""

from __future__ import annotations

import pytest

from helpers.attribution import create_warehouse
from personae.activate.attribution import Uplift, campaign_report, held_out, in_control_group
from personae.activate.orchestrator import in_control_group as orchestrator_holds_out
from personae.activate.orchestrator.decide import control_share, validate_orchestration
from personae.config.loader import parse_config
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError


def test_hold_out_is_deterministic_about_the_asked_share_and_per_campaign() -> None:
    ids = range(1, 20_001)
    held = [p for p in ids if in_control_group("welcome", p, 10)]
    assert 0.09 < len(held) / 20_000 < 0.11
    assert held == [p for p in ids if in_control_group("welcome", p, 10)]
    # a larger share keeps everyone the smaller one held, and more
    assert set(held) < {p for p in ids if in_control_group("welcome", p, 20)}
    other = {p for p in ids if in_control_group("vip", p, 10)}
    assert 0.05 < len(other & set(held)) / len(held) < 0.15  # independent of welcome's
    assert not any(in_control_group("welcome", p, 0) for p in ids)


def test_held_out_reads_the_campaigns_percent_from_the_config() -> None:
    config = parse_config("attribution:\n  control_groups:\n    welcome: 50%\n").attribution
    assert config.holdout("welcome") == 50.0
    assert config.holdout("other") == 0.0
    assert not any(held_out(config, "other", p) for p in range(1000))
    assert 400 < sum(held_out(config, "welcome", p) for p in range(1000)) < 600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("welcome: 0", "between 0 and 100"),
        ("welcome: 120%", "between 0 and 100"),
        ("welcome: lots", "welcome: 10%"),
    ],
)
def test_control_group_percents_are_checked(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(f"attribution:\n  control_groups:\n    {text}\n")


def test_newcombe_interval_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II example (a), method 10
    uplift = Uplift("c", 70, 56, 80, 48, 0.95)
    assert uplift.uplift == pytest.approx(0.2)
    low, high = uplift.interval or (0, 0)
    assert low == pytest.approx(0.0524, abs=1e-4)
    assert high == pytest.approx(0.3339, abs=1e-4)
    assert uplift.relative == pytest.approx(0.2 / 0.6)
    assert uplift.incremental == pytest.approx(14.0)


def test_no_interval_without_both_groups() -> None:
    assert Uplift("c", 10, 3, 0, 0, 0.95).interval is None
    assert Uplift("c", 0, 0, 10, 3, 0.95).uplift is None


def test_report_compares_exposed_and_control_persons_over_the_window(engine: Engine) -> None:
    create_warehouse(engine)
    config = ProjectConfig.model_validate({"attribution": {"control_groups": {"welcome": 10}}})
    report = campaign_report(engine, config)
    # welcome: persons 1 and 2 were sent it and converted within 7 days; person 3 was held
    # out and ordered 14 days later only. vip has no control group: no uplift line.
    assert [u.campaign for u in report.uplifts] == ["welcome"]
    welcome = report.uplifts[0]
    assert (welcome.exposed, welcome.exposed_converted) == (2, 2)
    assert (welcome.control, welcome.control_converted) == (1, 0)
    assert welcome.uplift == pytest.approx(1.0)
    # Wilson: 2/2 -> [0.3424, 1], 0/1 -> [0, 0.7935]; Newcombe: 1 - sqrt(0.6576² + 0.7935²)
    low, high = welcome.interval or (0, 0)
    assert low == pytest.approx(-0.0306, abs=1e-3)  # so far, no evidence of an uplift
    assert high == pytest.approx(1.0)
    longer = campaign_report(
        engine, ProjectConfig.model_validate({"attribution": {"lookback": "20d"}})
    )
    # over 20 days the control person's order counts too; found from the control rows alone
    assert [(u.campaign, u.control_converted) for u in longer.uplifts] == [("welcome", 1)]


ONE_DECLARATION = """
consent: {categories: {}}
orchestration:
  campaigns:
    welcome: {channel: email, purpose: email_marketing, control_share: 0.1}
    vip: {channel: email, purpose: email_marketing}
attribution:
  control_groups:
"""


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            "    welcome: 10%",
            r"attribution.control_groups.welcome: campaign 'welcome' is sent by the "
            r"orchestrator \(orchestration.campaigns.welcome\), so its control group is "
            r"declared there \(it says control_share: 0.1 there too\); remove "
            r"attribution.control_groups.welcome and keep control_share: 0.1",
        ),
        (
            "    vip: 20%",
            r"attribution.control_groups.vip: .*remove attribution.control_groups.vip and "
            r"keep control_share: 0.2 under orchestration.campaigns.vip",
        ),
    ],
)
def test_a_campaign_the_orchestrator_sends_declares_its_control_group_once(
    engine: Engine, groups: str, message: str
) -> None:
    config = parse_config(ONE_DECLARATION + groups + "\n")
    with pytest.raises(ConfigError, match=message):
        validate_orchestration(config)
    create_warehouse(engine)
    with pytest.raises(ConfigError, match=message):
        campaign_report(engine, config)


def test_control_groups_name_the_campaigns_other_tools_send(engine: Engine) -> None:
    config = parse_config(ONE_DECLARATION + "    partner_mailing: 5%\n")
    validate_orchestration(config)
    assert held_out(config.attribution, "partner_mailing", 3) == in_control_group(
        "partner_mailing", 3, 5
    )
    # the orchestrator holds out control_share with the same hash: a campaign moved from
    # control_groups: {welcome: 10%} to control_share: 0.1 holds out the same persons
    spec = config.orchestration.campaigns["welcome"]
    share = control_share(config, "welcome", spec)
    legacy = parse_config("attribution:\n  control_groups:\n    welcome: 10%\n").attribution
    ids = range(1, 2_001)
    assert [p for p in ids if orchestrator_holds_out("welcome", p, share)] == [
        p for p in ids if held_out(legacy, "welcome", p)
    ]
    # and only control_share: the vip campaign holds out nobody
    assert control_share(config, "vip", config.orchestration.campaigns["vip"]) == 0
