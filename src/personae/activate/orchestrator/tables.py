"""The orchestrator's table: ``activation_messages``, one row per message decision."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from personae.catalog import ACTIVATION_MESSAGES
from personae.engine import Engine

#: every status a decision can have
STATUSES = (
    "sent",
    "failed",
    "suppressed",
    "capped",
    "deduped",
    "outranked",
    "conflict",
    "quiet_hours",
    "control",
)

MESSAGES_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("campaign", pa.string()),
        ("journey", pa.string()),
        ("step", pa.string()),
        ("person_id", pa.int64()),
        ("channel", pa.string()),
        ("destination", pa.string()),
        ("priority", pa.int64()),
        ("decided_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("provider_id", pa.string()),
    ]
)
assert tuple(MESSAGES_SCHEMA.names) == ACTIVATION_MESSAGES.columns


def ensure_table(engine: Engine, name: str, schema: pa.Schema) -> None:
    """Create ``name`` empty with ``schema`` when it does not exist yet."""
    if not engine.table_exists(name):
        engine.write_arrow(name, schema.empty_table(), mode="replace")


def dicts(table: pa.Table) -> list[dict[str, Any]]:
    """The rows of ``table`` as dicts (column by column: faster than ``to_pylist``)."""
    names = table.column_names
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def arrow(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Dicts as a table of ``schema`` (column by column: faster than ``from_pylist``)."""
    return pa.table(
        {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}, schema=schema
    )


def append_rows(
    engine: Engine, name: str, schema: pa.Schema, rows: Sequence[dict[str, Any]]
) -> None:
    ensure_table(engine, name, schema)
    if rows:
        engine.write_arrow(name, arrow(rows, schema), mode="append")
