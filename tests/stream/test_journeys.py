"""Journeys let in the persons the streaming worker put in their segment, at the next
tick, before any run: the trigger queue's ``journeys`` consumer."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from typer.testing import CliRunner

from helpers.collect import Served, ServeFactory
from helpers.serving import CONFIG, build_shop
from personae.activate.journeys.run import CONSUMER
from personae.activate.triggers import TriggerQueue
from personae.cli.main import app
from personae.pipeline import run
from personae.project import STATE_DIR, Project
from personae.serving.profiles import ExternalId, ProfileStore
from personae.stream.worker import StreamWorker

JOURNEYS = """
journeys:
  welcome_buyer:
    entry: {segment: buyers}
    steps: [{wait: 1d}]
  every_purchase:
    entry: {segment: buyers}
    reentry: always
    steps: [{wait: 1d}]
"""
#: after the shop's reference day, when the worker and the ticks run here
NOW = dt.datetime(2026, 4, 2, 9, 0, 0)


def _stream(root: Path) -> None:
    with Project.load(root) as project:
        worker = StreamWorker(project)
        try:
            while worker.step(now=NOW).messages:
                pass
        finally:
            worker.close()


def _tick(root: Path) -> None:
    result = CliRunner().invoke(app, ["--project", str(root), "journeys", "run"])
    assert result.exit_code == 0, result.output


def _entered(root: Path, journey: str) -> list[int]:
    with Project.load(root) as project:
        rows = project.engine.rows(
            "SELECT person_id FROM journey_state WHERE journey = ? ORDER BY person_id",
            [journey],
        )
    return [int(r[0]) for r in rows]


def _person(root: Path, kind: str, value: str) -> int:
    store = ProfileStore(root / STATE_DIR, None)
    found = store.resolve(ExternalId(kind, value))
    store.close()
    assert found is not None
    return found.person_id


def test_a_streamed_segment_entry_enters_the_journey_before_the_run(
    tmp_path: Path, serve: ServeFactory
) -> None:
    build_shop(tmp_path, extra=JOURNEYS)
    served: Served = serve(CONFIG + JOURNEYS)
    _tick(tmp_path)
    jeanne = _person(tmp_path, "user_id", "u-1")
    zoe = _person(tmp_path, "email", "zoe.petit@mail.fr")
    assert _entered(tmp_path, "welcome_buyer") == [jeanne]

    stamp = "2026-03-31T09:00:00Z"
    for body in (
        {"type": "identify", "anonymousId": "a-zoe", "traits": {"email": "zoe.petit@mail.fr"}},
        {"type": "track", "anonymousId": "a-zoe", "event": "Order Completed"},
        {"type": "track", "anonymousId": "a-new", "event": "Order Completed"},
    ):
        assert (
            served.post("/v1/batch", {"batch": [{**body, "timestamp": stamp}]}).status_code == 200
        )
    _stream(tmp_path)
    newcomer = _person(tmp_path, "anonymous_id", "a-new")
    with TriggerQueue(tmp_path / STATE_DIR) as queue:
        entered = sorted(t.person_id for t in queue.read(0) if t.kind == "entered")
    assert entered == sorted([zoe, newcomer])

    _tick(tmp_path)
    # Zoe is in at once; the newcomer, whom no run has seen yet, waits for the run; a
    # journey taking re-entries waits for the run too (it could not tell the run's
    # record of the same entry from a new one)
    assert _entered(tmp_path, "welcome_buyer") == sorted([jeanne, zoe])
    assert _entered(tmp_path, "every_purchase") == [jeanne]
    with TriggerQueue(tmp_path / STATE_DIR) as queue:
        assert queue.pending(CONSUMER) == []  # acknowledged

    served.collector.flush()
    with Project.load(tmp_path) as project:
        run(project)
    time.sleep(1.1)  # a tick lets in the segment entries of the seconds before its own
    _tick(tmp_path)
    with Project.load(tmp_path) as project:
        rows = project.engine.rows(
            "SELECT journey, count(*) FROM journey_state GROUP BY journey ORDER BY journey"
        )
    # after the run: the newcomer (now a person of the run) is in, Zoe entered once
    assert dict(rows) == {"every_purchase": 3, "welcome_buyer": 3}
    assert _entered(tmp_path, "welcome_buyer").count(zoe) == 1


WAITING = """
journeys:
  review_thanks:
    entry: {segment: buyers}
    steps:
      - wait_until: {event: Review Written, within: 30d}
      - name: thanked
        wait: 1d
"""


def test_a_streamed_event_ends_a_wait_before_the_run(tmp_path: Path, serve: ServeFactory) -> None:
    build_shop(tmp_path, extra=WAITING)
    served: Served = serve(CONFIG + WAITING)
    _tick(tmp_path)
    jeanne = _person(tmp_path, "user_id", "u-1")

    def step() -> str:
        with Project.load(tmp_path) as project:
            rows = project.engine.rows(
                "SELECT step FROM journey_state WHERE person_id = ?", [jeanne]
            )
        return str(rows[0][0])

    assert step() == "wait_until_1"
    body = {
        "type": "track",
        "userId": "u-1",
        "event": "Review Written",  # no timestamp: now, after the wait began
    }
    assert served.post("/v1/batch", {"batch": [body]}).status_code == 200
    _stream(tmp_path)
    time.sleep(1.1)  # the journeys' clock counts whole seconds: a tick after the event
    _tick(tmp_path)
    assert step() == "thanked"
