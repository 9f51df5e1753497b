"""Arrow on both sides of Spark: tables going in as Parquet, query results coming out.

Types are kept exact both ways (no pandas), and timestamps mean the same instants on both
engines: UTC wall time, naive in Arrow as DuckDB's TIMESTAMP is.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from personae.errors import EngineError


def to_arrow(frame: Any) -> pa.Table:
    """The rows of a Spark DataFrame as Arrow, with the types DuckDB would give."""
    batches = frame._collect_as_arrow()  # exact types, unlike toPandas()
    if not batches:
        return arrow_schema(frame.schema).empty_table()
    return naive_timestamps(pa.Table.from_batches(batches))


def naive_timestamps(table: pa.Table) -> pa.Table:
    """Spark's TIMESTAMP comes back as UTC-aware Arrow; DuckDB's TIMESTAMP is naive (UTC
    wall time, the session time zone of both): same instants, the same type."""
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            naive = table.column(index).cast(pa.timestamp(field.type.unit))
            table = table.set_column(index, field.name, naive)
    return table


def spark_ready(data: pa.Table) -> pa.Table:
    """Timestamps as UTC instants in microseconds: Parquet then says "adjusted to UTC" and
    Spark reads them as TIMESTAMP (a naive Parquet timestamp would be TIMESTAMP_NTZ)."""
    for index, field in enumerate(data.schema):
        if pa.types.is_timestamp(field.type):
            column = data.column(index)
            if field.type.tz is None:
                column = column.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
            else:
                column = column.cast(pa.timestamp("us", tz="UTC"))
            data = data.set_column(index, field.name, column)
    return data


_ARROW_TO_SPARK = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.int64(): "bigint",
    pa.int32(): "int",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}


def spark_schema(schema: pa.Schema) -> str:
    """Spark DDL for an Arrow schema; fails naming a column Spark cannot hold."""

    def spark_type(arrow: pa.DataType) -> str:
        if pa.types.is_timestamp(arrow):
            return "timestamp"
        if arrow not in _ARROW_TO_SPARK:
            raise EngineError(f"no Spark type for Arrow type {arrow}")
        return _ARROW_TO_SPARK[arrow]

    return ", ".join(f"`{f.name}` {spark_type(f.type)}" for f in schema)


def arrow_schema(schema: Any) -> pa.Schema:
    """The Arrow schema of a Spark schema (a type without an equivalent reads as text)."""

    names = {
        "string": pa.string(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }
    return pa.schema(
        [(f.name, names.get(f.dataType.simpleString(), pa.string())) for f in schema.fields]
    )
