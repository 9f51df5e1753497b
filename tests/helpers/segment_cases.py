"""Hand-worked cases of the segment language, shared by the DuckDB and the Spark tests.

Two warehouses: ``helpers.segments`` (orders with revenue and category, as_of 2024-06-30)
for first/last occurrences, aggregates and references; ``load_journeys`` below (cart and
checkout events on 2024-06-30) for sequences. Each case is a segment and its members,
worked out by hand from the rows; the end of the reference date is 2024-07-01 00:00.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpers.segments import ORDER, TRAITS, load_warehouse
from helpers.tables import create
from personae.config.models import ProjectConfig
from personae.engine import Engine

D = dt.datetime
ADD = "Product Added"
CHECKOUT = "Checkout Started"
#: the end of as_of 2024-06-30: every window counts back from here
END = D(2024, 7, 1)


def day(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return D(2024, 6, 30, hour, minute, second)


#: person -> their (event, timestamp, properties); person 6 has no events
JOURNEYS: dict[int, list[tuple[str, dt.datetime, str]]] = {
    1: [(ADD, day(10), "{}"), (ORDER, day(10, 30), '{"revenue": 50}')],
    # the order exactly 1 h after: within
    2: [(ADD, day(10), "{}"), (ORDER, day(11), '{"revenue": 50}')],
    # one second late
    3: [(ADD, day(10), "{}"), (ORDER, day(11, 0, 1), '{"revenue": 50}')],
    4: [(ADD, day(10), "{}")],
    # the order came before the cart
    5: [(ORDER, day(9), '{"revenue": 50}'), (ADD, day(10), "{}")],
    6: [],
    # 23:30 + 1 h is after the end of the reference date: not abandoned yet
    7: [(ADD, day(23, 30), "{}")],
    # the 08:00 cart was abandoned, the 10:00 one was not
    8: [(ADD, day(8), "{}"), (ADD, day(10), "{}"), (ORDER, day(10, 30), '{"revenue": 50}')],
    # the same instant does not follow
    9: [(ADD, day(10), "{}"), (ORDER, day(10), '{"revenue": 50}')],
    # a minute before the day (out of started_within: 1d)
    11: [(ADD, D(2024, 6, 29, 23, 59), "{}")],
    # exactly at the start of started_within: 1d
    12: [(ADD, day(0), "{}")],
    # a small order: fails the step's where
    13: [(ADD, day(10), '{"sku": "x"}'), (ORDER, day(10, 10), '{"revenue": 5}')],
    # three steps in order
    14: [(ADD, day(10), "{}"), (CHECKOUT, day(10, 20), "{}"), (ORDER, day(10, 50), "{}")],
    # checkout after the order
    15: [(ADD, day(10), "{}"), (ORDER, day(10, 10), "{}"), (CHECKOUT, day(10, 20), "{}")],
    # the order is 65 minutes after the cart
    16: [(ADD, day(10), "{}"), (CHECKOUT, day(10, 30), "{}"), (ORDER, day(11, 5), "{}")],
    # two carts reach the same checkout: the later one orders in time, the earlier one
    # was abandoned
    17: [
        (ADD, day(9, 30), "{}"),
        (ADD, day(10), "{}"),
        (CHECKOUT, day(10, 20), "{}"),
        (ORDER, day(10, 50), "{}"),
    ],
}
PEOPLE = sorted(JOURNEYS)


def load_journeys(engine: Engine) -> None:
    create(
        engine,
        "persons",
        {"person_id": "BIGINT", "created_at": "TIMESTAMP", "merged_into": "BIGINT",
         "records": "BIGINT"},
        [(pid, D(2024, 1, 1), None, 1) for pid in PEOPLE],
    )  # fmt: skip
    rows = [(pid, *event) for pid, events in JOURNEYS.items() for event in events]
    create(
        engine,
        "events",
        {"source": "VARCHAR", "record_id": "VARCHAR", "event": "VARCHAR", "timestamp": "TIMESTAMP",
         "properties": "VARCHAR"},
        [("web", f"e{i}", name, ts, props) for i, (_, name, ts, props) in enumerate(rows)],
    )  # fmt: skip
    create(
        engine,
        "identity_map",
        {"source": "VARCHAR", "record_id": "VARCHAR", "person_id": "BIGINT"},
        [("web", f"e{i}", pid) for i, (pid, *_) in enumerate(rows)],
    )


A_THEN_B = [{"event": ADD}, {"event": ORDER}]
ABANDONED = [{"event": ADD}, {"not": {"event": ORDER}}]

#: sequences, judged at the end of the reference date: segment -> (definition, members)
SEQUENCES: dict[str, tuple[dict[str, Any], list[int]]] = {
    "a_then_b_1h": ({"sequence": A_THEN_B, "within": "1h"}, [1, 2, 8, 13, 14, 15, 17]),
    "a_then_big_b_1h": (
        {"sequence": [{"event": ADD}, {"event": ORDER, "where": "revenue > 10"}], "within": "1h"},
        [1, 2, 8],
    ),
    "a_then_b_ever": ({"sequence": A_THEN_B}, [1, 2, 3, 8, 13, 14, 15, 16, 17]),
    "three_steps_1h": (
        {"sequence": [{"event": ADD}, {"event": CHECKOUT}, {"event": ORDER}], "within": "1h"},
        [14, 17],
    ),
    "abandoned_1h": ({"sequence": ABANDONED, "within": "1h"}, [3, 4, 5, 8, 9, 11, 12, 16, 17]),
    "abandoned_1h_today": (
        {"sequence": ABANDONED, "within": "1h", "started_within": "1d"},
        [3, 4, 5, 8, 9, 12, 16, 17],
    ),
    "abandoned_ever": ({"sequence": ABANDONED}, [4, 5, 7, 9, 11, 12]),
    "not_abandoned_1h": (
        {"not": {"sequence": ABANDONED, "within": "1h"}},
        [1, 2, 6, 7, 13, 14, 15],
    ),
}

#: first and last occurrences, on ``helpers.segments`` (30d starts 2024-06-01 00:00)
OCCURRENCES: dict[str, tuple[dict[str, Any], list[int]]] = {
    # first orders: 1 on 01-05, 2 on 06-29, 4 on 03-01, 5 on 06-01 00:00 (the bound)
    "first_order_30d": ({"first": ORDER, "within": "30d"}, [2, 5]),
    "not_first_order_30d": ({"not": {"first": ORDER, "within": "30d"}}, [1, 3, 4]),
    # last orders: 1 on 06-25, 2 on 06-29, 4 on 05-31 23:59, 5 on 06-03
    "lapsed_30d": ({"last": ORDER, "before": "30d"}, [4]),
    "last_order_7d": ({"last": ORDER, "within": "7d"}, [1, 2]),
    "first_order_200d_to_30d": ({"first": ORDER, "within": "200d", "before": "30d"}, [1, 4]),
    # last order of at least 100: 1 on 06-20, 4 on 03-01
    "last_big_order_lapsed": (
        {"last": ORDER, "where": "revenue >= 100", "before": "30d"},
        [4],
    ),
}

#: aggregates of properties (90d starts 2024-04-02; revenue in 90d: 1: 150, 2: 40,
#: 4: 50, 5: 90; all time: 1: 500, 2: 40, 4: 150, 5: 90)
AGGREGATES: dict[str, tuple[dict[str, Any], list[int]]] = {
    "spent_over_200": ({"event": ORDER, "sum": "revenue", ">": 200}, [1]),
    "spent_90_in_90d": ({"event": ORDER, "sum": "revenue", ">=": 90, "within": "90d"}, [1, 5]),
    # no orders is a sum of 0
    "spent_under_50_90d": ({"event": ORDER, "sum": "revenue", "<": 50, "within": "90d"}, [2, 3]),
    "avg_over_100": ({"event": ORDER, "avg": "revenue", ">": 100}, [1]),
    "avg_unknown": ({"event": ORDER, "avg": "revenue", "is": None}, [3]),
    "max_at_least_100": ({"event": ORDER, "max": "revenue", ">=": 100}, [1, 4]),
    "min_under_40": ({"event": ORDER, "min": "revenue", "<": 40}, [5]),
    "not_min_under_40": ({"not": {"event": ORDER, "min": "revenue", "<": 40}}, [1, 2, 3, 4]),
    "two_categories": ({"event": ORDER, "distinct_count": "category", ">=": 2}, [1]),
    "no_category": ({"event": ORDER, "distinct_count": "category", "=": 0}, [3]),
    "min_category_text": ({"event": ORDER, "min": "category", "=": "accessories"}, [2, 4]),
    "shoes_over_300": (
        {"event": ORDER, "where": "category = 'shoes'", "sum": "revenue", ">": 300},
        [1],
    ),
}

#: references: ``buyers`` is order_count >= 2 (1, 4, 5); ``fr`` is country FR (1, 2)
REFERENCES: dict[str, tuple[dict[str, Any], list[int]]] = {
    # declared before the segments it refers to
    "fr_buyers": ({"all": [{"segment": "buyers"}, {"segment": "fr"}]}, [1]),
    "buyers": ({"all": [{"trait": "order_count", ">=": 2}]}, [1, 4, 5]),
    "fr": ({"all": [{"trait": "country", "=": "FR"}]}, [1, 2]),
    "not_buyers": ({"all": [{"segment": "buyers", "member": False}]}, [2, 3]),
    "fr_buyers_or_lapsed": (
        {"any": [{"segment": "fr_buyers"}, {"last": ORDER, "before": "30d"}]},
        [1, 4],
    ),
}


def segments_of(cases: dict[str, tuple[dict[str, Any], list[int]]]) -> dict[str, Any]:
    """The ``segments:`` of cases: a condition alone becomes ``{all: [condition]}``."""
    return {
        name: definition if ("all" in definition or "any" in definition) else {"all": [definition]}
        for name, (definition, _) in cases.items()
    }


def expected_of(cases: dict[str, tuple[dict[str, Any], list[int]]]) -> dict[str, list[int]]:
    return {name: members for name, (_, members) in cases.items()}


def sequence_config(cases: dict[str, tuple[dict[str, Any], list[int]]]) -> ProjectConfig:
    return ProjectConfig.model_validate({"as_of": "2024-06-30", "segments": segments_of(cases)})


def orders_config(cases: dict[str, tuple[dict[str, Any], list[int]]]) -> ProjectConfig:
    return ProjectConfig.model_validate(
        {"as_of": "2024-06-30", "traits": TRAITS, "segments": segments_of(cases)}
    )


def membership(engine: Engine) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for segment, person in engine.rows(
        "SELECT segment, person_id FROM segment_membership ORDER BY 1, 2"
    ):
        found.setdefault(segment, []).append(int(person))
    return found


__all__ = ["load_warehouse"]
