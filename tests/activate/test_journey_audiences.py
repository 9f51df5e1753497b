"""Journeys feed destinations: ``audience: {journey: ads}`` sends the persons the journey's
``audience`` steps added, to a file and to a Meta Custom Audience (its fake server), and
a later remove step, a consent withdrawal or a merge makes the next sync send removals."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from activate.fakes.meta import FakeMeta
from activate.fakes.server import serve
from activate.journey_world import D, FakeConnector, World, connectors_of
from personae.activate.connectors.meta import MetaAudienceConnector
from personae.activate.journeys import run_journeys
from personae.activate.journeys.run import validate_journeys
from personae.activate.orchestrator import FixedClock
from personae.activate.sync import Options, run_destination
from personae.config.loader import parse_config
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError

TOKEN = "EAAB-test-token"
AUDIENCE = "2385000000001"
NOW = D(2024, 6, 10, 9)

CONFIG = """
consent: {categories: {}}
traits:
  vip_score: {aggregate: count, event: Order Completed}
segments:
  fans:
    all: [{trait: vip_score, ">=": 20}]
destinations:
  fans_file:
    type: file
    audience: {journey: ads}
    path: out/fans.csv
    fields: [email]
    purpose: advertising
  fans_meta:
    type: meta_audience
    audience: {journey: [ads, other]}
    purpose: advertising
    fields: [email, phone]
    audience_id: "2385000000001"
    base_url: BASE_URL
journeys:
  ads:
    entry: {segment: fans}
    steps:
      - audience: {add: fans_file}
      - audience: {add: fans_meta}
      - name: pause
        wait: 2d
      - audience: {remove: fans_meta}
  other:
    entry: {segment: fans}
    steps: [{wait: 1d}]
"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def paths(engine: Engine) -> dict[int, str]:
    return {
        int(p): str(path)
        for p, path in engine.rows(
            "SELECT person_id, path FROM journey_state WHERE journey = 'ads'"
        )
    }


def file_members(root: Path) -> list[str]:
    with (root / "out" / "fans.csv").open(encoding="utf-8") as handle:
        return sorted(row["email"] for row in csv.DictReader(handle))


def test_a_journey_feeds_a_file_and_a_meta_audience(engine: Engine, tmp_path: Path) -> None:
    world = World(engine)
    for pid in range(1, 5):
        world.person(pid, f"p{pid}@x.fr", phone=f"+3361234567{pid}")
    world.build()
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id IN (2, 3, 4)"
    )
    fake = FakeMeta(TOKEN, audiences=(AUDIENCE,))
    with serve(fake) as url:
        cfg = parse_config(CONFIG.replace("BASE_URL", url))
        clock = FixedClock(NOW)

        def sync(at: D) -> dict[str, tuple[int, int, int]]:
            meta = MetaAudienceConnector.from_config(
                cfg.destinations["fans_meta"],
                path="destinations.fans_meta",
                env={"META_ACCESS_TOKEN": TOKEN},
            )
            done = {}
            for name in ("fans_file", "fans_meta"):
                options = Options(now=at, connectors={"fans_meta": meta}, sleep=lambda s: None)
                report = run_destination(engine, cfg, tmp_path, name, options)
                assert report.status == "ok", report.error
                done[name] = (report.added, report.updated, report.removed)
            return done

        def held() -> list[str]:
            return sorted(m["EMAIL"] for m in fake.audiences[AUDIENCE])

        # nobody was put in yet: nothing is sent
        assert sync(NOW) == {"fans_file": (0, 0, 0), "fans_meta": (0, 0, 0)}

        run_journeys(engine, cfg, clock, connectors_of(FakeConnector()))
        assert sync(NOW) == {"fans_file": (3, 0, 0), "fans_meta": (3, 0, 0)}
        assert file_members(tmp_path) == ["p2@x.fr", "p3@x.fr", "p4@x.fr"]
        assert held() == sorted(sha(f"p{p}@x.fr") for p in (2, 3, 4))
        assert {m["PHONE"] for m in fake.audiences[AUDIENCE]} == {
            sha(f"3361234567{p}") for p in (2, 3, 4)
        }

        # day 1: person 3 withdraws their advertising consent; person 4 is merged into 1
        clock.advance(days=1)
        engine.execute("UPDATE consent_flags SET consent_advertising = false WHERE person_id = 3")
        engine.execute("UPDATE persons SET merged_into = 1 WHERE person_id = 4")
        engine.execute("DELETE FROM profiles WHERE person_id = 4")
        engine.execute("DELETE FROM consent_flags WHERE person_id = 4")
        assert sync(clock.now()) == {"fans_file": (1, 0, 2), "fans_meta": (1, 0, 2)}
        assert file_members(tmp_path) == ["p1@x.fr", "p2@x.fr"]
        assert held() == sorted([sha("p1@x.fr"), sha("p2@x.fr")])

        # day 2: the wait is over, the remove step takes everyone out of fans_meta only
        clock.advance(days=1)
        run_journeys(engine, cfg, clock, connectors_of(FakeConnector()))
        assert sync(clock.now()) == {"fans_file": (0, 0, 0), "fans_meta": (0, 0, 2)}
        assert held() == []
        assert file_members(tmp_path) == ["p1@x.fr", "p2@x.fr"]
        # the consent comes back: person 3 is in the file again, not in fans_meta (removed)
        engine.execute("UPDATE consent_flags SET consent_advertising = true WHERE person_id = 3")
        assert sync(clock.now()) == {"fans_file": (1, 0, 0), "fans_meta": (0, 0, 0)}
        assert file_members(tmp_path) == ["p1@x.fr", "p2@x.fr", "p3@x.fr"]


