"""Database sources: a table or query read incrementally into ``raw_<source>``.

Each run:

1. reads the source's cursor state (``source_cursors``: the highest cursor value of its
   last committed load) and asks for the rows ``WHERE cursor >= last`` (every row the
   first time). Rows at the boundary come again and are counted unchanged by their row
   hash;
2. streams the rows as Arrow batches (:mod:`personae.ingest.drivers`), each written as
   text to the staging table with ``engine.write_arrow``: memory holds one batch;
3. removes the soft-deleted rows from the staging table, then lands it as a file's rows
   land (:func:`personae.ingest.landing.land`: record ids, row hashes, new versions,
   quarantine, ``loads``); the records deleted at the source leave raw, counted in
   ``ingest_removals`` as ``deleted`` (and, with ``full_compare``, the records whose id
   the source no longer holds);
4. appends the new cursor state, once the rows have landed.

A connection lost mid-extract drops the staging table: nothing of the extract lands,
the cursor state is unchanged, and the next run reads again from the same cursor.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from personae.catalog import SOURCE_CURSORS
from personae.config.sources import DatabaseSpec, SourceConfig
from personae.engine import Engine, FileRead
from personae.errors import ConfigError, SourceError, did_you_mean
from personae.ingest.drivers import (
    Dialect,
    DriverError,
    dialect_of,
    open_stream,
    redact,
    resolve_url,
    unresolved,
)
from personae.ingest.landing import (
    STAGE,
    Guard,
    Landing,
    Origin,
    SourceLoad,
    check_columns,
    land,
)
from personae.ingest.tables import CURSORS_SCHEMA, raw_table
from personae.sql import ident, literal

#: the ``ingest_removals`` reason of records deleted at the source
DELETED = "deleted"
_IDS = f"{STAGE}_ids"
_DELETED_IDS = f"{STAGE}_deleted"
#: values of a soft-delete column that do not mean deleted
_NOT_DELETED = ("", "false", "f", "0", "no", "n")


def load_database_source(
    engine: Engine, root: Path, name: str, source: SourceConfig, guard: Guard
) -> SourceLoad:
    """Extract what changed since the last load of a database source and land it."""
    spec = source.database
    assert spec is not None, "a database source"
    report = SourceLoad(source=name, files_seen=1)
    url = resolve_url(name, spec.url, root)
    shown = redact(url)
    where = f"table {spec.table} of {shown}" if spec.table else f"the query on {shown}"
    origin = Origin(f"{shown}#{spec.table or 'query'}", unit="extract")
    start = cursor_state(engine, name, spec)
    load_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    engine.drop_table(STAGE)
    rows, top, columns = 0, None, []
    try:
        sql = extract_sql(spec, start, dialect_of(url))
        typed = [spec.cursor] if spec.cursor else []
        with open_stream(url, sql, spec.batch_rows, typed) as reader:
            columns = list(reader.schema.names)
            _check_source_columns(engine, name, source, where, columns)
            for batch in reader:
                if spec.cursor:
                    top = _highest(top, batch.column(spec.cursor))
                staged = as_text(batch, rows)
                engine.write_arrow(STAGE, staged, mode="append" if rows else "replace")
                rows += batch.num_rows
    except DriverError as exc:
        engine.drop_table(STAGE)
        resume = f"cursor {spec.cursor} >= {start}" if start is not None else "the first row"
        cause = str(exc).rstrip(".")
        raise SourceError(
            f"sources.{name}: reading {where} failed after {rows} rows: {cause}. Nothing of "
            f"this extract was loaded; check the database and run again: the next run reads "
            f"from {resume}"
        ) from None
    except BaseException:
        engine.drop_table(STAGE)  # a mapping error, an interruption: nothing lands either
        raise
    if rows:
        read = FileRead(STAGE, [*columns, "_line"], rows)
        if spec.soft_delete:
            read = _set_deleted_aside(engine, source, spec.soft_delete, read)
            report.rows_read += rows - read.rows
        land(engine, name, source, read, origin, Landing(load_id, now, guard), report)
        if spec.soft_delete:
            report.rows_deleted += _remove(engine, name, f"SELECT id FROM {_DELETED_IDS}", True)
            engine.drop_table(_DELETED_IDS)
    if spec.full_compare:
        report.rows_deleted += _full_compare(engine, name, source, url, where)
    if spec.cursor and top is not None:
        _save_cursor(engine, name, spec.cursor, top, load_id, now)
    report.extract = described(spec, start, top)
    return report


def described(spec: DatabaseSpec, start: str | None, top: Any) -> str:
    """What an extract read, for the ingest report: ``table customers: updated_at from
    2026-01-03 10:00:00 to 2026-02-01 09:30:00`` (the first run reads every row)."""
    what = f"table {spec.table}" if spec.table else "query"
    if not spec.cursor:
        return f"{what}: every row"
    high = None if top is None else pa.array([top]).cast(pa.string())[0].as_py()
    if start is None:
        return f"{what}: every row" + (f" ({spec.cursor} up to {high})" if high else "")
    return f"{what}: {spec.cursor} from {start}" + (f" to {high}" if high else ", no rows")


def check_secrets(sources: Mapping[str, SourceConfig], root: Path) -> None:
    """Every ``${VARIABLE}`` of every database URL is set and every ``${file:…}`` exists
    (``personae validate``), without connecting; raises one ConfigError naming every
    missing one with its fix."""
    problems = [
        problem
        for name, source in sources.items()
        if source.database is not None
        for problem in unresolved(name, source.database.url, root)
    ]
    if problems:
        count = "1 placeholder" if len(problems) == 1 else f"{len(problems)} placeholders"
        raise ConfigError(
            f"{count} of database URLs cannot be resolved:\n  " + "\n  ".join(problems),
            path="sources",
        )


def extract_sql(spec: DatabaseSpec, start: str | None, dialect: Dialect) -> str:
    """The statement reading the table or query, from cursor value ``start`` on (its
    text, compared by the database in the column's own type), quoted as the database
    quotes (backticks on MySQL)."""
    if spec.table:
        relation = ".".join(dialect.ident(part) for part in spec.table.split("."))
    else:
        relation = f"({(spec.query or '').strip().rstrip(';')}) AS personae_extract"
    sql = f"SELECT * FROM {relation}"
    if start is not None and spec.cursor:
        sql += f" WHERE {dialect.ident(spec.cursor)} >= {dialect.literal(start)}"
    return sql


def cursor_state(engine: Engine, name: str, spec: DatabaseSpec) -> str | None:
    """The highest cursor value of the source's last committed load; None when the
    source is read whole (no cursor, a cursor column changed, or no raw table yet)."""
    if not spec.cursor or not engine.table_exists(SOURCE_CURSORS):
        return None
    if not engine.table_exists(raw_table(name)):
        return None
    found = engine.rows(
        f"SELECT cursor_column, cursor_value FROM {SOURCE_CURSORS} WHERE source = ? "
        "ORDER BY saved_at DESC, load_id DESC LIMIT 1",
        [name],
    )
    if not found or found[0][0] != spec.cursor:
        return None
    return str(found[0][1])


def _save_cursor(
    engine: Engine, name: str, column: str, top: Any, load_id: str, now: dt.datetime
) -> None:
    value = pa.array([top]).cast(pa.string())[0].as_py()
    row = {
        "source": name,
        "cursor_column": column,
        "cursor_value": value,
        "load_id": load_id,
        "saved_at": now,
    }
    engine.write_arrow(
        SOURCE_CURSORS, pa.Table.from_pylist([row], schema=CURSORS_SCHEMA), mode="append"
    )


def _highest(top: Any, column: pa.Array | pa.ChunkedArray) -> Any:
    found = pc.max(column).as_py()
    if found is None:
        return top
    return found if top is None else max(top, found)


def as_text(batch: pa.RecordBatch, offset: int) -> pa.Table:
    """Every column as text (raw keeps what the source said), plus ``_line``: the row's
    number in the extract."""
    arrays = [_text(column) for column in batch.columns]
    line = pa.array(range(offset + 1, offset + batch.num_rows + 1), pa.int64())
    return pa.Table.from_arrays([*arrays, line], names=[*batch.schema.names, "_line"])


def _text(column: pa.Array) -> pa.Array:
    if pa.types.is_string(column.type):
        return column
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # arrays, JSON, binary…: their JSON text
        values = column.to_pylist()
        return pa.array(
            [None if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in values],
            pa.string(),
        )


def _check_source_columns(
    engine: Engine, name: str, source: SourceConfig, where: str, columns: list[str]
) -> None:
    """Every mapped column, the cursor and the soft-delete column are in the extract; a
    column missing since the last load may have been renamed: the message names the
    columns the source has gained."""
    raw = raw_table(name)
    try:
        check_columns(name, source, where, columns, owner="its")
    except SourceError as exc:
        if not engine.table_exists(raw):
            raise
        known = set(engine.columns(raw))
        gained = [c for c in columns if c not in known]
        if not gained:
            raise
        raise SourceError(
            f"{exc}; columns new since the last load: {', '.join(gained)}: if the column was "
            "renamed, map the new name in personae.yml"
        ) from None
    spec = source.database
    assert spec is not None
    for key, column in (("cursor", spec.cursor), ("soft_delete", spec.soft_delete)):
        if column is not None and column not in columns:
            raise SourceError(
                f"sources.{name}.database.{key}: column {column!r} is not in {where}"
                + did_you_mean(column, columns)
                + f"; its columns are: {', '.join(columns)}"
            )


def _set_deleted_aside(
    engine: Engine, source: SourceConfig, column: str, read: FileRead
) -> FileRead:
    """Move the soft-deleted rows' record ids out of the staging table."""
    value = f"lower(trim(coalesce({ident(column)}, '')))"
    deleted = f"{value} NOT IN ({', '.join(literal(v) for v in _NOT_DELETED)})"
    record_id = f"nullif(trim({ident(source.record_id or '')}), '')"
    engine.create_table_as(
        _DELETED_IDS, f"SELECT DISTINCT {record_id} AS id FROM {read.table} WHERE {deleted}"
    )
    engine.execute(f"DELETE FROM {read.table} WHERE {deleted}")
    return FileRead(read.table, read.columns, engine.count(read.table))


def _remove(engine: Engine, name: str, ids: str, inside: bool) -> int:
    """Delete the raw rows of the records whose id is (or, ``inside=False``, is not) in
    the query ``ids``; returns how many rows went."""
    raw = raw_table(name)
    if not engine.table_exists(raw):
        return 0
    before = engine.count(raw)
    negation = "" if inside else "NOT "
    engine.execute(
        f"DELETE FROM {raw} WHERE {negation}EXISTS "
        f"(SELECT 1 FROM ({ids}) i WHERE i.id = {raw}._record_id)"
    )
    return before - engine.count(raw)


def _full_compare(engine: Engine, name: str, source: SourceConfig, url: str, where: str) -> int:
    """Stream every record id of the source, then remove from raw the records it no
    longer holds. Nothing is removed unless every id was read."""
    spec = source.database
    assert spec is not None and source.record_id
    if not engine.table_exists(raw_table(name)):
        return 0
    dialect = dialect_of(url)
    record_id = dialect.ident(source.record_id)
    sql = f"SELECT {record_id} FROM ({extract_sql(spec, None, dialect)}) AS personae_ids"
    engine.write_arrow(_IDS, pa.table({"id": pa.array([], pa.string())}), mode="replace")
    try:
        with open_stream(url, sql, spec.batch_rows) as reader:
            for batch in reader:
                ids = pc.utf8_trim_whitespace(_text(batch.column(0)))
                engine.write_arrow(_IDS, pa.table({"id": ids}), mode="append")
    except DriverError as exc:
        engine.drop_table(_IDS)
        raise SourceError(
            f"sources.{name}.database.full_compare: reading the ids of {where} failed: "
            f"{str(exc).rstrip('.')}. No record was removed; run again once the database answers"
        ) from None
    removed = _remove(engine, name, f"SELECT id FROM {_IDS} WHERE id IS NOT NULL", False)
    engine.drop_table(_IDS)
    return removed
