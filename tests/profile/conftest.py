"""Helpers to build the inputs of the profile stage (records, events, persons…) by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pytest

from helpers.tables import create
from personae.engine import Engine

RECORD_COLUMNS: dict[str, str] = {
    "source": "VARCHAR",
    "record_id": "VARCHAR",
    "source_kind": "VARCHAR",
    "observed_at": "TIMESTAMP",
    "email": "VARCHAR",
    "phone": "VARCHAR",
    "customer_id": "VARCHAR",
    "user_id": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "loyalty_id": "VARCHAR",
    "device_id": "VARCHAR",
    "first_name": "VARCHAR",
    "last_name": "VARCHAR",
    "first_name_key": "VARCHAR",
    "last_name_key": "VARCHAR",
    "gender": "VARCHAR",
    "birth_date": "DATE",
    "address": "VARCHAR",
    "postcode": "VARCHAR",
    "city": "VARCHAR",
    "country": "VARCHAR",
    "language": "VARCHAR",
}


Loader = Callable[..., None]


@pytest.fixture
def load_records(engine: Engine) -> Loader:
    """``load_records([{source, record_id, person_id, observed_at, <fields>}], custom={..})``:
    fills records and identity_map, and persons for every person id not given."""

    def load(
        rows: list[dict[str, Any]],
        *,
        custom: dict[str, str] | None = None,
        merged: dict[int, int] | None = None,
        extra_persons: Sequence[int] = (),
    ) -> None:
        columns = {**RECORD_COLUMNS, **(custom or {})}
        create(
            engine,
            "records",
            columns,
            [
                [row.get(c, "people" if c == "source_kind" else None) for c in columns]
                for row in rows
            ],
        )
        create(
            engine,
            "identity_map",
            {"source": "VARCHAR", "record_id": "VARCHAR", "person_id": "BIGINT"},
            [(r["source"], r["record_id"], r["person_id"]) for r in rows],
        )
        load_persons(engine, {r["person_id"] for r in rows} | set(extra_persons), merged or {})

    return load


def load_persons(engine: Engine, ids: Iterable[int], merged: dict[int, int]) -> None:
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


@pytest.fixture
def load_events(engine: Engine) -> Loader:
    """``load_events([(person_id, event, timestamp, properties_json)], merged={})``: fills
    events, identity_map and persons (one record per event, source ``web``)."""

    def load(
        rows: list[tuple[int, str, dt.datetime, str]],
        *,
        merged: dict[int, int] | None = None,
        extra_persons: Sequence[int] = (),
    ) -> None:
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

    return load
