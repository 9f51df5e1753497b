"""``personae export events``: the stored events with their original payloads and the
corrected timestamps, to JSON Lines or Parquet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson

from personae.catalog import RAW_COLLECTED
from personae.errors import PersonaeError
from personae.ingest.collected import ensure_tables, load_collected
from personae.project import Project
from personae.sql import literal

COLUMNS = (
    "message_id, type, event, source, user_id, anonymous_id, previous_id, group_id, "
    "timestamp, received_at, sent_at, original_timestamp, payload, violations"
)


def export_events(project: Project, out: Path, since: dt.datetime | None = None) -> int:
    """Load what was collected, then write it to ``out`` (.jsonl or .parquet)."""
    suffix = out.suffix.lower()
    if suffix not in (".jsonl", ".ndjson", ".parquet"):
        raise PersonaeError(f"{out}: export events writes .jsonl or .parquet files")
    load_collected(project)
    ensure_tables(project.engine)
    where = f"WHERE timestamp >= {literal(since.isoformat(sep=' '))}" if since else ""
    sql = f"SELECT {COLUMNS} FROM {RAW_COLLECTED} {where} ORDER BY timestamp, message_id"
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        return int(project.engine.export(sql, out, "parquet"))
    table = project.engine.query(sql)
    with out.open("wb") as handle:
        for row in table.to_pylist():
            row["payload"] = orjson.loads(row["payload"])
            if row["violations"] is not None:
                row["violations"] = orjson.loads(row["violations"])
            handle.write(orjson.dumps(row, option=orjson.OPT_NAIVE_UTC) + b"\n")
    return int(table.num_rows)
