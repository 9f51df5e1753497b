"""The segment language on Spark: the hand-worked cases of ``helpers.segment_cases``
(sequences, abandonment, first/last occurrences, aggregates of properties, references)
give the same members as on DuckDB, and a restricted evaluation agrees with the full run.

One Spark session for the module; each group of cases is one ``evaluate_segments`` run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

pytest.importorskip("pyspark")

from helpers.segment_cases import (
    ABANDONED,
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
    sequence_config,
)
from helpers.sequence_oracle import CASES, END, expected, load, oracle_config, random_events
from personae.engine.duckdb import DuckDBEngine
from personae.engine.spark import SparkEngine
from personae.segment import evaluate_segments
from personae.segment.compile import segment_members_sql

NOW = dt.datetime(2024, 7, 1, 8, 0)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkEngine]:
    yield SparkEngine(str(tmp_path_factory.mktemp("segments-warehouse")), master="local[1]")


def _reset(engine: SparkEngine) -> None:
    for table in ("segment_membership", "segment_history"):
        if engine.table_exists(table):
            engine.drop_table(table)


def test_sequences_on_spark(spark: SparkEngine) -> None:
    _reset(spark)
    load_journeys(spark)
    config = sequence_config(SEQUENCES)
    evaluate_segments(spark, config, NOW)
    found = membership(spark)
    assert {name: found.get(name, []) for name in SEQUENCES} == expected_of(SEQUENCES)
    # judged at 10:45: only carts of 09:45 or earlier are abandoned
    live = sequence_config({"abandoned": ({"sequence": ABANDONED, "within": "1h"}, [])})
    sql = segment_members_sql(live, "abandoned", now=day(10, 45))
    assert sorted(int(r[0]) for r in spark.rows(sql)) == [8, 11, 12, 17]
    # for persons given by a query
    persons = "(SELECT 8 AS person_id UNION ALL SELECT 9)"
    sql = segment_members_sql(live, "abandoned", now=day(10, 45), persons=persons)
    assert [int(r[0]) for r in spark.rows(sql)] == [8]


def test_occurrences_aggregates_and_references_on_spark(spark: SparkEngine) -> None:
    _reset(spark)
    load_warehouse(spark)
    cases = {**OCCURRENCES, **AGGREGATES, **REFERENCES}
    evaluate_segments(spark, orders_config(cases), NOW)
    found = membership(spark)
    assert {name: found.get(name, []) for name in cases} == expected_of(cases)


def test_restricted_evaluation_on_spark_matches_duckdb(spark: SparkEngine) -> None:
    duck = DuckDBEngine()
    cases = {**SEQUENCES}
    config = sequence_config(cases)
    subset = [3, 6, 8, 12, 16]
    answers = []
    for engine in (spark, duck):
        load_journeys(engine)
        engine.execute("CREATE OR REPLACE TABLE _touched (person_id BIGINT)")
        engine.execute(f"INSERT INTO _touched VALUES {', '.join(f'({p})' for p in subset)}")
        answers.append(
            {
                name: sorted(
                    int(r[0])
                    for r in engine.rows(
                        segment_members_sql(config, name, now=NOW, persons="_touched")
                    )
                )
                for name in cases
            }
        )
    duck.close()
    assert (
        answers[0]
        == answers[1]
        == {
            name: [p for p in members if p in subset]
            for name, members in expected_of(cases).items()
        }
    )


def test_sequences_match_the_oracle_on_spark(spark: SparkEngine) -> None:
    _reset(spark)
    events = random_events(2)
    load(spark, events)
    evaluate_segments(spark, oracle_config(), END + dt.timedelta(hours=8))
    found = membership(spark)
    assert {name: found.get(name, []) for name in CASES} == {
        name: expected(events, case, END) for name, case in CASES.items()
    }
