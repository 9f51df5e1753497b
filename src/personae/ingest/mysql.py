"""MySQL and MariaDB read by PyMySQL (pure Python; there is no ADBC driver for MySQL on
PyPI) with an unbuffered cursor (``SSCursor``): the server sends rows as they are read,
each as one JSON object of its columns' text, parsed ``batch_rows`` at a time by Arrow's
JSON reader. connectorx, measured faster, reads ahead of a slow consumer without bound
(docs/sources.md, Measured)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa

from personae.ingest.driver_base import MYSQL, DriverError, Guarded, is_error, scrub

#: MySQL column types (``pymysql.constants.FIELD_TYPE``) a typed cursor is read as
_MYSQL_INTEGERS = {1, 2, 3, 8, 9, 13}  # TINY, SHORT, LONG, LONGLONG, INT24, YEAR
_MYSQL_FLOATS = {4, 5}  # FLOAT, DOUBLE
_MYSQL_DECIMALS = {0, 246}  # DECIMAL, NEWDECIMAL
_MYSQL_TIMES = {7, 12}  # TIMESTAMP, DATETIME
_MYSQL_DATES = {10, 14}  # DATE, NEWDATE
#: the types whose values may be bytes (BLOB, BINARY, BIT, GEOMETRY): read as hex
_MYSQL_BYTES = {16, 249, 250, 251, 252, 253, 254, 255}


def _pymysql() -> Any:
    try:
        import pymysql
    except ImportError:
        raise DriverError(
            "reading MySQL or MariaDB needs PyMySQL (a dependency of personae): pip install pymysql"
        ) from None
    return pymysql


def _mysql_message(exc: BaseException) -> str:
    """``(1045, "Access denied …")`` -> ``ERROR 1045: Access denied …``"""
    args = exc.args
    if len(args) == 2 and isinstance(args[0], int):
        return f"ERROR {args[0]}: {args[1]}"
    return str(exc) or type(exc).__name__


def _mysql_type(type_code: int, scale: int | None) -> pa.DataType:
    """The Arrow type a typed (cursor) column is read as, from its MySQL type."""
    if type_code == 8:  # BIGINT: an unsigned one passes int64
        return pa.decimal128(20, 0)
    if type_code in _MYSQL_INTEGERS:
        return pa.int64()
    if type_code in _MYSQL_FLOATS:
        return pa.float64()
    if type_code in _MYSQL_DECIMALS:
        return pa.decimal128(38, min(max(scale or 0, 0), 30))
    if type_code in _MYSQL_TIMES:
        return pa.timestamp("us")
    if type_code in _MYSQL_DATES:
        return pa.date32()
    return pa.string()


def _mysql_columns(cursor: Any, sql: str) -> list[tuple[str, int, int | None, bool]]:
    """Each column of ``sql``: its name, MySQL type, scale, and whether it holds bytes
    (the binary character set, 63)."""
    cursor.execute(f"SELECT * FROM ({sql}) AS personae_columns LIMIT 0")
    fields = getattr(getattr(cursor, "_result", None), "fields", None) or []
    cursor.fetchall()
    described = cursor.description or ()
    binary = [getattr(field, "charsetnr", 0) == 63 for field in fields] or [False] * len(described)
    return [
        (column[0], column[1], column[5], binary[i] and column[1] in _MYSQL_BYTES)
        for i, column in enumerate(described)
    ]


class _MySQLBatches:
    """Rows of a MySQL result as Arrow batches of ``batch_rows`` rows. The server writes
    each row as one JSON object of the columns' text (``CAST(… AS CHAR)``, bytes as hex):
    PyMySQL, pure Python, then reads one value per row instead of one per column, and
    Arrow's JSON reader parses a batch at once. The ``typed`` columns (the cursor) are
    cast back to their own type, so their order is theirs."""

    def __init__(self, cursor: Any, sql: str, typed: Sequence[str], batch_rows: int) -> None:
        columns = _mysql_columns(cursor, sql)
        self.cursor, self.batch_rows = cursor, batch_rows
        self.names = [name for name, *_ in columns]
        self.types = [
            _mysql_type(code, scale) if name in typed else pa.string()
            for name, code, scale, _ in columns
        ]
        self.schema = pa.schema(list(zip(self.names, self.types, strict=True)))
        self.text = pa.schema([(name, pa.string()) for name in self.names])
        # JSON keys k0, k1…: a column's own name may repeat, or be any text
        pairs = ", ".join(
            f"'k{i}', " + (f"HEX({MYSQL.ident(name)})" if binary else
                          f"CAST({MYSQL.ident(name)} AS CHAR)")
            for i, (name, _, _, binary) in enumerate(columns)
        )  # fmt: skip
        self.keys = pa.schema([(f"k{i}", pa.string()) for i in range(len(columns))])
        self.sql = f"SELECT JSON_OBJECT({pairs}) FROM ({sql}) AS personae_rows"

    def _batch(self, rows: Sequence[Any]) -> pa.RecordBatch:
        from pyarrow import json as arrow_json

        data = "\n".join(row[0] for row in rows).encode()
        table = arrow_json.read_json(
            pa.BufferReader(data),
            read_options=arrow_json.ReadOptions(use_threads=False, block_size=len(data) + 1),
            parse_options=arrow_json.ParseOptions(explicit_schema=self.keys),
        )
        arrays = []
        for i, column in enumerate(table.select(self.keys.names).columns):
            text = column.combine_chunks()
            if self.types[i] != pa.string():
                try:
                    text = text.cast(self.types[i])
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    raise DriverError(
                        f"the cursor column {self.names[i]} holds a value that is not of "
                        f"type {self.types[i]} (such as a zero date): clean it at the source, "
                        "or choose another cursor"
                    ) from None
            arrays.append(text)
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        self.cursor.execute(self.sql)
        while rows := self.cursor.fetchmany(self.batch_rows):
            yield self._batch(rows)


@contextmanager
def mysql_stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str]
) -> Iterator[pa.RecordBatchReader]:
    pymysql = _pymysql()
    errors = (pymysql.err.MySQLError, OSError)
    parts = urlsplit(url)
    try:
        connection = pymysql.connect(
            host=parts.hostname or "localhost",
            port=parts.port or 3306,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            database=unquote(parts.path.lstrip("/")) or None,
            charset="utf8mb4",
            connect_timeout=10,
            # the server's text as is: no decoder turns it into Python types (the
            # encoders, keyed by Python type, stay)
            conv={k: v for k, v in pymysql.converters.conversions.items() if type(k) is not int},
            cursorclass=pymysql.cursors.SSCursor,  # unbuffered: rows come as they are read
        )
    except errors as exc:
        raise DriverError(scrub(_mysql_message(exc), url)) from None
    try:
        try:
            cursor = connection.cursor()
            batches = _MySQLBatches(cursor, sql, typed, batch_rows)
            first = iter(batches)
            head = next(first, None)  # the statement runs: its errors come now
        except errors as exc:
            raise DriverError(scrub(_mysql_message(exc), url)) from None

        def every() -> Iterator[pa.RecordBatch]:
            if head is not None:
                yield head
                yield from first

        reader = pa.RecordBatchReader.from_batches(batches.schema, every())
        yield Guarded(reader, url, batch_rows, is_error(errors), _mysql_message).reader()
    finally:
        _abandon(connection)


def _abandon(connection: Any) -> None:
    """Close the socket without reading the rows left unread: an unbuffered cursor's close
    (also run when it is collected) would read every one of them first."""
    result = getattr(connection, "_result", None)
    if result is not None:
        result.unbuffered_active = False
    with suppress(Exception):
        connection._force_close()
