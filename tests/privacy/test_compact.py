"""A DuckDB warehouse file keeps no bytes of deleted rows once compacted."""

from __future__ import annotations

from pathlib import Path

from personae.engine import ENGINES


def test_deleted_values_leave_the_warehouse_file(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    engine = ENGINES["duckdb"](path)
    engine.execute(
        "CREATE TABLE people AS SELECT i AS id, 'person' || i || '@example.org' AS email "
        "FROM range(5000) t(i)"
    )
    engine.checkpoint()
    engine.execute("DELETE FROM people WHERE id = 4242")
    engine.checkpoint()
    engine.compact()
    assert engine.count("people") == 4999
    assert engine.scalar("SELECT current_setting('TimeZone')") == "UTC"
    engine.close()
    assert b"person4242@example.org" not in path.read_bytes()
