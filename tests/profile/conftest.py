"""Helpers to build the inputs of the profile stage (records, events, persons…) by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from helpers.tables import create, load_event_rows, load_persons
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
        load_event_rows(engine, rows, merged=merged, extra_persons=extra_persons)

    return load
