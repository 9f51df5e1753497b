"""Segment membership on a known warehouse (see conftest: PEOPLE, EVENTS)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlglot

from helpers.segments import ORDER, TRAITS, load_warehouse
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, NotFoundError, ProjectError
from personae.segment import evaluate_segments, segment_sql

T1 = dt.datetime(2024, 7, 1, 8, 0)
T2 = dt.datetime(2024, 7, 2, 8, 0)


def config(segments: dict[str, Any], **extra: Any) -> ProjectConfig:
    return ProjectConfig.model_validate(
        {"as_of": "2024-06-30", "traits": TRAITS, "segments": segments, **extra}
    )


def members(engine: Engine, segment: str) -> list[int]:
    rows = engine.rows(
        f"SELECT person_id FROM segment_membership WHERE segment = '{segment}' ORDER BY 1"
    )
    return [r[0] for r in rows]


def evaluate_one(engine: Engine, condition: dict[str, Any], key: str = "all") -> list[int]:
    evaluate_segments(engine, config({"s": {key: [condition]}}), T1)
    return members(engine, "s")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"trait": "revenue", ">=": 100}, [1, 4]),
        ({"trait": "revenue", "<": 100}, [2, 5]),  # NULL revenue (3) is never < 100
        ({"trait": "order_count", "=": 0}, [3]),
        ({"trait": "order_count", "!=": 0}, [1, 2, 4, 5]),
        ({"trait": "order_count", "in": [1, 2]}, [2, 4]),
        ({"trait": "order_count", "not in": [1, 2]}, [1, 3, 5]),
        ({"trait": "newsletter", "is": True}, [1, 4, 5]),
        ({"trait": "newsletter", "is": False}, [2]),
        ({"trait": "newsletter", "is not": True}, [2, 3]),
        ({"trait": "newsletter", "is": None}, [3]),
        ({"trait": "revenue", "is not": "null"}, [1, 2, 4, 5]),
        # profile fields work like traits
        ({"trait": "country", "=": "FR"}, [1, 2]),
        ({"trait": "country", "in": ["BE", "CH"]}, [3, 5]),
        ({"trait": "country", "is": None}, [4]),
    ],
)
def test_trait_conditions(
    warehouse: Engine, condition: dict[str, Any], expected: list[int]
) -> None:
    assert evaluate_one(warehouse, condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"event": ORDER}, [1, 2, 4, 5]),
        # window = [2024-06-01 00:00, 2024-07-01): person 4's 05-31 23:59 order is out
        ({"event": ORDER, "within": "30d"}, [1, 2, 5]),
        ({"event": ORDER, "within": "30d", "at_least": 2}, [1, 5]),
        ({"event": ORDER, "within": "30d", "at_least": 2, "at_most": 2}, [1]),
        ({"event": ORDER, "within": "7d"}, [1, 2]),
        ({"event": ORDER, "where": "category = 'accessories'", "at_least": 2}, [4]),
        ({"event": ORDER, "where": "revenue >= 100"}, [1, 4]),
        ({"event": [ORDER, "Email Opened"], "within": "1d"}, [3]),
        # never ordered
        ({"event": ORDER, "at_least": 0, "at_most": 0}, [3]),
    ],
)
def test_event_conditions(
    warehouse: Engine, condition: dict[str, Any], expected: list[int]
) -> None:
    assert evaluate_one(warehouse, condition) == expected


def test_not_any_and_nesting(warehouse: Engine) -> None:
    segments = {
        # NOT includes persons whose country is unknown (4): conditions are two-valued
        "not_fr": {"all": [{"not": {"trait": "country", "=": "FR"}}]},
        "big_or_recent": {
            "any": [
                {"trait": "revenue", ">": 400},
                {"event": ORDER, "within": "7d"},
            ]
        },
        "nested": {
            "all": [
                {"trait": "newsletter", "is": True},
                {
                    "any": [
                        {"trait": "country", "=": "CH"},
                        {"not": {"event": ORDER, "within": "30d"}},
                    ]
                },
            ]
        },
        "all_and_any": {
            "all": [{"trait": "order_count", ">=": 1}],
            "any": [{"trait": "country", "=": "FR"}, {"trait": "country", "is": None}],
        },
    }
    report = evaluate_segments(warehouse, config(segments), T1)
    assert members(warehouse, "not_fr") == [3, 4, 5]
    assert members(warehouse, "big_or_recent") == [1, 2]
    assert members(warehouse, "nested") == [4, 5]
    assert members(warehouse, "all_and_any") == [1, 2, 4]
    assert [r.segment for r in report.segments] == list(segments)
    assert report["not_fr"].size == 3 and report["not_fr"].entered == 3


def test_since_is_kept_and_history_records_changes(warehouse: Engine) -> None:
    cfg = config({"buyers": {"all": [{"trait": "order_count", ">=": 2}]}})
    first = evaluate_segments(warehouse, cfg, T1)
    assert (first["buyers"].size, first["buyers"].entered, first["buyers"].exited) == (3, 3, 0)
    assert warehouse.rows("SELECT person_id, since FROM segment_membership ORDER BY 1") == [
        (1, T1),
        (4, T1),
        (5, T1),
    ]
    # person 5 drops below 2 orders, person 2 reaches 2
    warehouse.execute("UPDATE traits SET order_count = 1 WHERE person_id = 5")
    warehouse.execute("UPDATE traits SET order_count = 2 WHERE person_id = 2")
    second = evaluate_segments(warehouse, cfg, T2)
    assert (second["buyers"].size, second["buyers"].entered, second["buyers"].exited) == (3, 1, 1)
    assert warehouse.rows("SELECT person_id, since FROM segment_membership ORDER BY 1") == [
        (1, T1),
        (2, T2),
        (4, T1),
    ]
    history = warehouse.rows(
        'SELECT person_id, segment, action, "at" FROM segment_history '
        'ORDER BY "at", action, person_id'
    )
    assert history == [
        (1, "buyers", "enter", T1),
        (4, "buyers", "enter", T1),
        (5, "buyers", "enter", T1),
        (2, "buyers", "enter", T2),
        (5, "buyers", "exit", T2),
    ]
    # a third run without changes changes nothing
    third = evaluate_segments(warehouse, cfg, dt.datetime(2024, 7, 3))
    assert (third["buyers"].entered, third["buyers"].exited) == (0, 0)
    assert warehouse.count("segment_history") == 5


def test_merged_person_leaves(engine: Engine) -> None:
    load_warehouse(engine)
    cfg = config({"fr": {"all": [{"trait": "country", "=": "FR"}]}})
    evaluate_segments(engine, cfg, T1)
    assert members(engine, "fr") == [1, 2]
    # person 2 is merged into person 1; traits and profiles still hold a stale row for 2
    engine.execute("UPDATE persons SET merged_into = 1 WHERE person_id = 2")
    report = evaluate_segments(engine, cfg, T2)
    assert members(engine, "fr") == [1]
    assert report["fr"].exited == 1
    assert engine.rows("SELECT person_id FROM segment_history WHERE action = 'exit'") == [(2,)]


def test_removed_segment_members_exit(warehouse: Engine) -> None:
    evaluate_segments(warehouse, config({"old": {"all": [{"trait": "order_count", ">": 2}]}}), T1)
    report = evaluate_segments(warehouse, config({}), T2)
    assert warehouse.count("segment_membership") == 0
    assert report["old"].exited == 2
    assert warehouse.rows(
        "SELECT person_id FROM segment_history WHERE action = 'exit' ORDER BY 1"
    ) == [(1,), (5,)]


def test_unknown_trait_suggests_the_closest_name(warehouse: Engine) -> None:
    cfg = config(
        {"vip": {"all": [{"trait": "revenue", ">": 1}, {"any": [{"trait": "ordr_count", ">": 1}]}]}}
    )
    with pytest.raises(ConfigError) as info:
        evaluate_segments(warehouse, cfg, T1)
    message = str(info.value)
    assert "segments.vip.all[1].any[0].trait" in message
    assert "'ordr_count'" in message
    assert "did you mean 'order_count'" in message


def test_unknown_property_in_event_where(warehouse: Engine) -> None:
    cfg = config(
        {"s": {"all": [{"event": ORDER, "where": "category = 'x' AND revnue > (SELECT 1)"}]}}
    )
    with pytest.raises(ConfigError, match=r"segments\.s\.all\[0\]\.where"):
        evaluate_segments(warehouse, cfg, T1)


@pytest.mark.parametrize(
    ("condition", "error"),
    [
        ({"trait": "revenue", "=": None}, "is: null"),
        ({"trait": "revenue", "is": 3}, "true, false or null"),
        ({"trait": "revenue", ">": [1, 2]}, "use 'in'"),
        ({"trait": "revenue", "in": [1, None]}, "cannot list null"),
        ({"event": ORDER, "at_least": 3, "at_most": 1}, "at_most"),
    ],
)
def test_invalid_conditions(warehouse: Engine, condition: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        evaluate_segments(warehouse, config({"s": {"all": [condition]}}), T1)


def test_segment_sql_is_inspectable_and_runs(warehouse: Engine) -> None:
    cfg = config(
        {
            "active_fr": {
                "all": [
                    {"trait": "country", "=": "FR"},
                    {"event": ORDER, "within": "30d", "where": "revenue > 10"},
                ]
            }
        }
    )
    sql = segment_sql(cfg, "active_fr")
    assert "p.\"country\" = 'FR'" in sql
    assert "count(CASE WHEN" in sql
    assert "CAST('2024-06-01 00:00:00' AS TIMESTAMP)" in sql
    standalone = sorted(r[0] for r in warehouse.rows(sql))
    evaluate_segments(warehouse, cfg, T1)
    assert standalone == members(warehouse, "active_fr") == [1, 2]
    assert "GET_JSON_OBJECT" in sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    with pytest.raises(NotFoundError, match="active_fr"):
        segment_sql(cfg, "nope")


def test_missing_inputs(engine: Engine) -> None:
    load_warehouse(engine)
    engine.execute("DROP TABLE traits")
    with pytest.raises(ProjectError, match="traits"):
        evaluate_segments(engine, config({"s": {"all": [{"trait": "revenue", ">": 1}]}}), T1)


def test_aware_now_is_stored_in_utc(warehouse: Engine) -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    evaluate_segments(
        warehouse,
        config({"s": {"all": [{"trait": "order_count", ">": 4}]}}),
        dt.datetime(2024, 7, 1, 10, 0, tzinfo=paris),
    )
    assert warehouse.rows("SELECT since FROM segment_membership") == [(T1,)]
