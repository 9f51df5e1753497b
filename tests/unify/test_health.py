"""The identity dashboard's figures, checked against the tables they summarise."""

from __future__ import annotations

import pytest

from personae.engine import ENGINES
from personae.errors import MissingTableError
from personae.project import Project
from personae.unify.inspection.health import BUCKETS, identity_health


def test_identity_health_of_the_demo(small_demo: Project) -> None:
    engine = small_demo.engine
    health = identity_health(engine, top=5)
    live = engine.scalar("SELECT count(*) FROM persons WHERE merged_into IS NULL")
    assert health.persons == live and health.records == engine.count("identity_map")
    assert list(health.merge_sizes) == [label for label, _, _ in BUCKETS]
    assert sum(health.merge_sizes.values()) == health.persons
    singles = engine.scalar(
        "SELECT count(*) FROM (SELECT person_id FROM identity_map GROUP BY 1 HAVING count(*) = 1)"
    )
    assert health.merge_sizes["1"] == singles
    biggest = engine.rows(
        "SELECT person_id, count(*) AS n FROM identity_map GROUP BY 1 ORDER BY n DESC, 1 LIMIT 5"
    )
    assert [(c.person_id, c.records) for c in health.largest] == biggest
    assert all(sum(c.sources.values()) == c.records for c in health.largest)
    guards = dict(engine.rows("SELECT guard, count(*) FROM identity_guards GROUP BY 1"))
    assert health.guards == guards and "blocked" in guards
    top = health.top_guarded[0]
    assert top.records == engine.scalar("SELECT max(records) FROM identity_guards")
    assert top.reason
    matches = dict(engine.rows("SELECT status, count(*) FROM identity_matches GROUP BY 1"))
    assert health.matches == matches and health.matches["linked"] > 0
    assert health.last_run is not None
    history = dict(
        engine.rows(
            "SELECT action, count(*) FROM identity_history WHERE run_id = ? GROUP BY 1",
            [health.last_run.run_id],
        )
    )
    assert health.last_run.actions == history


def test_identity_health_says_which_command_builds_it() -> None:
    engine = ENGINES["duckdb"]()
    with pytest.raises(MissingTableError, match="personae resolve"):
        identity_health(engine)
