"""Build small tables from Python rows, for tests that craft their own warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from personae.engine import Engine
from personae.sql import literal


def sql_value(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"CAST('{value.isoformat(sep=' ')}' AS TIMESTAMP)"
    if isinstance(value, dt.date):
        return f"CAST('{value.isoformat()}' AS DATE)"
    return literal(value)


def create(
    engine: Engine, name: str, columns: dict[str, str], rows: Iterable[Sequence[Any]]
) -> None:
    """Create or replace ``name`` with the given column types and rows."""
    ddl = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    engine.execute(f"CREATE OR REPLACE TABLE {name} ({ddl})")
    values = [f"({', '.join(sql_value(v) for v in row)})" for row in rows]
    if values:
        engine.execute(f"INSERT INTO {name} VALUES {', '.join(values)}")
