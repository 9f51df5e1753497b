"""The stored form of collected messages: WAL records, then Parquet rows.

Timestamps are microseconds since the epoch, UTC; ``payload`` is the message's JSON.

A WAL record holds the rows of one request, by column: the JSON object
``{"columns": {name: [value, …]}}`` of every column but ``payload`` (:data:`HEAD`),
then for each row the byte ``0x1e`` and its payload's JSON as it is, so payloads are
not escaped into strings and back, and a segment turns into Arrow columns without a
dict per row (JSON never holds a raw ``0x1e``: it would be escaped). Records of earlier
versions, one JSON object per row, are read as well (:func:`decode_rows`).
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


#: the columns of a record's head: every column but the payload, in order
HEAD: tuple[str, ...] = tuple(c for c in COLUMNS if c != "payload")
_SEPARATOR = b"\x1e"


def encode(row: dict[str, Any]) -> bytes:
    """The record of one row."""
    return encode_rows([row])


def encode_rows(rows: list[dict[str, Any]]) -> bytes:
    """The record of several rows (one request's)."""
    return encode_columns({name: [r.get(name) for r in rows] for name in COLUMNS})


def encode_columns(columns: dict[str, list[Any]]) -> bytes:
    """The record of rows given by column (every column of :data:`COLUMNS`)."""
    head = orjson.dumps({"columns": {name: columns[name] for name in HEAD}})
    payloads = [b"" if p is None else p.encode() for p in columns["payload"]]
    return _SEPARATOR.join([head, *payloads])


def decode_columns(data: bytes) -> dict[str, list[Any]]:
    """A record's rows by column (``payload`` included)."""
    if data[:1] == b"{" and not data.startswith(b'{"columns":'):  # one row, earlier versions
        row = orjson.loads(data)
        return {name: [row.get(name)] for name in COLUMNS}
    head, *payloads = data.split(_SEPARATOR)
    columns: dict[str, list[Any]] = orjson.loads(head)["columns"]
    columns["payload"] = [p.decode() if p else None for p in payloads]
    return columns


def decode_rows(data: bytes) -> list[dict[str, Any]]:
    """A record's rows."""
    return columns_to_rows(decode_columns(data))


def columns_to_rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    values = zip(*(columns[c] for c in COLUMNS), strict=True)
    return [dict(zip(COLUMNS, row, strict=True)) for row in values]


def columns_to_arrow(parts: list[dict[str, list[Any]]]) -> pa.Table:
    """One table of several records' columns."""
    return pa.table(
        {
            name: pa.array([v for part in parts for v in part[name]], type=SCHEMA.field(name).type)
            for name in COLUMNS
        },
        schema=SCHEMA,
    )


def to_arrow(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {
            name: pa.array([r.get(name) for r in rows], type=SCHEMA.field(name).type)
            for name in COLUMNS
        },
        schema=SCHEMA,
    )
