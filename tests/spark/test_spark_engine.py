"""The Spark engine's contract: DuckDB-dialect SQL in, the same answers out.

One Spark session is shared by the whole module (starting one takes seconds); each test
gets a fresh warehouse folder only through table names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from personae.engine.base import ReadOptions
from personae.engine.duckdb import DuckDBEngine
from personae.engine.spark import STAGING, SparkEngine, to_spark_sql
from personae.errors import EngineError


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkEngine]:
    engine = SparkEngine(str(tmp_path_factory.mktemp("spark-warehouse")), master="local[1]")
    yield engine


@pytest.fixture
def duck() -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine()
    yield engine
    engine.close()


def test_create_or_replace_builds_parquet_then_renames() -> None:
    statements = to_spark_sql("CREATE OR REPLACE TABLE t AS SELECT 1 AS a")
    assert statements[1].startswith("CREATE TABLE t__next USING PARQUET AS")
    assert statements[2:] == ["DROP TABLE IF EXISTS t", "ALTER TABLE t__next RENAME TO t"]


def test_row_number_without_order_numbers_in_parallel() -> None:
    (statement,) = to_spark_sql("SELECT row_number() OVER () AS n FROM t")
    assert "(MONOTONICALLY_INCREASING_ID() + 1) AS n" in statement
    # an ordered numbering stays a window
    (ordered,) = to_spark_sql("SELECT row_number() OVER (ORDER BY a) AS n FROM t")
    assert "ROW_NUMBER() OVER (ORDER BY a" in ordered


def test_unordered_row_numbers_are_unique_and_positive(spark: SparkEngine) -> None:
    spark.write_arrow(
        "numbered", pa.table({"id": pa.array(range(5000), pa.int64())}), mode="replace"
    )
    spark.create_table_as("numbered", "SELECT row_number() OVER () AS n, id FROM numbered")
    assert spark.rows("SELECT count(DISTINCT n), count(*), min(n) > 0 FROM numbered") == [
        (5000, 5000, True)
    ]


def test_parameters_are_bound_as_literals() -> None:
    (statement,) = to_spark_sql("SELECT * FROM t WHERE a = ? AND b = ?", ["it's", 3])
    assert "'it\\'s'" in statement and "b = 3" in statement
    with pytest.raises(EngineError, match="2 parameters for 1 placeholders"):
        to_spark_sql("SELECT ?", [1, 2])


def test_tables_round_trip_through_arrow(spark: SparkEngine) -> None:
    data = pa.table(
        {
            "id": pa.array([1, 2, None], pa.int64()),
            "name": pa.array(["a", None, "c"], pa.string()),
            "day": pa.array([dt.date(2024, 1, 2), None, dt.date(2024, 3, 4)], pa.date32()),
        }
    )
    spark.write_arrow("rt", data, mode="replace")
    assert spark.table_exists("rt")
    assert spark.columns("rt") == ["id", "name", "day"]
    back = spark.query("SELECT * FROM rt ORDER BY id NULLS LAST")
    assert back.column("id").to_pylist() == [1, 2, None]
    assert back.column("day").to_pylist() == [dt.date(2024, 1, 2), dt.date(2024, 3, 4), None] or (
        back.column("name").to_pylist() == ["a", None, "c"]
    )
    spark.write_arrow("rt", data.slice(0, 1), mode="append")
    assert spark.count("rt") == 4
    spark.drop_table("rt")
    assert not spark.table_exists("rt")


@pytest.mark.parametrize(
    "sql",
    [
        # string functions personae uses, written in DuckDB's dialect
        "SELECT lower('ÉCOLE') AS v",
        "SELECT regexp_replace('a-b_c', '[^a-z]', '', 'g') AS v",
        "SELECT concat_ws('|', 'a', NULL, 'b') AS v",
        "SELECT split_part('jean.dupont@mail.fr', '@', 1) AS v",
        "SELECT nullif('', '') AS v",
        "SELECT md5('personae') AS v",
        "SELECT substr('dupont', 1, 2) AS v",
        # dates
        "SELECT CAST(DATE '2024-02-29' AS VARCHAR) AS v",
        "SELECT date_diff('day', DATE '2024-01-01', DATE '2024-03-01') AS v",
        # day boundaries crossed, not whole days elapsed
        "SELECT date_diff('day', TIMESTAMP '2024-01-01 23:00:00', DATE '2024-01-02') AS v",
        # a list aggregate over no value is NULL
        "SELECT list(x) FILTER (WHERE x > 5) AS v FROM (VALUES (1), (2)) AS t(x)",
        "SELECT try_strptime('31/12/2024', '%d/%m/%Y') AS v",
        "SELECT try_strptime('not a date', '%d/%m/%Y') AS v",
        "SELECT strip_accents('Hélène Čapek') AS v",
        "SELECT string_agg(DISTINCT x, ', ' ORDER BY x) AS v "
        "FROM (VALUES ('b'), ('a'), ('b')) AS t(x)",
        # percentiles interpolate the same way (to the last bits: compared rounded)
        "SELECT round(median(CAST(x AS DOUBLE)), 9) AS v FROM (VALUES (1), (2), (4), (10)) AS t(x)",
        "SELECT round(quantile_cont(CAST(x AS DOUBLE), 0.9), 9) AS v "
        "FROM (VALUES (1), (2), (4), (10)) AS t(x)",
        # null ordering: DuckDB puts NULLs last ascending
        "SELECT x AS v FROM (VALUES (2), (NULL), (1)) AS t(x) ORDER BY x",
        # floating point
        "SELECT round(CAST(2.0 AS DOUBLE) / 3, 9) AS v",
        # json_list: a JSON list read as typed objects, embedded as a list; not JSON: none
        "SELECT CAST(json_object('p', CASE WHEN json_valid(x) THEN to_json(json_transform("
        'x, \'[{"q": "DOUBLE", "ok": "BOOLEAN", "n": "VARCHAR"}]\')) END) '
        'AS VARCHAR) AS v FROM (VALUES (\'[{"q":"2.5","ok":"true","n":"a"},'
        '{"n":"b","q":" 3 ","ok":"false","z":"1"}]\')) AS t(x)',
        "SELECT CASE WHEN json_valid(x) THEN to_json(json_transform(x, "
        "'[{\"q\": \"DOUBLE\"}]')) END IS NULL AS v FROM (VALUES ('not json')) AS t(x)",
    ],
)
def test_same_answer_as_duckdb(spark: SparkEngine, duck: DuckDBEngine, sql: str) -> None:
    assert spark.query(sql).column("v").to_pylist() == duck.query(sql).column("v").to_pylist()


#: (script, statement index) -> the parameters that statement is run with
STATEMENT_PARAMS = {
    ("timestamp_parameters", 1): [dt.datetime(2024, 3, 1, 12, 34, 56), dt.date(2024, 3, 1)],
}


@pytest.mark.parametrize(
    ("name", "script"),
    [
        # json_object: the same JSON text
        ("json_object", ["SELECT json_object('id', 7, 'name', 'Zoé', 'ok', true) AS v"]),
        # bind_parameters: ? bound as literals
        (
            "bind_parameters",
            ["SELECT concat(?, '|', CAST(? AS VARCHAR), '|', CAST(? AS VARCHAR)) AS v"],
        ),
        # replace_by_rename: a replace that reads the table it replaces
        (
            "replace_by_rename",
            [
                "CREATE OR REPLACE TABLE {t} AS SELECT 1 AS v",
                "CREATE OR REPLACE TABLE {t} AS SELECT v + 1 AS v FROM {t}",
                "SELECT v FROM {t}",
            ],
        ),
        # parquet_tables: a plain CREATE TABLE AS, then read back
        ("parquet_tables", ["CREATE TABLE {t} AS SELECT 'x' AS v", "SELECT v FROM {t}"]),
        # create_with_columns_as_select: an empty table declared with columns, then filled
        (
            "create_with_columns_as_select",
            [
                "CREATE TABLE {t} (v BIGINT, s VARCHAR)",
                "INSERT INTO {t} VALUES (2, 'b'), (1, 'a')",
                "SELECT v FROM {t} ORDER BY v",
            ],
        ),
        # delete_as_rewrite: rows where the condition is NULL are kept
        (
            "delete_as_rewrite",
            [
                "CREATE TABLE {t} AS SELECT * FROM (VALUES (1), (2), (NULL)) AS x(v)",
                "DELETE FROM {t} WHERE v = 2",
                "SELECT v FROM {t} ORDER BY v",
            ],
        ),
        # update_as_rewrite: the assigned columns take values computed from the old row,
        # where the condition holds (NULL: unchanged); the others and the order stay
        (
            "update_as_rewrite",
            [
                "CREATE TABLE {t} AS SELECT * FROM (VALUES (1, 'a', 10), (2, 'b', 20), "
                "(NULL, 'c', 30)) AS x(k, s, n)",
                "UPDATE {t} SET s = s || '!', n = n + k WHERE k >= 2",
                "SELECT concat_ws(':', CAST(k AS VARCHAR), s, CAST(n AS VARCHAR)) AS v FROM {t} "
                "ORDER BY n",
            ],
        ),
        # bind_parameters: a datetime parameter is inserted into a TIMESTAMP column
        (
            "timestamp_parameters",
            [
                "CREATE TABLE {t} (ts TIMESTAMP, d DATE)",
                "INSERT INTO {t} VALUES (?, ?)",
                "SELECT CAST(ts AS VARCHAR) || ' ' || CAST(d AS VARCHAR) AS v FROM {t}",
            ],
        ),
        # unordered_row_number: unique ids from 1 (not the same numbering)
        (
            "unordered_row_number",
            [
                "CREATE TABLE {t} AS SELECT row_number() OVER () AS n "
                "FROM (VALUES (1), (2), (3), (4)) AS x(i)",
                "SELECT count(DISTINCT n) = count(*) AND min(n) >= 1 AS v FROM {t}",
            ],
        ),
    ],
)
def test_rewritten_statements_give_duckdbs_answer(
    spark: SparkEngine, duck: DuckDBEngine, name: str, script: list[str]
) -> None:
    """Each rewrite of :mod:`personae.engine.spark.transpile` not covered by
    :func:`test_same_answer_as_duckdb`: the script ends with a query whose ``v`` is the
    same on both engines."""
    params = ["it's", 2, True] if name == "bind_parameters" else None
    answers = []
    for engine in (spark, duck):
        *statements, query = [line.format(t=f"same_{name}") for line in script]
        for i, statement in enumerate(statements):
            engine.execute(statement, STATEMENT_PARAMS.get((name, i)))
        answers.append(engine.query(query, params).column("v").to_pylist())
        engine.drop_table(f"same_{name}")
    assert answers[0] == answers[1]


def test_timestamps_come_back_naive_like_duckdb(spark: SparkEngine, duck: DuckDBEngine) -> None:
    sql = "SELECT CAST('2024-03-01 12:34:56' AS TIMESTAMP) AS v"
    assert spark.query(sql).schema.field("v").type == duck.query(sql).schema.field("v").type
    assert spark.query(sql).column("v").to_pylist() == duck.query(sql).column("v").to_pylist()


def test_create_table_as_materialises_parquet(spark: SparkEngine, tmp_path: Path) -> None:
    spark.create_table_as("ct", "SELECT row_number() OVER () AS rid, 'x' AS v")
    spark.create_table_as("ct", "SELECT rid + 1 AS rid, v FROM ct")  # replaces itself
    assert spark.rows("SELECT rid, v FROM ct") == [(2, "x")]
    out = tmp_path / "ct.parquet"
    assert spark.export("SELECT * FROM ct", out, "parquet") == 1
    assert out.exists()


def test_every_arrow_type_crosses_as_parquet_and_leaves_no_staging(spark: SparkEngine) -> None:
    """Arrow goes to Spark as a staged Parquet file: the same values come back (timestamps
    as naive UTC wall time, like DuckDB's TIMESTAMP), and the staging folder is emptied."""
    moment = dt.datetime(2024, 3, 1, 23, 59, 58, 123456)
    data = pa.table(
        {
            "i": pa.array([1, None], pa.int64()),
            "small": pa.array([7, None], pa.int32()),
            "x": pa.array([0.1, None], pa.float64()),
            "b": pa.array([True, None], pa.bool_()),
            "s": pa.array(["Zoé", None], pa.large_string()),
            "d": pa.array([dt.date(1980, 2, 29), None], pa.date32()),
            "naive": pa.array([moment, None], pa.timestamp("ns")),
            "utc": pa.array([moment.replace(tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC")),
        }
    )
    spark.write_arrow("types", data, mode="replace")
    back = spark.query("SELECT * FROM types ORDER BY i NULLS LAST")
    assert back.to_pylist() == [
        {"i": 1, "small": 7, "x": 0.1, "b": True, "s": "Zoé", "d": dt.date(1980, 2, 29)}
        | {"naive": moment, "utc": moment},
        dict.fromkeys(data.column_names),
    ]
    assert back.schema.field("naive").type == pa.timestamp("us")
    staging = Path(spark.warehouse) / STAGING
    assert not staging.exists() or not any(staging.iterdir())
    with pytest.raises(EngineError, match="no Spark type"):
        spark.write_arrow("bad", pa.table({"n": pa.array([None, None])}), mode="replace")


def test_errors_carry_the_sql(spark: SparkEngine) -> None:
    with pytest.raises(EngineError) as caught:
        spark.query("SELECT * FROM no_such_table")
    assert "no_such_table" in str(caught.value)


def test_reading_a_file_gives_the_rows_and_rejects_duckdb_gives(
    spark: SparkEngine, duck: DuckDBEngine, tmp_path: Path
) -> None:
    source = tmp_path / "a.csv"
    source.write_text('id,name\n1,Ann\n2,Bob,extra\n3,"Zoé"\n', encoding="utf-8")
    options = ReadOptions(format="csv")
    on_spark, on_duck = (
        spark.read_file(source, options, "rf"),
        duck.read_file(source, options, "rf"),
    )
    assert on_spark.columns == on_duck.columns
    assert [(r.line, r.reason) for r in on_spark.rejected] == [
        (r.line, r.reason) for r in on_duck.rejected
    ]
    sql = "SELECT * FROM rf ORDER BY _line"
    assert spark.query(sql).to_pylist() == duck.query(sql).to_pylist()


def test_matching_backend_reads_and_writes_the_warehouse_in_place(spark: SparkEngine) -> None:
    """On Spark, the matching input and the edges never pass through the driver: the
    backend's tables are views of the engine's session, the edges a warehouse table."""
    spark.write_arrow(
        "mb_people", pa.table({"uid": pa.array([1, 2, 3], pa.int64())}), mode="replace"
    )
    backend = spark.matching_backend()
    try:
        backend.load_from(spark, "mb_input", "SELECT uid, uid * 10 AS v FROM mb_people")
        assert backend.count("mb_input") == 3
        sql = "SELECT uid, v FROM mb_input WHERE uid > 1"
        backend.save_to(spark, "mb_edges", sql, mode="replace")
        backend.save_to(spark, "mb_edges", sql, mode="append")
    finally:
        backend.close()
    assert spark.rows("SELECT uid, v FROM mb_edges ORDER BY uid") == [
        (2, 20),
        (2, 20),
        (3, 30),
        (3, 30),
    ]
    # the views are gone with the backend; the warehouse table stays
    assert not spark.table_exists("mb_input") and spark.table_exists("mb_edges")
