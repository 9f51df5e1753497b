"""The Spark warehouse folder is the source of truth: what one process writes, the next
finds, with no metastore; DELETE works on Parquet tables; projects stay apart.

A new process is simulated by a new engine with another Spark database over the same
warehouse folder: its catalog starts empty, exactly like a new session's.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from personae.engine.base import ReadOptions
from personae.engine.duckdb import DuckDBEngine
from personae.engine.spark import STAGING, SparkEngine


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    return str(tmp_path / "warehouse")


def reopened(warehouse: str, run: str) -> SparkEngine:
    return SparkEngine(warehouse, master="local[1]", database=f"reopened_{run}")


def test_tables_survive_a_new_session(warehouse: str) -> None:
    first = SparkEngine(warehouse, master="local[1]")
    first.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS a UNION ALL SELECT 2")
    # declared with columns and never written: the schema must survive too
    first.execute("CREATE TABLE f (file VARCHAR, n BIGINT)")

    second = reopened(warehouse, "a")
    assert second.table_exists("t") and second.table_exists("f")
    assert second.columns("f") == ["file", "n"]
    assert sorted(second.rows("SELECT a FROM t")) == [(1,), (2,)]
    # a registered table can be replaced, appended to and dropped like any other
    second.execute("CREATE OR REPLACE TABLE t AS SELECT a * 10 AS a FROM t")
    second.execute("INSERT INTO f VALUES ('x', 1)")
    assert sorted(second.rows("SELECT a FROM t")) == [(10,), (20,)]

    third = reopened(warehouse, "b")
    assert sorted(third.rows("SELECT a FROM t")) == [(10,), (20,)]
    assert third.rows("SELECT file, n FROM f") == [("x", 1)]
    third.drop_table("t")
    assert not Path(warehouse, "t").exists()
    assert not reopened(warehouse, "c").table_exists("t")


def test_a_replace_interrupted_before_the_swap_is_completed(warehouse: str) -> None:
    first = SparkEngine(warehouse, master="local[1]")
    first.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS a")
    first.execute("CREATE OR REPLACE TABLE u AS SELECT 1 AS a")
    first.execute("CREATE TABLE t__next USING parquet AS SELECT 2 AS a")
    first.execute("CREATE TABLE u__next USING parquet AS SELECT 2 AS a")
    first.session.sql(f"DROP TABLE {first.database}.u")  # stopped between drop and rename

    second = reopened(warehouse, "d")
    # t's replace stopped before dropping t: t is still current, t__next is removed
    assert second.rows("SELECT a FROM t") == [(1,)]
    # u was dropped, its new version was complete: it becomes u
    assert second.rows("SELECT a FROM u") == [(2,)]
    assert not second.table_exists("t__next") and not second.table_exists("u__next")


def test_an_incomplete_table_directory_is_removed(warehouse: str) -> None:
    SparkEngine(warehouse, master="local[1]").execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS a")
    shutil.copytree(Path(warehouse, "t"), Path(warehouse, "broken"))
    Path(warehouse, "broken", "_SUCCESS").unlink()
    second = reopened(warehouse, "e")
    assert not second.table_exists("broken")
    assert not Path(warehouse, "broken").exists()
    assert second.table_exists("t")


def test_a_warehouse_given_as_a_uri_works_like_a_path(tmp_path: Path) -> None:
    """Every file operation goes through Hadoop's FileSystem, so a URI (``file://`` here,
    ``s3a://`` or ``hdfs://`` on a cluster) works like a path: tables, staged Arrow,
    source files read on the driver, reopening."""
    folder = tmp_path / "uri-warehouse"
    uri = folder.as_uri()
    engine = SparkEngine(uri, master="local[1]", database="uri_a")
    engine.write_arrow("t", pa.table({"a": pa.array([1, 2], pa.int64())}), mode="replace")
    source = tmp_path / "s.csv"
    source.write_text("id,name\n1,Ann\n", encoding="utf-8")
    engine.read_file(source, ReadOptions(format="csv"), "s")
    assert (folder / "t" / "_SUCCESS").exists() and (folder / "s" / "_SUCCESS").exists()
    again = SparkEngine(uri, master="local[1]", database="uri_b")
    assert sorted(again.rows("SELECT a FROM t")) == [(1,), (2,)]
    assert again.rows("SELECT _line, id, name FROM s") == [(1, "1", "Ann")]
    assert not any((folder / STAGING).iterdir())


def test_projects_sharing_a_session_do_not_see_each_other(tmp_path: Path) -> None:
    one = SparkEngine(str(tmp_path / "one"), master="local[1]")
    two = SparkEngine(str(tmp_path / "two"), master="local[1]")
    one.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS a")
    two.execute("CREATE OR REPLACE TABLE t AS SELECT 2 AS a")
    assert one.rows("SELECT a FROM t") == [(1,)]
    assert two.rows("SELECT a FROM t") == [(2,)]
    assert Path(tmp_path, "one", "t", "_SUCCESS").exists()


@pytest.fixture
def duck() -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine()
    yield engine
    engine.close()


@pytest.mark.parametrize(
    "delete",
    [
        "DELETE FROM t WHERE a IN (SELECT a FROM gone)",
        "DELETE FROM t AS x WHERE EXISTS (SELECT 1 FROM gone AS g WHERE g.a = x.a)",
        # a condition that is NULL keeps the row, as in SQL's DELETE
        "DELETE FROM t WHERE a > b",
        "DELETE FROM t",
    ],
)
def test_delete_removes_the_same_rows_as_duckdb(
    warehouse: str, duck: DuckDBEngine, delete: str
) -> None:
    spark = SparkEngine(warehouse, master="local[1]")
    for engine in (spark, duck):
        engine.execute(
            "CREATE OR REPLACE TABLE t AS SELECT * FROM "
            "(VALUES (1, 0), (2, NULL), (3, 5), (NULL, 1)) AS v(a, b)"
        )
        engine.execute("CREATE OR REPLACE TABLE gone AS SELECT 1 AS a UNION ALL SELECT NULL")
        engine.execute(delete)
    sql = "SELECT a, b FROM t ORDER BY a NULLS LAST"
    assert spark.rows(sql) == duck.rows(sql)
