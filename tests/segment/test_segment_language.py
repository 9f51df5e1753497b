"""Sequences, first/last occurrences, aggregates of properties and segment references, on
hand-worked warehouses (``helpers.segment_cases``), and restricted evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from helpers.segment_cases import (
    ABANDONED,
    ADD,
    AGGREGATES,
    OCCURRENCES,
    REFERENCES,
    SEQUENCES,
    day,
    expected_of,
    load_journeys,
    load_warehouse,
    membership,
    orders_config,
    segments_of,
    sequence_config,
)
from helpers.segments import ORDER
from personae.activate.journeys.probe import passing
from personae.config.journeys import Test as JourneyTest
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError
from personae.pipeline import validate
from personae.segment import evaluate_segments
from personae.segment.compile import segment_members_sql

T1 = dt.datetime(2024, 7, 1, 8, 0)
T2 = dt.datetime(2024, 7, 2, 8, 0)


def run(engine: Engine, config: ProjectConfig, now: dt.datetime = T1) -> dict[str, list[int]]:
    evaluate_segments(engine, config, now)
    found = membership(engine)
    return {name: found.get(name, []) for name in config.segments}


def test_sequences(engine: Engine) -> None:
    load_journeys(engine)
    assert run(engine, sequence_config(SEQUENCES)) == expected_of(SEQUENCES)


def test_abandonment_is_judged_at_the_run_time(engine: Engine) -> None:
    """At 10:45 on the reference date only carts of 09:45 or earlier can be abandoned:
    person 8's 08:00 cart, 17's of 09:30, 11's of the day before and 12's of midnight;
    person 4's 10:00 cart is 45 minutes old."""
    load_journeys(engine)
    config = sequence_config({"abandoned": ({"sequence": ABANDONED, "within": "1h"}, [])})
    assert run(engine, config, now=day(10, 45)) == {"abandoned": [8, 11, 12, 17]}
    # an hour later, the 10:00 carts without an order by 11:00 are abandoned too
    assert run(engine, config, now=day(11, 45)) == {"abandoned": [3, 4, 5, 8, 9, 11, 12, 16, 17]}


def test_first_and_last_occurrences(engine: Engine) -> None:
    load_warehouse(engine)
    assert run(engine, orders_config(OCCURRENCES)) == expected_of(OCCURRENCES)


def test_aggregates_of_properties(engine: Engine) -> None:
    load_warehouse(engine)
    assert run(engine, orders_config(AGGREGATES)) == expected_of(AGGREGATES)


def test_segment_references(engine: Engine) -> None:
    load_warehouse(engine)
    assert run(engine, orders_config(REFERENCES)) == expected_of(REFERENCES)


def set_order_count(engine: Engine, person: int, count: int) -> None:
    """Change one trait on every engine (Spark has no UPDATE)."""
    engine.create_table_as(
        "traits",
        f"SELECT person_id, CASE WHEN person_id = {person} THEN {count} ELSE order_count END "
        "AS order_count, revenue, newsletter FROM traits",
    )


def test_since_of_a_segment_referring_to_another(engine: Engine) -> None:
    """A referring segment enters and leaves in the run its reference changes, and its
    members who stay keep their ``since``."""
    load_warehouse(engine)
    config = orders_config({k: REFERENCES[k] for k in ("fr_buyers", "buyers", "fr")})
    run(engine, config, T1)
    set_order_count(engine, person=2, count=2)
    assert run(engine, config, T2)["fr_buyers"] == [1, 2]
    rows = engine.rows(
        "SELECT person_id, since FROM segment_membership WHERE segment = 'fr_buyers' ORDER BY 1"
    )
    assert rows == [(1, T1), (2, T2)]
    set_order_count(engine, person=1, count=0)
    run(engine, config, dt.datetime(2024, 7, 3))
    exits = engine.rows(
        "SELECT person_id FROM segment_history WHERE segment = 'fr_buyers' AND action = 'exit'"
    )
    assert exits == [(1,)]


@pytest.mark.parametrize(
    ("segments", "path", "message"),
    [
        (
            {
                "a": {"all": [{"segment": "buyres"}]},
                "buyers": {"all": [{"trait": "revenue", ">": 1}]},
            },
            r"segments\.a\.all\[0\]\.segment",
            "unknown segment 'buyres' \\(did you mean 'buyers'\\?\\)",
        ),
        (
            {
                "a": {"all": [{"segment": "b"}]},
                "b": {"any": [{"trait": "revenue", ">": 1}, {"not": {"segment": "a"}}]},
            },
            r"segments\.b\.any\[1\]\.not\.segment",
            "a -> b -> a.*remove one of these references",
        ),
        (
            {"a": {"all": [{"segment": "a"}]}},
            r"segments\.a\.all\[0\]\.segment",
            "a -> a",
        ),
    ],
)
def test_reference_errors(
    engine: Engine, segments: dict[str, Any], path: str, message: str
) -> None:
    load_warehouse(engine)
    config = ProjectConfig.model_validate(
        {"as_of": "2024-06-30", "traits": {"revenue": {"aggregate": "count"}}, "segments": segments}
    )
    with pytest.raises(ConfigError, match=f"{path}.*{message}"):
        evaluate_segments(engine, config, T1)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"event": ORDER, ">": 2}, "needs an aggregate of a property"),
        ({"event": ORDER, "sum": "revenue"}, "needs exactly one operator"),
        ({"event": ORDER, "sum": "revenue", "max": "revenue", ">": 1}, "one aggregate"),
        ({"event": ORDER, "sum": "revenue", ">": 1, "at_least": 2}, "at_least / at_most"),
        ({"event": ORDER, "sum": "revenue", "between": 1}, "unknown key 'between'"),
        ({"first": ORDER}, "needs within"),
        ({"first": ORDER, "last": ORDER, "within": "1d"}, "exactly one of first or last"),
        ({"sequence": [{"event": ADD}]}, "at least two steps"),
        ({"sequence": [{"not": {"event": ADD}}, {"event": ORDER}]}, "starts with an event"),
        (
            {"sequence": [{"event": ADD}, {"not": {"event": ORDER}}, {"event": ORDER}]},
            "second and last step",
        ),
    ],
)
def test_invalid_new_conditions(condition: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProjectConfig.model_validate({"segments": {"s": {"all": [condition]}}})


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        ({"first": ORDER, "within": "7d", "before": "30d"}, "before", "shorter than within"),
        ({"event": ORDER, "sum": "timestamp", ">": 1}, "sum", "not the column 'timestamp'"),
        ({"event": ORDER, "sum": "revenue", "=": None}, "=", "is: null"),
        (
            {"sequence": [{"event": ADD}, {"event": ORDER, "where": "revenue > (SELECT 1)"}]},
            r"sequence\[1\]\.where",
            "subqueries are not allowed",
        ),
    ],
)
def test_compile_errors_name_the_key(
    engine: Engine, condition: dict[str, Any], path: str, message: str
) -> None:
    load_warehouse(engine)
    config = orders_config({"s": (condition, [])})
    with pytest.raises(ConfigError, match=f"segments\\.s\\.all\\[0\\].*{path}.*{message}"):
        evaluate_segments(engine, config, T1)


