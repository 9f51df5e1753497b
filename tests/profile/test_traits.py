"""Aggregate and expression traits on a known table of events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlglot

from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, ProjectError
from personae.profile import build_profiles, compute_traits
from personae.profile.traits import traits_sql

D = dt.datetime
ORDER = "Order Completed"

# as_of 2024-06-30: the window ``7d`` is [2024-06-24 00:00, 2024-07-01 00:00)
EVENTS = [
    (1, ORDER, D(2024, 1, 10, 9), '{"revenue": 100, "category": "shoes", "score": 9}'),
    (
        1,
        ORDER,
        D(2024, 6, 23, 23, 59, 59),
        '{"revenue": 20.5, "category": "accessories", "score": 10}',
    ),
    (1, ORDER, D(2024, 6, 24, 0, 0), '{"revenue": 59.5, "category": "accessories", "score": 2}'),
    (1, ORDER, D(2024, 6, 30, 23, 59), '{"revenue": 5, "category": "bags"}'),
    (1, ORDER, D(2024, 7, 1, 0, 0), '{"revenue": 1000, "category": "future"}'),  # after as_of
    (1, "Page Viewed", D(2024, 6, 29), '{"url": "/a"}'),
    (2, "Page Viewed", D(2024, 6, 1), '{"url": "/b"}'),
    (2, ORDER, D(2024, 5, 1), '{"revenue": "n/a", "category": "shoes"}'),
    # person 4 was merged into person 1
    (4, ORDER, D(2024, 3, 1), '{"revenue": 15, "category": "shoes"}'),
]

TRAITS: dict[str, Any] = {
    "order_count": {"aggregate": "count", "event": ORDER},
    "revenue": {"aggregate": "sum", "event": ORDER, "of": "revenue"},
    "avg_order": {"aggregate": "avg", "event": ORDER, "of": "revenue"},
    "biggest_order": {"aggregate": "max", "event": ORDER, "of": "revenue"},
    "smallest_order": {"aggregate": "min", "event": ORDER, "of": "revenue"},
    "first_category": {"aggregate": "first", "event": ORDER, "of": "category"},
    "last_category": {"aggregate": "last", "event": ORDER, "of": "category"},
    "min_category": {"aggregate": "min", "event": ORDER, "of": "category"},
    "first_order_at": {"aggregate": "min", "event": ORDER, "of": "timestamp"},
    "last_order_at": {"aggregate": "max", "event": ORDER, "of": "timestamp"},
    "categories": {"aggregate": "distinct_count", "event": ORDER, "of": "category"},
    "buyer": {"aggregate": "exists", "event": ORDER},
    "events": {"aggregate": "count"},
    "event_types": {"aggregate": "distinct_count", "of": "event"},
    "accessory_orders": {"aggregate": "count", "event": ORDER, "where": "category = 'accessories'"},
    "good_scores": {"aggregate": "count", "where": "score >= 9"},
    "orders_7d": {"aggregate": "count", "event": [ORDER], "within": "7d"},
    "revenue_7d": {"aggregate": "sum", "event": ORDER, "of": "revenue", "within": "1w"},
    "orders_24h": {"aggregate": "count", "event": ORDER, "within": "24h"},
}


def traits(engine: Engine) -> dict[int, dict[str, Any]]:
    table = engine.query("SELECT * FROM traits ORDER BY person_id")
    rows = table.to_pylist()
    return {row["person_id"]: row for row in rows}


@pytest.fixture
def computed(engine: Engine, load_events) -> dict[int, dict[str, Any]]:
    load_events(EVENTS, merged={4: 1}, extra_persons=[3])
    config = ProjectConfig.model_validate({"as_of": "2024-06-30", "traits": TRAITS})
    report = compute_traits(engine, config)
    assert report.persons == 3
    assert report.columns == list(TRAITS)
    return traits(engine)


def test_aggregates(computed: dict[int, dict[str, Any]]) -> None:
    one = computed[1]
    # 4 orders up to as_of + 1 from merged person 4; the July order is after as_of
    assert one["order_count"] == 5
    assert one["revenue"] == pytest.approx(100 + 20.5 + 59.5 + 5 + 15)
    assert one["avg_order"] == pytest.approx(200 / 5)
    assert one["biggest_order"] == 100.0
    assert one["smallest_order"] == 5.0
    assert one["first_category"] == "shoes"
    assert one["last_category"] == "bags"
    assert one["min_category"] == "accessories"
    assert one["first_order_at"] == D(2024, 1, 10, 9)
    assert one["last_order_at"] == D(2024, 6, 30, 23, 59)
    assert one["categories"] == 3
    assert one["buyer"] is True
    assert one["events"] == 6
    assert one["event_types"] == 2


def test_where_filters_on_properties(computed: dict[int, dict[str, Any]]) -> None:
    assert computed[1]["accessory_orders"] == 2
    # numeric comparison: 9 and 10 pass, 2 does not (a text comparison would drop 10)
    assert computed[1]["good_scores"] == 2


def test_windows_end_with_the_as_of_day(computed: dict[int, dict[str, Any]]) -> None:
    one = computed[1]
    # 2024-06-24 00:00 is the first instant of the 7-day window; 23:59:59 before is out
    assert one["orders_7d"] == 2
    assert one["revenue_7d"] == pytest.approx(59.5 + 5)
    # 24h: only the as_of day itself
    assert one["orders_24h"] == 1


def test_persons_without_events(computed: dict[int, dict[str, Any]]) -> None:
    three = computed[3]
    assert three["order_count"] == 0
    assert three["events"] == 0
    assert three["categories"] == 0
    assert three["buyer"] is False
    assert three["revenue"] is None
    assert three["last_category"] is None
    two = computed[2]
    # a non-numeric amount is ignored by sum, but the order still counts
    assert two["order_count"] == 1 and two["revenue"] is None
    assert two["buyer"] is True


def test_merged_persons_have_no_row(computed: dict[int, dict[str, Any]]) -> None:
    assert sorted(computed) == [1, 2, 3]


def test_text_property_min_max_stays_text(engine: Engine, load_events) -> None:
    load_events(
        [(1, ORDER, D(2024, 1, 1), '{"size": "10"}'), (1, ORDER, D(2024, 1, 2), '{"size": "9"}')]
    )
    config = ProjectConfig.model_validate(
        {"as_of": "2024-06-30", "traits": {"max_size": {"aggregate": "max", "of": "size"}}}
    )
    compute_traits(engine, config)
    # every value is numeric, so the property is read as a number: 10 > 9
    assert traits(engine)[1]["max_size"] == 10.0
    load_events(
        [(1, ORDER, D(2024, 1, 1), '{"size": "M"}'), (1, ORDER, D(2024, 1, 2), '{"size": "XL"}')]
    )
    compute_traits(engine, config)
    assert traits(engine)[1]["max_size"] == "XL"


def test_declared_property_type_is_used(engine: Engine, load_events) -> None:
    load_events(
        [
            (1, ORDER, D(2024, 1, 1), '{"day": "2024-01-05"}'),
            (1, ORDER, D(2024, 1, 2), '{"day": "2023-12-31"}'),
        ]
    )
    config = ProjectConfig.model_validate(
        {
            "as_of": "2024-06-30",
            "sources": {
                "orders": {
                    "kind": "events",
                    "path": "orders.csv",
                    "event": {
                        "name": ORDER,
                        "timestamp": {"column": "ts"},
                        "properties": {"day": {"column": "d", "type": "date"}},
                    },
                }
            },
            "traits": {"first_day": {"aggregate": "min", "of": "day"}},
        }
    )
    compute_traits(engine, config)
    assert traits(engine)[1]["first_day"] == dt.date(2023, 12, 31)


def test_expressions_in_dependency_order(engine: Engine, load_events, load_records) -> None:
    load_records(
        [
            {"source": "crm", "record_id": "c1", "person_id": 1, "country": "FR"},
            {"source": "crm", "record_id": "c2", "person_id": 2, "country": "BE"},
        ],
        extra_persons=[3],
    )
    build_profiles(engine, ProjectConfig())
    load_events(EVENTS[:4], extra_persons=[2, 3])
    config = ProjectConfig.model_validate(
        {
            "as_of": "2024-06-30",
            "traits": {
                # declared before the traits it uses
                "label": {"expression": "country || ':' || CAST(round(aov, 1) AS VARCHAR)"},
                "aov": {"expression": "revenue / nullif(order_count, 0)"},
                "days_since_last_order": {"expression": "date_diff('day', last_order_at, as_of)"},
                "order_count": {"aggregate": "count", "event": ORDER},
                "revenue": {"aggregate": "sum", "event": ORDER, "of": "revenue"},
                "last_order_at": {"aggregate": "max", "event": ORDER, "of": "timestamp"},
            },
        }
    )
    compute_traits(engine, config)
    rows = traits(engine)
    assert rows[1]["aov"] == pytest.approx((100 + 20.5 + 59.5 + 5) / 4)
    assert rows[1]["label"] == "FR:46.3"
    assert rows[1]["days_since_last_order"] == 0
    assert rows[2]["aov"] is None and rows[2]["label"] is None
    assert list(rows[1]) == ["person_id", *config.traits]


def test_expression_cycle(engine: Engine, load_events) -> None:
    load_events(EVENTS)
    config = ProjectConfig.model_validate(
        {
            "traits": {
                "a": {"expression": "b + 1"},
                "b": {"expression": "c * 2"},
                "c": {"expression": "a - n"},
                "n": {"aggregate": "count"},
            }
        }
    )
    with pytest.raises(ConfigError, match=r"traits\.a\.expression.*cycle: a -> b -> c -> a"):
        compute_traits(engine, config)


def test_unknown_name_in_expression(engine: Engine, load_events) -> None:
    load_events(EVENTS)
    config = ProjectConfig.model_validate(
        {"traits": {"n": {"aggregate": "count"}, "x": {"expression": "revnue / n"}}}
    )
    with pytest.raises(ConfigError) as info:
        compute_traits(engine, config)
    message = str(info.value)
    assert "traits.x.expression" in message and "'revnue'" in message
    assert "as_of" in message and "country" in message and "n" in message


def test_unknown_property_when_sources_declare_them(engine: Engine, load_events) -> None:
    load_events(EVENTS)
    config = ProjectConfig.model_validate(
        {
            "sources": {
                "orders": {
                    "kind": "events",
                    "path": "orders.csv",
                    "event": {
                        "name": ORDER,
                        "timestamp": {"column": "ts"},
                        "properties": {"revenue": "amount"},
                    },
                }
            },
            "traits": {"big": {"aggregate": "count", "where": "revenu > 100"}},
        }
    )
    with pytest.raises(ConfigError, match=r"traits\.big\.where.*'revenu'.*did you mean 'revenue'"):
        compute_traits(engine, config)


def test_trait_names_cannot_shadow_profile_columns(engine: Engine, load_events) -> None:
    load_events(EVENTS)
    config = ProjectConfig.model_validate({"traits": {"country": {"aggregate": "count"}}})
    with pytest.raises(ConfigError, match=r"traits\.country.*profile column 'country'"):
        compute_traits(engine, config)


def test_expression_on_profiles_needs_profiles(engine: Engine, load_events) -> None:
    load_events(EVENTS)
    config = ProjectConfig.model_validate({"traits": {"c": {"expression": "upper(country)"}}})
    with pytest.raises(ProjectError, match="profiles"):
        compute_traits(engine, config)


def test_no_traits_gives_one_row_per_person(engine: Engine, load_events) -> None:
    load_events(EVENTS, merged={4: 1}, extra_persons=[3])
    report = compute_traits(engine, ProjectConfig())
    assert report.persons == 3 and report.columns == []
    assert engine.columns("traits") == ["person_id"]


def test_traits_sql_transpiles_to_spark() -> None:
    config = ProjectConfig.model_validate(
        {"as_of": "2024-06-30", "traits": {**TRAITS, "rfm": {"rfm": True}}}
    )
    sql, _ = traits_sql(config, {"revenue": "DOUBLE", "category": "VARCHAR"})
    spark = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    assert "MAX_BY(" in spark and "NTILE(5)" in spark and "GET_JSON_OBJECT" in spark
