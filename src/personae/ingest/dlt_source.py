"""dlt sources: each completed dlt load of a table becomes one load of ``raw_<source>``.

Each run:

1. lists the completed loads (``_dlt_loads``, status 0) that wrote rows of the table
   (:mod:`personae.ingest.dlt_destination`) and leaves out those ``loads`` already holds
   for the source: a landed dlt load is never read again;
2. for each of the others, oldest first, streams the rows it wrote as Arrow batches,
   each written as text to the staging table (memory holds one batch), without dlt's
   bookkeeping columns (``_dlt_load_id`` is raw's ``_load_id``; ``_dlt_id``, random on
   every load of a merged table, would make every row look changed);
3. lands them as a file's rows land (:func:`personae.ingest.landing.land`) under dlt's
   own load id: a row dlt loaded again unchanged (``replace``, or ``merge`` of a whole
   extract) is counted unchanged, a changed one becomes a new version of its record.

A read that fails drops the staging table: nothing of that load lands, and the next run
reads it again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from personae.config.sources import SourceConfig
from personae.engine import Engine, FileRead
from personae.errors import SourceError
from personae.ingest.database import as_text
from personae.ingest.dlt_destination import DLT_PREFIX, LOAD_ID, ReadError, open_destination
from personae.ingest.landing import STAGE, Guard, Landing, Origin, SourceLoad, check_columns, land
from personae.ingest.tables import landed_loads


def load_dlt_source(
    engine: Engine, root: Path, name: str, source: SourceConfig, guard: Guard
) -> SourceLoad:
    """Land the completed dlt loads of the source's table not landed yet."""
    spec = source.dlt
    assert spec is not None, "a dlt source"
    report = SourceLoad(source=name)
    table = open_destination(root, name, spec)
    completed = table.completed_loads()
    done = landed_loads(engine, name)
    pending = [load_id for load_id in completed if load_id not in done]
    where = f"table {spec.dataset}.{spec.table} of the dlt destination {spec.destination}"
    try:
        columns = table.columns(pending or completed[-1:])
    except ReadError as exc:
        raise SourceError(
            f"sources.{name}: reading the columns of {where} failed: {exc}. Nothing was "
            "landed; repair or remove the file (run the dlt pipeline again) and run again"
        ) from None
    if columns and LOAD_ID not in columns:
        raise SourceError(
            f"sources.{name}.dlt.table: {spec.table} has no {LOAD_ID} column: it is a nested "
            "table (the items of a list dlt split out of its parent's rows), whose rows carry "
            "no load id. Read the top-level table instead and keep the list in its rows as "
            'JSON ("columns": {"tags": {"data_type": "json"}} on the resource, or '
            "max_table_nesting=0), as docs/sources.md shows"
        )
    if not columns:
        return report  # no completed load wrote the table yet
    kept = [c for c in columns if not c.startswith(DLT_PREFIX) or c == source.record_id]
    try:
        check_columns(name, source, where, kept, owner="its")
    except SourceError as exc:
        if f"column '{DLT_PREFIX}" not in str(exc):
            raise
        raise SourceError(
            f"{exc}; dlt's own columns (_dlt_load_id, _dlt_id…) do not land: the load id is "
            "raw's _load_id, and _dlt_id lands only as record_id: _dlt_id"
        ) from None
    report.files_seen = len(pending)
    origin = Origin(table.label, unit="load")
    previous: dt.datetime | None = None
    for load_id in pending:
        engine.drop_table(STAGE)
        rows = 0
        try:
            for batch in table.batches(load_id, kept):
                staged = as_text(in_utc(batch), rows)
                engine.write_arrow(STAGE, staged, mode="append" if rows else "replace")
                rows += batch.num_rows
        except ReadError as exc:
            engine.drop_table(STAGE)
            raise SourceError(
                f"sources.{name}: reading dlt load {load_id} of {where} failed after {rows} "
                f"rows: {exc}. Nothing of this load was landed; the next run reads it again"
            ) from None
        except BaseException:
            engine.drop_table(STAGE)
            raise
        if not rows:
            continue
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        if previous is not None and now <= previous:
            now = previous + dt.timedelta(microseconds=1)  # loads keep their order in raw
        previous = now
        read = FileRead(STAGE, [*kept, "_line"], rows)
        land(engine, name, source, read, origin, Landing(load_id, now, guard), report)
    return report


def in_utc(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Timestamps with a time zone as their UTC text, ``2026-01-01 10:00:00.000000Z``:
    the same whichever the destination (DuckDB hands them over as ``Etc/UTC``, Parquet as
    ``UTC``), so a pipeline moved from one to the other does not make every row a new
    version. The text is what Arrow writes for a ``UTC`` timestamp, made from the naive
    one: Arrow formats a zoned timestamp value by value, about ten times slower."""
    arrays = [
        pc.binary_join_element_wise(
            column.cast(pa.timestamp(column.type.unit)).cast(pa.string()), "Z", ""
        )
        if pa.types.is_timestamp(column.type) and column.type.tz is not None
        else column
        for column in batch.columns
    ]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
