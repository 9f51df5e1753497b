"""The activation dashboard: destinations' last syncs, journeys' steps, messages."""

from __future__ import annotations

from personae.activate.overview import activation_overview
from personae.engine import ENGINES
from personae.project import Project


def test_overview_of_the_activated_demo(small_demo: Project) -> None:
    engine, config = small_demo.engine, small_demo.config
    overview = activation_overview(engine, config)
    assert [d.name for d in overview.destinations] == list(config.destinations)
    for destination in overview.destinations:
        last = engine.rows(
            "SELECT run_id, status, added, updated, removed, failed FROM destination_runs "
            "WHERE destination = ? ORDER BY started_at DESC LIMIT 1",
            [destination.name],
        )
        if last:
            assert (
                destination.last_run,
                destination.last_status,
                destination.added,
                destination.updated,
                destination.removed,
                destination.failed,
            ) == last[0]
            assert destination.last_started is not None
        members = engine.scalar(
            "SELECT count(*) FROM destination_state WHERE destination = ?", [destination.name]
        )
        assert destination.members == members
    synced = [d for d in overview.destinations if d.last_status in ("ok", "partial")]
    assert synced and all(d.lag_seconds is not None and d.lag_seconds >= 0 for d in synced)

    assert [j.name for j in overview.journeys] == list(config.journeys)
    for journey in overview.journeys:
        in_state = dict(
            engine.rows(
                "SELECT step, count(*) FROM journey_state WHERE journey = ? GROUP BY step",
                [journey.name],
            )
        )
        assert {s.step: s.total for s in journey.steps if s.total} == in_state
        assert journey.entered == sum(in_state.values())
        declared = config.journeys[journey.name].step_names()
        assert [s.step for s in journey.steps][: len(declared)] == list(declared)
    assert sum(j.entered for j in overview.journeys) > 0

    by_status = dict(engine.rows("SELECT status, count(*) FROM activation_messages GROUP BY 1"))
    assert overview.messages == by_status and sum(by_status.values()) > 0
    assert sum(sum(c.values()) for c in overview.messages_by_channel.values()) == sum(
        by_status.values()
    )
    dead = engine.count("destination_dead_letters")
    assert overview.dead_letters == dead


def test_before_anything_ran_nothing_is_created(small_demo: Project) -> None:
    engine = ENGINES["duckdb"]()
    overview = activation_overview(engine, small_demo.config)
    assert [d.name for d in overview.destinations] == list(small_demo.config.destinations)
    assert all(d.last_status is None and d.members == 0 for d in overview.destinations)
    assert all(j.entered == 0 and j.steps for j in overview.journeys)
    assert overview.messages == {} and engine.tables() == []
