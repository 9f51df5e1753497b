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


def load_persons(engine: Engine, ids: Iterable[int], merged: dict[int, int]) -> None:
    """``persons`` with ``ids`` (and the ids of ``merged``), ``merged`` saying who was
    merged into whom."""
    all_ids = sorted(set(ids) | set(merged) | set(merged.values()))
    create(
        engine,
        "persons",
        {
            "person_id": "BIGINT",
            "created_at": "TIMESTAMP",
            "merged_into": "BIGINT",
            "records": "BIGINT",
        },
        [(pid, dt.datetime(2024, 1, 1), merged.get(pid), 0) for pid in all_ids],
    )


def load_event_rows(
    engine: Engine,
    rows: Sequence[tuple[int, str, dt.datetime, str]],
    *,
    merged: dict[int, int] | None = None,
    extra_persons: Sequence[int] = (),
) -> None:
    """``events``, ``identity_map`` and ``persons`` from ``(person_id, event, timestamp,
    properties_json)`` rows: one record per event, source ``web``."""
    create(
        engine,
        "events",
        {
            "source": "VARCHAR",
            "record_id": "VARCHAR",
            "event": "VARCHAR",
            "timestamp": "TIMESTAMP",
            "properties": "VARCHAR",
        },
        [("web", f"e{i}", name, ts, props) for i, (_, name, ts, props) in enumerate(rows)],
    )
    create(
        engine,
        "identity_map",
        {"source": "VARCHAR", "record_id": "VARCHAR", "person_id": "BIGINT"},
        [("web", f"e{i}", pid) for i, (pid, *_) in enumerate(rows)],
    )
    load_persons(engine, {r[0] for r in rows} | set(extra_persons), merged or {})
