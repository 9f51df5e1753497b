"""Helpers of the unify tests: a ``records`` table written by hand, and what the stage wrote."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from personae.engine import Engine
from personae.unify import ResolveReport

IDENTITY = ("email", "phone", "customer_id", "user_id", "anonymous_id", "loyalty_id", "device_id")
COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "VARCHAR"),
    ("record_id", "VARCHAR"),
    ("source_kind", "VARCHAR"),
    ("observed_at", "TIMESTAMP"),
    *((name, "VARCHAR") for name in IDENTITY),
    ("first_name", "VARCHAR"),
    ("last_name", "VARCHAR"),
    ("first_name_key", "VARCHAR"),
    ("last_name_key", "VARCHAR"),
    ("gender", "VARCHAR"),
    ("birth_date", "DATE"),
    ("address", "VARCHAR"),
    ("postcode", "VARCHAR"),
    ("city", "VARCHAR"),
    ("country", "VARCHAR"),
    ("language", "VARCHAR"),
)

T0 = dt.datetime(2024, 1, 1, 9, 0, 0)


def _key(name: str | None) -> str | None:
    return re.sub(r"[^a-z]", "", name.lower()) or None if name else None


def write_records(
    engine: Engine,
    rows: list[dict[str, Any]],
    *,
    replace: bool = True,
    extra: tuple[tuple[str, str], ...] = (),
) -> None:
    """(Re)create ``records`` with the clean stage's columns and insert ``rows``.

    Each row needs ``source`` and ``record_id``; ``first_name_key`` is derived from
    ``first_name``, ``birth_date`` may be an ISO string; everything else defaults to NULL.
    ``extra`` adds custom columns (name, SQL type). With ``replace=False`` rows are
    appended to the existing table.
    """
    columns = (*COLUMNS, *extra)
    names = [name for name, _ in columns]
    if replace or not engine.table_exists("records"):
        engine.execute(
            "CREATE OR REPLACE TABLE records ("
            + ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
            + ")"
        )
    for row in rows:
        unknown = set(row) - set(names)
        assert not unknown, f"unknown record columns {unknown}"
        values = {"source_kind": "people", "observed_at": T0, **row}
        values.setdefault("first_name_key", _key(values.get("first_name")))
        if isinstance(values.get("birth_date"), str):
            values["birth_date"] = dt.date.fromisoformat(values["birth_date"])
        engine.execute(
            f"INSERT INTO records VALUES ({', '.join('?' for _ in names)})",
            [values.get(name) for name in names],
        )


Run = Callable[..., ResolveReport]


def person_of(engine: Engine, source: str, record_id: str) -> int:
    found = engine.rows(
        "SELECT person_id FROM identity_map WHERE source = ? AND record_id = ?",
        [source, record_id],
    )
    assert len(found) == 1, f"{source}/{record_id} is mapped {len(found)} times"
    return int(found[0][0])


def history(engine: Engine, action: str) -> list[dict[str, Any]]:
    """The ``identity_history`` rows of one action, as dicts."""
    names = ["at", "run_id", "action", "person_id", "other_person_id", "id_type", "id_value"]
    names.append("reason")
    rows = engine.rows(
        'SELECT "at", run_id, action, person_id, other_person_id, id_type, id_value, reason '
        "FROM identity_history WHERE action = ? ORDER BY id_type, id_value, person_id",
        [action],
    )
    return [dict(zip(names, row, strict=True)) for row in rows]


def guards(engine: Engine) -> dict[tuple[str, str], tuple[str, int, str]]:
    """``identity_guards`` as {(id_type, id_value): (guard, records, reason)}."""
    return {
        (t, v): (g, int(n), str(reason))
        for t, v, g, n, reason in engine.rows(
            "SELECT id_type, id_value, guard, records, reason FROM identity_guards"
        )
    }


def groups(engine: Engine) -> set[frozenset[str]]:
    """The persons as sets of ``source/record_id``."""
    rows = engine.rows("SELECT person_id, source || '/' || record_id FROM identity_map")
    by_person: dict[int, set[str]] = {}
    for person, record in rows:
        by_person.setdefault(int(person), set()).add(str(record))
    return {frozenset(members) for members in by_person.values()}


def union_find(edges: list[tuple[int, int]]) -> dict[int, int]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}
