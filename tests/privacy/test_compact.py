"""A DuckDB warehouse file keeps no bytes of deleted rows once compacted.

DuckDB compresses strings (FSST, dictionaries), so a byte search of a compressed file
may miss a value that is there: the tests store strings uncompressed, where a byte
search is conclusive, and check the value is in the file before it is erased.
"""

from __future__ import annotations

from pathlib import Path

from personae.engine import ENGINES
from personae.engine.base import Engine

TARGET = b"person4242@example.org"


def _warehouse(path: Path) -> Engine:
    engine = ENGINES["duckdb"](path)
    engine.execute("SET force_compression = 'uncompressed'")
    engine.execute(
        "CREATE TABLE people AS SELECT i AS id, 'person' || i || '@example.org' AS email "
        "FROM range(50000) t(i)"
    )
    engine.checkpoint()
    assert TARGET in path.read_bytes()
    return engine


def test_deleted_values_leave_the_warehouse_file(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    engine = _warehouse(path)
    engine.execute("DELETE FROM people WHERE id = 4242")
    engine.checkpoint()
    engine.compact()
    assert engine.count("people") == 49999
    assert engine.scalar("SELECT current_setting('TimeZone')") == "UTC"
    engine.close()
    assert TARGET not in path.read_bytes()


def test_a_delete_or_a_table_rewrite_alone_leaves_them(tmp_path: Path) -> None:
    """Why erasure compacts: DuckDB marks deleted rows and frees the blocks of a
    rewritten table without wiping either."""
    path = tmp_path / "warehouse.duckdb"
    engine = _warehouse(path)
    engine.execute("DELETE FROM people WHERE id = 4242")
    engine.checkpoint()
    assert TARGET in path.read_bytes()
    engine.create_table_as("people", "SELECT * FROM people")
    engine.checkpoint()
    assert engine.count("people") == 49999
    assert TARGET in path.read_bytes()
    engine.close()
