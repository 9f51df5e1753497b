"""Collected Parquet files → ``raw_collected`` in the warehouse, exactly once.

New files are those not yet named in ``collected_files``. Their rows are appended to
the immutable ``raw_collected`` minus every (source, message_id) already there (and minus the
repeats among themselves), so a file flushed twice, two collectors receiving the same
retry, or a crash between the append and the bookkeeping never doubles an event. A
message id is unique within its source only: two sources using the same id both land.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from personae.catalog import COLLECTED_FILES, RAW_COLLECTED
from personae.collect.flush import parquet_files
from personae.collect.paths import CollectPaths
from personae.collect.stored import SCHEMA
from personae.engine import Engine
from personae.ingest.privacy import COLLECTED_IDENTIFIERS, drop_suppressed
from personae.project import Project
from personae.protect.suppression import Suppression


@dataclass
class CollectedLoad:
    files: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    duplicates: int = 0
    #: messages of erased persons, dropped before landing
    rows_suppressed: int = 0


def ensure_tables(engine: Engine) -> None:
    if not engine.table_exists(RAW_COLLECTED):
        engine.write_arrow(RAW_COLLECTED, SCHEMA.empty_table(), mode="append")
    if not engine.table_exists(COLLECTED_FILES):
        engine.execute(
            f"CREATE TABLE {COLLECTED_FILES} (file VARCHAR, rows BIGINT, rows_loaded BIGINT, "
            "loaded_at TIMESTAMP)"
        )


def load_collected(project: Project, suppression: Suppression | None = None) -> CollectedLoad:
    engine = project.engine
    ensure_tables(engine)
    events = CollectPaths.of(project.root, project.config.collect.events_dir).events
    done = {row[0] for row in engine.rows(f"SELECT file FROM {COLLECTED_FILES}")}
    new = [p for p in parquet_files(events) if p.relative_to(events).as_posix() not in done]
    result = CollectedLoad(files=len(new))
    if not new:
        return result
    columns = ", ".join(SCHEMA.names)
    before = engine.count(RAW_COLLECTED)
    staged = "_collected_stage"
    # read by the engine itself: on Spark, the executors read the files in parallel
    engine.read_parquet(staged, [str(p.resolve()) for p in new])
    if suppression:
        columns_of = [
            (kind, f"nullif(trim({sql}), '')", None) for kind, sql in COLLECTED_IDENTIFIERS
        ]
        result.rows_suppressed = drop_suppressed(engine, staged, suppression, columns_of)
    engine.execute(
        f"""
        INSERT INTO {RAW_COLLECTED}
        SELECT {columns} FROM (
            SELECT *, row_number() OVER (
                PARTITION BY source, message_id ORDER BY received_at, _file) AS _n
            FROM {staged} s
            WHERE NOT EXISTS (
                SELECT 1 FROM {RAW_COLLECTED} r
                WHERE r.message_id = s.message_id AND r.source = s.source)
        ) WHERE _n = 1
        """
    )
    result.rows_loaded = engine.count(RAW_COLLECTED) - before
    per_file = dict(
        engine.rows(  # type: ignore[arg-type]
            # date=YYYY-MM-DD/part-….parquet: the file's name under the events folder,
            # whatever form of path or URI the engine reports
            f"SELECT regexp_extract(_file, '([^/]+/[^/]+)$', 1) AS f, count(*) "
            f"FROM {staged} GROUP BY f"
        )
    )
    result.rows_read = sum(int(v) for v in per_file.values()) + result.rows_suppressed
    result.duplicates = result.rows_read - result.rows_loaded - result.rows_suppressed
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    engine.write_arrow(
        COLLECTED_FILES,
        pa.table(
            {
                "file": [p.relative_to(events).as_posix() for p in new],
                "rows": [int(per_file.get(p.relative_to(events).as_posix(), 0)) for p in new],
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
