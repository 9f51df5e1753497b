"""The stored form of collected messages: WAL records, then Parquet rows.

Timestamps are microseconds since the epoch, UTC; ``payload`` is the message's JSON.

A WAL record holds the rows of one request, by column: the JSON object
``{"columns": {name: [value, …]}, "lengths": [payload bytes, …]}`` of every column but
``payload`` (:data:`HEAD`), the byte ``0x1e`` (JSON never holds it raw), then the
payloads' JSON one after the other, as they are. So payloads are not escaped into
strings and back, and a record becomes an Arrow table without a dict per row, its
payload column taken from the records' bytes (:func:`records_table`). Records of earlier
versions, one JSON object per row, are read as well (:func:`decode_rows`).
"""

from __future__ import annotations

import itertools
from array import array
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
    values = zip(*[[r.get(name) for name in COLUMNS] for r in rows], strict=True)
    return encode_columns(dict(zip(COLUMNS, map(list, values), strict=True)))


def encode_columns(columns: dict[str, list[Any]]) -> bytes:
    """The record of rows given by column (every column of :data:`COLUMNS`; payloads as
    ``str`` or as UTF-8 ``bytes``)."""
    payloads = [p.encode() if type(p) is str else p for p in columns["payload"]]
    head = {
        "columns": {name: columns[name] for name in HEAD},
        "lengths": [None if p is None else len(p) for p in payloads],
    }
    return b"".join([orjson.dumps(head), _SEPARATOR, *[p for p in payloads if p is not None]])


def _is_row(data: bytes) -> bool:
    """A record of earlier versions: one row as a JSON object."""
    return not data.startswith(b'{"columns":')


def _split(data: bytes) -> tuple[dict[str, list[Any]], list[int | None], bytes]:
    head, _, body = data.partition(_SEPARATOR)
    parsed = orjson.loads(head)
    return parsed["columns"], parsed["lengths"], body


def decode_columns(data: bytes) -> dict[str, list[Any]]:
    """A record's rows by column (``payload`` included)."""
    if _is_row(data):
        row = orjson.loads(data)
        return {name: [row.get(name)] for name in COLUMNS}
    columns, lengths, body = _split(data)
    payloads: list[str | None] = []
    offset = 0
    for length in lengths:
        if length is None:
            payloads.append(None)
            continue
        payloads.append(body[offset : offset + length].decode())
        offset += length
    columns["payload"] = payloads
    return columns


def records_table(records: list[bytes]) -> pa.Table:
    """The rows of several records as one Arrow table, built column by column at once
    (a record of one ``/v1/track`` call is one row: an Arrow array per record would cost
    more than the call). Payloads are not decoded into Python strings but taken as they
    lie in the records (their UTF-8 checked by Arrow)."""
    columns: dict[str, list[Any]] = {name: [] for name in HEAD}
    lengths: list[int | None] = []
    bodies: list[bytes] = []
    for record in records:
        if _is_row(record):
            row = orjson.loads(record)
            for name in HEAD:
                columns[name].append(row.get(name))
            payload = row.get("payload")
            data = None if payload is None else payload.encode()
            lengths.append(None if data is None else len(data))
            bodies.append(data or b"")
            continue
        head, found, body = _split(record)
        for name in HEAD:
            columns[name].extend(head[name])
        lengths.extend(found)
        bodies.append(body)
    arrays = {name: pa.array(columns[name], type=SCHEMA.field(name).type) for name in HEAD}
    offsets = array("i", [0, *itertools.accumulate(n or 0 for n in lengths)])
    validity = None
    if None in lengths:
        validity = pa.array([n is not None for n in lengths]).buffers()[1]
    arrays["payload"] = pa.StringArray.from_buffers(
        len(lengths), pa.py_buffer(offsets), pa.py_buffer(b"".join(bodies)), validity
    )
    arrays["payload"].validate(full=True)
    return pa.table({name: arrays[name] for name in COLUMNS}, schema=SCHEMA)


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
