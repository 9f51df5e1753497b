"""The bookkeeping tables ingest owns: ``loads``, ``quarantine`` and ``source_cursors``."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from personae.catalog import LOADS, QUARANTINE, SOURCE_CURSORS
from personae.engine import Engine, RejectedRow

LOADS_SCHEMA = pa.schema(
    [
        ("load_id", pa.string()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("file_hash", pa.string()),
        ("file_size", pa.int64()),
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("rows_unchanged", pa.int64()),
        #: rows that are a new version of a record already in raw
        ("rows_new_versions", pa.int64()),
        ("loaded_at", pa.timestamp("us")),
        #: rows folded into their record's first row (a source's ``rows_per_record``)
        ("rows_folded", pa.int64()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("load_id", pa.string()),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("record_id", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
        ("quarantined_at", pa.timestamp("us")),
    ]
)


#: the cursor state of database sources (personae.ingest.database)
CURSORS_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("cursor_column", pa.string()),
        ("cursor_value", pa.string()),
        ("load_id", pa.string()),
        ("saved_at", pa.timestamp("us")),
    ]
)


def raw_table(source: str) -> str:
    return f"raw_{source}"


def ensure_tables(engine: Engine) -> None:
    bookkeeping = (
        (LOADS, LOADS_SCHEMA),
        (QUARANTINE, QUARANTINE_SCHEMA),
        (SOURCE_CURSORS, CURSORS_SCHEMA),
    )
    for name, schema in bookkeeping:
        if not engine.table_exists(name):
            engine.write_arrow(name, schema.empty_table(), mode="replace")
    if "rows_folded" not in engine.columns(LOADS):  # a warehouse from before rows_per_record
        engine.execute(f"ALTER TABLE {LOADS} ADD COLUMN rows_folded BIGINT")


def has_versions(engine: Engine, source: str) -> bool:
    """Whether some record of the source was loaded in more than one version."""
    if not engine.table_exists(LOADS):
        return True
    found = engine.scalar(
        f"SELECT coalesce(sum(rows_new_versions), 0) FROM {LOADS} WHERE source = ?", [source]
    )
    return bool(found)


def loaded_hashes(engine: Engine, source: str) -> set[str]:
    rows = engine.rows(f"SELECT DISTINCT file_hash FROM {LOADS} WHERE source = ?", [source])
    return {row[0] for row in rows}


def landed_loads(engine: Engine, source: str) -> set[str]:
    """The load ids of the source's loads (a dlt source's are dlt's own)."""
    rows = engine.rows(f"SELECT load_id FROM {LOADS} WHERE source = ?", [source])
    return {row[0] for row in rows}


def record_load(engine: Engine, row: dict[str, object]) -> None:
    engine.write_arrow(LOADS, pa.Table.from_pylist([row], schema=LOADS_SCHEMA), mode="append")


def new_rejects(engine: Engine, source: str, rejected: list[RejectedRow]) -> list[RejectedRow]:
    """The rejected rows not quarantined before from the same file with the same content
    (a changed file is read again whole); without content, the same reason."""
    if not rejected:
        return []
    files = sorted({r.file for r in rejected})
    marks = ", ".join("?" for _ in files)
    seen = {
        key
        for file, raw, reason in engine.rows(
            f"SELECT file, raw, reason FROM {QUARANTINE} WHERE source = ? AND file IN ({marks})",
            [source, *files],
        )
        for key in ((file, "raw", raw), (file, "reason", reason))
    }
    return [
        r
        for r in rejected
        if ((r.file, "raw", r.raw) if r.raw is not None else (r.file, "reason", r.reason))
        not in seen
    ]


def quarantine_rows(
    engine: Engine,
    source: str,
    load_id: str,
    rejected: list[RejectedRow],
    at: dt.datetime,
) -> None:
    if not rejected:
        return
    table = pa.Table.from_pylist(
        [
            {
                "source": source,
                "load_id": load_id,
                "file": r.file,
                "line": r.line,
                "record_id": None,
                "reason": r.reason,
                "raw": r.raw,
                "quarantined_at": at,
            }
            for r in rejected
        ],
        schema=QUARANTINE_SCHEMA,
    )
    engine.write_arrow(QUARANTINE, table, mode="append")
