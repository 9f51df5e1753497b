"""The engine contract: every public :class:`personae.engine.Engine` method, checked the
same way on every engine.

Each ``check_*`` function takes an open engine and a scratch folder and asserts what any
engine must do. ``tests/engine/test_contract.py`` runs them on the engines under test
(DuckDB by default); ``tests/spark/test_engine_contract.py`` runs the same bodies on the
shared Spark session. Table names are unique to each check, so one warehouse can serve
them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from personae.engine import Engine, ReadOptions
from personae.engine.matching import MatchingBackend
from personae.errors import EngineError

Check = Callable[[Engine, Path], None]


def check_execute_query_rows_scalar(engine: Engine, tmp_path: Path) -> None:
    engine.execute("CREATE OR REPLACE TABLE c_exec AS SELECT 1 AS a, 'x' AS b")
    engine.execute("INSERT INTO c_exec VALUES (?, ?)", [2, "it's"])
    table = engine.query("SELECT a, b FROM c_exec WHERE a >= ? ORDER BY a", [1])
    assert isinstance(table, pa.Table)
    assert table.column_names == ["a", "b"]
    assert table.to_pylist() == [{"a": 1, "b": "x"}, {"a": 2, "b": "it's"}]
    assert engine.rows("SELECT a, b FROM c_exec ORDER BY a") == [(1, "x"), (2, "it's")]
    assert engine.rows("SELECT a FROM c_exec WHERE a > 5") == []
    assert engine.scalar("SELECT max(a) FROM c_exec") == 2
    assert engine.scalar("SELECT a FROM c_exec WHERE a > ?", [5]) is None
    engine.execute("DELETE FROM c_exec WHERE a = 1")
    assert engine.rows("SELECT a FROM c_exec") == [(2,)]
    engine.drop_table("c_exec")


def check_batches_stream_the_rows_in_bounded_batches(engine: Engine, tmp_path: Path) -> None:
    numbers = list(range(2500))
    engine.write_arrow(
        "c_batches",
        pa.table({"n": pa.array(numbers, pa.int64()), "s": [f"v{n}" for n in numbers]}),
        mode="replace",
    )
    reader = engine.batches("SELECT n, s FROM c_batches ORDER BY n", 1000)
    assert isinstance(reader, pa.RecordBatchReader)
    assert reader.schema.names == ["n", "s"]
    batches = list(reader)
    assert all(0 < b.num_rows <= 1000 for b in batches)
    table = pa.Table.from_batches(batches)
    assert table.column("n").to_pylist() == list(range(2500))
    assert table.column("s")[7].as_py() == "v7"
    assert engine.batches("SELECT n FROM c_batches WHERE n < 0").read_all().num_rows == 0
    with pytest.raises(EngineError):
        engine.batches("SELECT * FROM c_no_such_table").read_all()
    engine.drop_table("c_batches")


def check_errors_carry_the_sql(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(EngineError) as caught:
        engine.query("SELECT * FROM c_no_such_table")
    assert "c_no_such_table" in str(caught.value)
    with pytest.raises(EngineError):
        engine.execute("SELECT * FROM c_no_such_table")


def check_create_table_as_may_read_the_table_it_replaces(engine: Engine, tmp_path: Path) -> None:
    engine.create_table_as("c_cta", "SELECT 1 AS n")
    engine.create_table_as("c_cta", "SELECT n + 1 AS n FROM c_cta")
    assert engine.rows("SELECT n FROM c_cta") == [(2,)]
    engine.drop_table("c_cta")


def check_tables_columns_count_and_drop(engine: Engine, tmp_path: Path) -> None:
    assert not engine.table_exists("c_tab")
    engine.execute("CREATE TABLE c_tab (id BIGINT, name VARCHAR)")
    assert engine.table_exists("c_tab")
    assert "c_tab" in engine.tables()
    assert engine.columns("c_tab") == ["id", "name"]
    assert engine.count("c_tab") == 0
    engine.execute("INSERT INTO c_tab VALUES (1, 'a'), (2, 'b')")
    assert engine.count("c_tab") == 2
    engine.drop_table("c_tab")
    assert not engine.table_exists("c_tab")
    assert "c_tab" not in engine.tables()
    engine.drop_table("c_tab")  # absent: no error


def check_write_arrow_replace_and_append(engine: Engine, tmp_path: Path) -> None:
    moment = dt.datetime(2024, 3, 1, 12, 34, 56)
    data = pa.table(
        {
            "id": pa.array([1, 2, None], pa.int64()),
            "name": pa.array(["a", None, "Zoé"], pa.string()),
            "day": pa.array([dt.date(2024, 1, 2), None, dt.date(2024, 3, 4)], pa.date32()),
            "x": pa.array([0.5, None, 2.0], pa.float64()),
            "ok": pa.array([True, False, None], pa.bool_()),
            "at": pa.array([moment, None, moment], pa.timestamp("us")),
        }
    )
    engine.write_arrow("c_arrow", data, mode="replace")
    assert engine.columns("c_arrow") == data.column_names
    back = engine.query("SELECT * FROM c_arrow ORDER BY id NULLS LAST")
    assert back.to_pylist() == data.to_pylist()
    assert back.schema.field("at").type == pa.timestamp("us")
    engine.write_arrow("c_arrow", data.slice(0, 1), mode="append")
    assert engine.count("c_arrow") == 4
    engine.write_arrow("c_arrow", data.slice(0, 1), mode="replace")
    assert engine.count("c_arrow") == 1
    engine.write_arrow("c_arrow_new", data, mode="append")  # append creates the table
    assert engine.count("c_arrow_new") == 3
    engine.drop_table("c_arrow")
    engine.drop_table("c_arrow_new")


def check_drop_relation_drops_tables_and_views(engine: Engine, tmp_path: Path) -> None:
    engine.create_table_as("c_rel", "SELECT 1 AS a")
    engine.execute("CREATE VIEW c_rel_view AS SELECT a FROM c_rel")
    assert engine.rows("SELECT a FROM c_rel_view") == [(1,)]
    engine.drop_relation("c_rel_view")
    assert not engine.table_exists("c_rel_view")
    assert engine.table_exists("c_rel")
    engine.drop_relation("c_rel")
    assert not engine.table_exists("c_rel")
    engine.drop_relation("c_rel")  # absent: no error


def check_read_parquet_names_each_rows_file(engine: Engine, tmp_path: Path) -> None:
    first, second = tmp_path / "c_part1.parquet", tmp_path / "c_part2.parquet"
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64())}), first)
    pq.write_table(pa.table({"id": pa.array([3], pa.int64())}), second)
    engine.read_parquet("c_parquet", [str(first), str(second)])
    assert engine.columns("c_parquet") == ["id", "_file"]
    rows = engine.rows("SELECT id, _file FROM c_parquet ORDER BY id")
    assert [r[0] for r in rows] == [1, 2, 3]
    assert [Path(r[1]).name for r in rows] == [first.name, first.name, second.name]
    engine.drop_table("c_parquet")


def check_read_csv_quarantines_rejected_rows(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "c_people.csv"
    source.write_text('id,name\n1,Ann\n2,Bob,extra\n3,"Zoé"\n', encoding="utf-8")
    found = engine.read_file(source, ReadOptions(format="csv"), "c_csv")
    assert found.table == "c_csv"
    assert found.columns == ["id", "name"]
    assert found.rows == 2
    assert [(r.file, r.line) for r in found.rejected] == [(str(source), 3)]
    assert found.rejected[0].reason.startswith("too many columns")
    # _line numbers the rows read (a rejected row is not counted), not the file's lines
    assert engine.rows("SELECT id, name FROM c_csv ORDER BY _line") == [
        ("1", "Ann"),
        ("3", "Zoé"),
    ]
    engine.drop_table("c_csv")


def check_read_jsonl_quarantines_lines_that_are_not_objects(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "c_events.jsonl"
    source.write_text('{"id": 1, "tags": [1, 2]}\nnot json\n{"id": 2}\n', encoding="utf-8")
    found = engine.read_file(source, ReadOptions(format="jsonl"), "c_jsonl")
    assert found.columns == ["id", "tags"]
    assert found.rows == 2
    assert [(r.line, r.raw) for r in found.rejected] == [(2, "not json")]
    assert engine.rows("SELECT _line, id, tags FROM c_jsonl ORDER BY _line") == [
        (1, "1", "[1,2]"),
        (3, "2", None),
    ]
    engine.drop_table("c_jsonl")


def check_read_json_tsv_and_parquet_as_text(engine: Engine, tmp_path: Path) -> None:
    array = tmp_path / "c_array.json"
    array.write_text('[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]', encoding="utf-8")
    tsv = tmp_path / "c_rows.tsv"
    tsv.write_text("id\tname\n1\ta\n2\tb\n", encoding="utf-8")
    parquet = tmp_path / "c_rows.parquet"
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["a", "b"]}), parquet)
    for path, file_format in ((array, "json"), (tsv, "tsv"), (parquet, "parquet")):
        found = engine.read_file(path, ReadOptions(format=file_format), "c_text")  # type: ignore[arg-type]
        assert (found.columns, found.rows, found.rejected) == (["id", "name"], 2, [])
        assert engine.rows("SELECT _line, id, name FROM c_text ORDER BY _line") == [
            (1, "1", "a"),
            (2, "2", "b"),
        ], file_format
    engine.drop_table("c_text")


def check_export_csv_and_parquet(engine: Engine, tmp_path: Path) -> None:
    sql = "SELECT 1 AS id, 'a' AS name UNION ALL SELECT 2, 'b'"
    out = tmp_path / "c_out" / "rows.parquet"
    assert engine.export(sql, out, "parquet") == 2
    assert sorted(pq.read_table(out).to_pylist(), key=lambda r: r["id"]) == [
        {"id": 1, "name": "a"},
        {"id": 2, "name": "b"},
    ]
    csv = tmp_path / "c_out" / "rows.csv"
    assert engine.export(sql, csv, "csv") == 2
    lines = csv.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and lines[0].replace('"', "") == "id,name"


def check_matching_backend_round_trip(engine: Engine, tmp_path: Path) -> None:
    engine.write_arrow(
        "c_mb_people", pa.table({"uid": pa.array([1, 2, 3], pa.int64())}), mode="replace"
    )
    with engine.matching_backend() as backend:
        assert isinstance(backend, MatchingBackend)
        assert backend.db_api() is not None
        assert backend.frame(pa.table({"k": ["a"]})) is not None
        backend.load("c_mb_lookup", pa.table({"uid": pa.array([2], pa.int64())}))
        backend.load_from(engine, "c_mb_input", "SELECT uid, uid * 10 AS v FROM c_mb_people")
        assert backend.count("c_mb_input") == 3
        backend.create_table(
            "c_mb_joined", "SELECT i.uid, i.v FROM c_mb_input i JOIN c_mb_lookup l USING (uid)"
        )
        assert backend.query("SELECT uid, v FROM c_mb_joined").to_pylist() == [{"uid": 2, "v": 20}]
        sql = "SELECT uid, v FROM c_mb_input WHERE uid > 1"
        backend.save_to(engine, "c_mb_edges", sql, mode="replace")
        backend.save_to(engine, "c_mb_edges", sql, mode="append")
        backend.drop_table("c_mb_joined")
    assert engine.rows("SELECT uid, v FROM c_mb_edges ORDER BY uid") == [
        (2, 20),
        (2, 20),
        (3, 30),
        (3, 30),
    ]
    engine.drop_table("c_mb_edges")
    engine.drop_table("c_mb_people")


def check_describe_and_checkpoint(engine: Engine, tmp_path: Path) -> None:
    assert engine.describe().startswith(engine.name)
    engine.create_table_as("c_durable", "SELECT 1 AS a")
    engine.checkpoint()
    assert engine.rows("SELECT a FROM c_durable") == [(1,)]
    engine.drop_table("c_durable")


def check_compact_keeps_every_row_left(engine: Engine, tmp_path: Path) -> None:
    engine.create_table_as("c_compact", "SELECT * FROM (VALUES (1, 'kept'), (2, 'gone')) t(a, b)")
    engine.execute("DELETE FROM c_compact WHERE a = 2")
    engine.compact()
    assert engine.rows("SELECT a, b FROM c_compact") == [(1, "kept")]
    engine.drop_table("c_compact")


#: every check, run on every engine under test
CHECKS: list[Check] = [
    check_execute_query_rows_scalar,
    check_batches_stream_the_rows_in_bounded_batches,
    check_errors_carry_the_sql,
    check_create_table_as_may_read_the_table_it_replaces,
    check_tables_columns_count_and_drop,
    check_write_arrow_replace_and_append,
    check_drop_relation_drops_tables_and_views,
    check_read_parquet_names_each_rows_file,
    check_read_csv_quarantines_rejected_rows,
    check_read_jsonl_quarantines_lines_that_are_not_objects,
    check_read_json_tsv_and_parquet_as_text,
    check_export_csv_and_parquet,
    check_matching_backend_round_trip,
    check_describe_and_checkpoint,
    check_compact_keeps_every_row_left,
]

#: pytest ids of :data:`CHECKS`
CHECK_IDS = [check.__name__.removeprefix("check_") for check in CHECKS]