def cfg(destination: str, steps: str) -> ProjectConfig:
    return parse_config(
        f"""
consent: {{categories: {{}}}}
segments:
  fans: {{all: [{{trait: record_count, ">=": 1}}]}}
destinations:
  ads_file: {{type: file, path: out/a.csv, purpose: advertising, {destination}}}
journeys:
  j: {{entry: {{segment: fans}}, steps: {steps}}}
"""
    )


@pytest.mark.parametrize(
    ("destination", "steps", "message"),
    [
        (
            "audience: fans",
            "[{audience: {add: ads_file}}]",
            r"journeys.j.steps\[0\] \(audience_1\).audience: puts persons in destination "
            r"'ads_file', whose sync does not read journey 'j'.*write audience: \{journey: j\} "
            "under destinations.ads_file",
        ),
        (
            "audience: {journey: k}",
            "[{audience: {remove: ads_file}}]",
            "destinations.ads_file.audience.journey: no journey 'k'",
        ),
        (
            "audience: {journey: [k, j]}",
            "[{wait: 1d}]",
            "destinations.ads_file.audience.journey: no journey 'k'",
        ),
    ],
)
def test_a_journey_audience_and_its_destination_agree(
    destination: str, steps: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_journeys(cfg(destination, steps))


def test_a_destination_of_several_journeys_is_fixed_with_the_list() -> None:
    config = parse_config(
        """
consent: {categories: {}}
segments:
  fans: {all: [{trait: record_count, ">=": 1}]}
destinations:
  ads_file: {type: file, path: out/a.csv, purpose: advertising, audience: {journey: j}}
journeys:
  j: {entry: {segment: fans}, steps: [{audience: {add: ads_file}}]}
  k: {entry: {segment: fans}, steps: [{audience: {add: ads_file}}]}
"""
    )
    with pytest.raises(ConfigError, match=r"write audience: \{journey: \[j, k\]\}"):
        validate_journeys(config)
    assert config.destinations["ads_file"].journeys == ["j"]
    assert config.destinations["ads_file"].purpose == "advertising"


EXITS = """
consent: {categories: {}}
traits:
  vip_score: {aggregate: count, event: Order Completed}
segments:
  fans:
    all: [{trait: vip_score, ">=": 20}]
destinations:
  fans_file:
    type: file
    audience: {journey: [ads, other]}
    path: out/fans.csv
    fields: [email]
    purpose: advertising
journeys:
  ads:
    entry: {segment: fans}
    exit_when: [{segment: fans, member: false}]
    steps:
      - audience: {add: fans_file}
      - wait: 30d
  other:
    entry: {event: Order Completed, lookback: 30d}
    steps:
      - audience: {add: fans_file}
"""


def test_an_exit_test_takes_persons_out_of_the_journeys_audiences(
    engine: Engine, tmp_path: Path
) -> None:
    world = World(engine)
    for pid in range(1, 5):
        world.person(pid, f"p{pid}@x.fr")
    world.event(4, "Order Completed", NOW - dt.timedelta(days=1))
    world.build()
    engine.execute(
        "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
        "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id IN (2, 3, 4)"
    )
    cfg = parse_config(EXITS)
    clock = FixedClock(NOW)

    def sync() -> tuple[int, int, int]:
        report = run_destination(engine, cfg, tmp_path, "fans_file", Options(now=clock.now()))
        return (report.added, report.updated, report.removed)

    run_journeys(engine, cfg, clock, connectors_of(FakeConnector()))
    assert sync() == (3, 0, 0)
    # persons 3 and 4 leave the segment: the exit test ends their journey and their
    # membership; for person 4, whom journey "other" added too, the latest row of the
    # destination's journeys (the removal) decides
    engine.execute("DELETE FROM segment_membership WHERE person_id IN (3, 4)")
    clock.advance(days=1)
    tick = run_journeys(engine, cfg, clock, connectors_of(FakeConnector()))
    assert dict(tick.journeys["ads"].audience) == {"remove fans_file": 2}
    assert paths(engine)[3] == "audience_1:added > exited:not in segment fans"
    assert sync() == (0, 0, 2)
    assert file_members(tmp_path) == ["p2@x.fr"]
    # a later tick removes nobody twice
    clock.advance(days=1)
    tick = run_journeys(engine, cfg, clock, connectors_of(FakeConnector()))
    assert dict(tick.journeys["ads"].audience) == {}
    assert sync() == (0, 0, 0)
