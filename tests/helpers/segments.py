"""A small known warehouse for segment tests: persons, profiles, traits and events."""

from __future__ import annotations

import datetime as dt

from helpers.tables import create
from personae.engine import Engine

D = dt.datetime
ORDER = "Order Completed"


#: person_id -> (order_count, revenue, newsletter, country)
PEOPLE: dict[int, tuple[int, float | None, bool | None, str | None]] = {
    1: (5, 500.0, True, "FR"),
    2: (1, 40.0, False, "FR"),
    3: (0, None, None, "BE"),
    4: (2, 150.0, True, None),
    5: (3, 90.0, True, "CH"),
}

#: (person_id, event, timestamp, properties); as_of is 2024-06-30
EVENTS = [
    (1, ORDER, D(2024, 6, 20), '{"revenue": 100, "category": "shoes"}'),
    (1, ORDER, D(2024, 6, 25), '{"revenue": 50, "category": "bags"}'),
    (1, ORDER, D(2024, 1, 5), '{"revenue": 350, "category": "shoes"}'),
    (2, ORDER, D(2024, 6, 29), '{"revenue": 40, "category": "accessories"}'),
    (4, ORDER, D(2024, 3, 1), '{"revenue": 100, "category": "accessories"}'),
    (4, ORDER, D(2024, 5, 31, 23, 59), '{"revenue": 50, "category": "accessories"}'),
    (5, ORDER, D(2024, 6, 1), '{"revenue": 30, "category": "bags"}'),
    (5, ORDER, D(2024, 6, 2), '{"revenue": 30, "category": "bags"}'),
    (5, ORDER, D(2024, 6, 3), '{"revenue": 30, "category": "bags"}'),
    (3, "Email Opened", D(2024, 6, 30, 12), "{}"),
]

TRAITS = {
    "order_count": {"aggregate": "count", "event": ORDER},
    "revenue": {"aggregate": "sum", "event": ORDER, "of": "revenue"},
    "newsletter": {"expression": "true"},
}


def load_warehouse(engine: Engine, merged: dict[int, int] | None = None) -> None:
    merged = merged or {}
    create(
        engine,
        "persons",
        {
            "person_id": "BIGINT",
            "created_at": "TIMESTAMP",
            "merged_into": "BIGINT",
            "records": "BIGINT",
        },
        [(pid, D(2024, 1, 1), merged.get(pid), 1) for pid in PEOPLE],
    )
    create(
        engine,
        "traits",
        {
            "person_id": "BIGINT",
            "order_count": "BIGINT",
            "revenue": "DOUBLE",
            "newsletter": "BOOLEAN",
        },
        [(pid, n, rev, nl) for pid, (n, rev, nl, _) in PEOPLE.items()],
    )
    create(
        engine,
        "profiles",
        {"person_id": "BIGINT", "country": "VARCHAR", "email": "VARCHAR"},
        [(pid, country, f"p{pid}@x.fr") for pid, (*_, country) in PEOPLE.items()],
    )
    create(
        engine,
        "events",
        {"source": "VARCHAR", "record_id": "VARCHAR", "event": "VARCHAR", "timestamp": "TIMESTAMP",
         "properties": "VARCHAR"},
        [("web", f"e{i}", name, ts, props) for i, (_, name, ts, props) in enumerate(EVENTS)],
    )  # fmt: skip
    create(
        engine,
        "identity_map",
        {"source": "VARCHAR", "record_id": "VARCHAR", "person_id": "BIGINT"},
        [("web", f"e{i}", pid) for i, (pid, *_) in enumerate(EVENTS)],
    )
