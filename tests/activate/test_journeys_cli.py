"""``personae journeys run|status|why``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activate.journey_world import D, FakeConnector, World, connectors_of
from personae.activate.journeys import run_journeys
from personae.activate.orchestrator import FixedClock
from personae.cli.main import app
from personae.project import Project

CONFIG = """
sources: {}
consent: {categories: {}}
traits:
  vip_score: {expression: "record_count * 10"}
segments:
  fans:
    all: [{trait: vip_score, ">=": 20}]
destinations:
  meta_fans: {type: file, audience: {journey: ads}, path: out/fans.csv, purpose: advertising}
orchestration:
  campaigns:
    thanks: {channel: email, purpose: email_marketing, body: "Hello"}
journeys:
  ads:
    entry: {segment: fans}
    steps:
      - audience: {add: meta_fans}
      - name: pause
        wait: 2d
  mail:
    entry: {segment: fans}
    steps:
      - send: {campaign: thanks}
"""


def invoke(root: Path, *args: str) -> tuple[int, str]:
    from personae.cli.context import console

    # the console is made once per process: its width is whatever the first test saw
    width = console._width
    console.width = 200
    try:
        result = CliRunner().invoke(app, ["--project", str(root), *args])
    finally:
        console._width = width
    return result.exit_code, result.output


def project(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    with Project.load(tmp_path) as p:
        w = World(p.engine)
        for pid in (1, 2, 3):
            w.person(pid, f"p{pid}@x.fr", email_ok=pid != 3)
        w.build()
        p.engine.execute(
            "CREATE TABLE segment_membership AS SELECT person_id, 'fans' AS segment, "
            "TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons WHERE person_id IN (2, 3)"
        )


def test_run_status_and_why(tmp_path: Path) -> None:
    project(tmp_path)
    code, out = invoke(tmp_path, "journeys", "run", "ads", "--at", "2024-06-10T09:00")
    assert code == 0, out
    assert "ads: 2 persons entered, 0 finished, 0 exited; messages: none" in out
    assert "audience add meta_fans: 2" in out

    with Project.load(tmp_path) as p:
        run_journeys(
            p.engine, p.config, FixedClock(D(2024, 6, 10, 10)), connectors_of(FakeConnector())
        )

    code, out = invoke(tmp_path, "journeys", "status", "ads")
    assert code == 0, out
    assert "Journey ads: 2 persons" in out
    lines = [[w for w in line.split() if w != "│"] for line in out.splitlines()]
    assert ["audience_1", "audience", "0", "0", "0", "0"] in lines
    assert ["pause", "wait", "0", "2", "0", "0"] in lines

    code, out = invoke(tmp_path, "journeys", "why", "3")
    assert code == 0, out
    assert "ads: waiting at pause, entered 2024-06-10 09:00; path: audience_1:added" in out
    assert "mail: done at exit" in out
    assert "suppressed" in out and "no consent for email_marketing" in " ".join(out.split())


def test_unknown_journey_and_bad_time_are_one_line_errors(tmp_path: Path) -> None:
    project(tmp_path)
    code, out = invoke(tmp_path, "journeys", "status", "add")
    assert code == 1
    assert "no journey 'add' in personae.yml; did you mean 'ads'" in out
    code, out = invoke(tmp_path, "journeys", "run", "--at", "tomorrow")
    assert code != 0
    assert "is not a date and time" in " ".join(out.replace("│", " ").split())


def test_run_says_what_was_sent_and_why_the_rest_was_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personae.activate import orchestrator

    project(tmp_path)
    fake = FakeConnector()
    monkeypatch.setattr(orchestrator, "connectors_for", lambda config, root: connectors_of(fake))
    code, out = invoke(tmp_path, "journeys", "run", "mail", "--at", "2024-06-10T09:00")
    assert code == 0, out
    assert "mail: 2 persons entered, 2 finished, 0 exited; messages: 1 sent, 1 suppressed" in out
    assert "1 suppressed: no consent for email_marketing on email" in out
    assert [m.to for m in fake.sent] == ["p2@x.fr"]
