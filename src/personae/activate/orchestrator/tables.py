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


def append_rows(
    engine: Engine, name: str, schema: pa.Schema, rows: Sequence[dict[str, Any]]
) -> None:
    ensure_table(engine, name, schema)
    if rows:
        engine.write_arrow(name, pa.Table.from_pylist(list(rows), schema=schema), mode="append")