def _restricted(engine: Engine, config: ProjectConfig, subset: list[int]) -> dict[str, list[int]]:
    engine.execute("CREATE OR REPLACE TABLE _touched (person_id BIGINT)")
    if subset:
        engine.execute(f"INSERT INTO _touched VALUES {', '.join(f'({p})' for p in subset)}")
    found = {}
    for name in config.segments:
        sql = segment_members_sql(config, name, now=T1, persons="_touched")
        found[name] = sorted(int(r[0]) for r in engine.rows(sql))
    return found


@pytest.mark.parametrize("subset", [[], [3], [1, 4], [2, 3, 5, 6]])
def test_restricted_evaluation_agrees_with_the_full_run_on_orders(
    engine: Engine, subset: list[int]
) -> None:
    load_warehouse(engine)
    cases = {**OCCURRENCES, **AGGREGATES, **REFERENCES}
    config = orders_config(cases)
    full = run(engine, config)
    assert _restricted(engine, config, subset) == {
        name: [p for p in members if p in subset] for name, members in full.items()
    }


@pytest.mark.parametrize("subset", [[4], [1, 7, 8], [3, 6, 9, 12, 16]])
def test_restricted_evaluation_agrees_with_the_full_run_on_sequences(
    engine: Engine, subset: list[int]
) -> None:
    load_journeys(engine)
    config = sequence_config(SEQUENCES)
    full = run(engine, config)
    assert _restricted(engine, config, subset) == {
        name: [p for p in members if p in subset] for name, members in full.items()
    }


def test_journey_conditions_gain_the_new_conditions(engine: Engine) -> None:
    """A journey's ``{condition: ...}`` compiles through the segment compiler, judged at
    the clock: at 10:45 only the carts of 09:45 or earlier are abandoned."""
    load_journeys(engine)
    config = sequence_config({})
    relation = "SELECT person_id, entered_at, entered_at AS since_at FROM _entered"
    engine.execute(
        "CREATE OR REPLACE TABLE _entered AS SELECT person_id, "
        "CAST('2024-06-30 00:00:00' AS TIMESTAMP) AS entered_at FROM persons"
    )
    test = JourneyTest.model_validate({"condition": {"sequence": ABANDONED, "within": "1h"}})
    assert passing(engine, config, "j", test, relation, day(10, 45), "steps.0") == {8, 11, 12, 17}
    ordered = JourneyTest.model_validate({"condition": {"sequence": ABANDONED, "within": "1h"}})
    later = passing(engine, config, "j", ordered, relation, day(11, 45), "steps.0")
    assert later == {3, 4, 5, 8, 9, 11, 12, 16, 17}


def test_segments_of_wraps_conditions() -> None:
    assert segments_of({"x": ({"segment": "y"}, [])}) == {"x": {"all": [{"segment": "y"}]}}


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        (
            {"sequence": [{"event": "Ticket"}, {"not": {"event": "Tiket"}}]},
            r"all\[0\]\.sequence\[1\]\.not\.event",
        ),
        ({"last": "Tickets", "within": "7d"}, r"all\[0\]\.last"),
        ({"event": "Tcket", "distinct_count": "topic", ">": 1}, r"all\[0\]\.event"),
    ],
)
def test_validate_checks_the_events_of_new_conditions(condition: dict[str, Any], path: str) -> None:
    """``personae validate`` names an event no source produces, wherever it stands."""
    config = ProjectConfig.model_validate(
        {
            "sources": {
                "support": {
                    "kind": "events",
                    "path": "support.csv",
                    "fields": {"email": "email"},
                    "event": {"name": "Ticket", "timestamp": {"column": "at"}},
                }
            },
            "segments": {"s": {"all": [condition]}},
        }
    )
    with pytest.raises(ConfigError, match=f"segments\\.s\\.{path}: no source produces event"):
        validate(config)


def test_persons_may_be_a_query(engine: Engine) -> None:
    load_journeys(engine)
    config = sequence_config(SEQUENCES)
    sql = segment_members_sql(
        config, "abandoned_1h", persons="(SELECT 4 AS person_id UNION ALL SELECT 6)"
    )
    assert [int(r[0]) for r in engine.rows(sql)] == [4]
