"""The stored form of one collected message: a WAL record, then a Parquet row.

Timestamps are microseconds since the epoch, UTC; ``payload`` is the message's JSON.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

_TS = pa.timestamp("us")

#: columns of the Parquet files and of ``raw_collected``, in order
SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("type", pa.string()),
        ("event", pa.string()),
        ("user_id", pa.string()),
        ("anonymous_id", pa.string()),
        ("previous_id", pa.string()),
        ("group_id", pa.string()),
        ("timestamp", _TS),
        ("received_at", _TS),
        ("sent_at", _TS),
        ("original_timestamp", _TS),
        ("write_key_id", pa.string()),
        ("source", pa.string()),
        ("payload", pa.string()),
        ("violations", pa.string()),
        ("collector_id", pa.string()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)


def encode(row: dict[str, Any]) -> bytes:
    return orjson.dumps(row)


def decode(data: bytes) -> dict[str, Any]:
    row: dict[str, Any] = orjson.loads(data)
    return row


def to_arrow(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {
            name: pa.array([r.get(name) for r in rows], type=SCHEMA.field(name).type)
            for name in COLUMNS
        },
        schema=SCHEMA,
    )
