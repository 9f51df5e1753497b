"""Collected Parquet files → ``raw_collected`` in the warehouse, exactly once.

New files are those not yet named in ``collected_files``. Their rows are appended to
the immutable ``raw_collected`` minus every message_id already there (and minus the
repeats among themselves), so a file flushed twice, two collectors receiving the same
retry, or a crash between the append and the bookkeeping never doubles an event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from personae.collect.flush import parquet_files
from personae.collect.paths import CollectPaths
from personae.collect.stored import SCHEMA
from personae.engine import Engine
from personae.project import Project
from personae.sql import literal

RAW_TABLE = "raw_collected"
FILES_TABLE = "collected_files"


@dataclass
class CollectedLoad:
    files: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    duplicates: int = 0


def ensure_tables(engine: Engine) -> None:
    if not engine.table_exists(RAW_TABLE):
        engine.write_arrow(RAW_TABLE, SCHEMA.empty_table(), mode="append")
    if not engine.table_exists(FILES_TABLE):
        engine.execute(
            f"CREATE TABLE {FILES_TABLE} (file VARCHAR, rows BIGINT, rows_loaded BIGINT, "
            "loaded_at TIMESTAMP)"
        )


def load_collected(project: Project) -> CollectedLoad:
    engine = project.engine
    ensure_tables(engine)
    events = CollectPaths.of(project.root).events
    done = {row[0] for row in engine.rows(f"SELECT file FROM {FILES_TABLE}")}
    new = [p for p in parquet_files(events) if p.relative_to(events).as_posix() not in done]
    result = CollectedLoad(files=len(new))
    if not new:
        return result
    files = "[" + ", ".join(literal(str(p)) for p in new) + "]"
    columns = ", ".join(SCHEMA.names)
    before = engine.count(RAW_TABLE)
    staged = "_collected_stage"
    engine.create_table_as(
        staged,
        f"SELECT {columns}, filename AS _file FROM read_parquet({files}, filename = true)",
    )
    engine.execute(
        f"""
        INSERT INTO {RAW_TABLE}
        SELECT {columns} FROM (
            SELECT *, row_number() OVER (
                PARTITION BY message_id ORDER BY received_at, _file) AS _n
            FROM {staged} s
            WHERE NOT EXISTS (SELECT 1 FROM {RAW_TABLE} r WHERE r.message_id = s.message_id)
        ) WHERE _n = 1
        """
    )
    result.rows_loaded = engine.count(RAW_TABLE) - before
    per_file = dict(
        engine.rows(f"SELECT _file, count(*) FROM {staged} GROUP BY _file")  # type: ignore[arg-type]
    )
    result.rows_read = sum(int(v) for v in per_file.values())
    result.duplicates = result.rows_read - result.rows_loaded
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    engine.write_arrow(
        FILES_TABLE,
        pa.table(
            {
                "file": [p.relative_to(events).as_posix() for p in new],
                "rows": [int(per_file.get(str(p), 0)) for p in new],
                "rows_loaded": [None] * len(new),
                "loaded_at": [now] * len(new),
            },
            schema=pa.schema(
                [
                    ("file", pa.string()),
                    ("rows", pa.int64()),
                    ("rows_loaded", pa.int64()),
                    ("loaded_at", pa.timestamp("us")),
                ]
            ),
        ),
        mode="append",
    )
    engine.drop_table(staged)
    return result
