"""Small helpers to write SQL text safely (identifiers and literals)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa


def ident(name: str) -> str:
    """Quote an identifier: ``my col`` -> ``"my col"``."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """Render a Python value as a SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def sql_type(arrow: pa.DataType) -> str:
    """The SQL type (DuckDB's dialect) holding values of an Arrow type; nested values are
    held as JSON text."""
    checks: list[tuple[Callable[[pa.DataType], bool], str]] = [
        (pa.types.is_boolean, "BOOLEAN"),
        (pa.types.is_integer, "BIGINT"),
        (pa.types.is_floating, "DOUBLE"),
        (pa.types.is_decimal, "DOUBLE"),
        (pa.types.is_date, "DATE"),
        (pa.types.is_timestamp, "TIMESTAMP"),
    ]
    return next((name for check, name in checks if check(arrow)), "VARCHAR")
