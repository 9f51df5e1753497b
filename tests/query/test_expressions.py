"""User SQL: event filters are parsed, validated and rewritten with sqlglot."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from personae.errors import ConfigError
from personae.query.expressions import event_filter_sql, referenced_names

AS_OF = dt.date(2024, 6, 30)


def rewrite(text: str, properties: set[str] | None = None) -> str:
    return event_filter_sql(text, "traits.t.where", as_of=AS_OF, properties=properties)


def test_properties_become_json_reads() -> None:
    sql = rewrite("category = 'accessories'")
    assert sql == "(e.properties ->> '$.category') = 'accessories'"
    assert "TRY_CAST" not in sql


@pytest.mark.parametrize(
    "text",
    [
        "revenue > 10",
        "revenue >= -1.5",
        "10 < revenue",
        "revenue IN (1, 2, 3)",
        "revenue BETWEEN 1 AND 5",
        "revenue * 2 > 3",
        "-revenue < 0",
    ],
)
def test_numeric_use_casts_to_double(text: str) -> None:
    sql = rewrite(text)
    assert "TRY_CAST(e.properties ->> '$.revenue' AS DOUBLE)" in sql


@pytest.mark.parametrize("text", ["vip", "vip = true", "vip IS TRUE", "NOT vip", "vip AND x = 'a'"])
def test_boolean_use_casts_to_boolean(text: str) -> None:
    assert "TRY_CAST(e.properties ->> '$.vip' AS BOOLEAN)" in rewrite(text)


def test_event_columns_and_as_of() -> None:
    sql = rewrite("event = 'Order Completed' AND source = 'shop' AND timestamp >= as_of")
    assert 'e."event" = ' in sql and 'e."source" = ' in sql
    assert "e.\"timestamp\" >= CAST('2024-06-30' AS DATE)" in sql


def test_quoted_property_names() -> None:
    assert "'$.\"my prop\"'" in rewrite('"my prop" = 1')


def test_unknown_property_is_named_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        rewrite("categroy = 'shoes'", properties={"category", "revenue"})
    message = str(info.value)
    assert "traits.t.where" in message
    assert "'categroy'" in message
    assert "did you mean 'category'" in message
    assert "category, event, revenue, source, timestamp" in message


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("revenue >", "cannot read"),
        ("(SELECT 1) = 1", "subqueries"),
        ("sum(revenue) > 1", "aggregate"),
        ("e.revenue > 1", "without a prefix"),
        ("1; DROP TABLE x", "cannot read|one SQL expression"),
    ],
)
def test_bad_sql(text: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        rewrite(text)


def test_rewritten_filters_transpile_to_spark() -> None:
    sql = rewrite("category IN ('a', 'b') AND revenue > 10")
    spark = sqlglot.transpile(f"SELECT * FROM events e WHERE {sql}", read="duckdb", write="spark")[
        0
    ]
    assert "GET_JSON_OBJECT(e.properties, '$.revenue')" in spark


def test_referenced_names() -> None:
    assert referenced_names("a / nullif(b, 0) + date_diff('day', c, as_of)", "x") == {
        "a",
        "b",
        "c",
        "as_of",
    }
