"""A brute-force oracle of sequences: random events (many ties, several starts per
person) and, for each case, the members found by trying every chain in Python."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from helpers.segment_cases import END
from helpers.tables import create
from personae.config.models import ProjectConfig
from personae.engine import Engine

NAMES = ("A", "B", "C")
PERSONS = 60
#: the reference time of the live runs: two hours before the end of the reference date
NOW = END - dt.timedelta(hours=2)

Events = dict[int, list[tuple[str, dt.datetime]]]


def random_events(seed: int) -> Events:
    rng = random.Random(seed)
    events: Events = {}
    for person in range(1, PERSONS + 1):
        count = rng.randint(0, 10)
        # ten-minute steps over the last 8 hours: ties are common
        events[person] = [
            (rng.choice(NAMES), END - dt.timedelta(minutes=10 * rng.randint(1, 48)))
            for _ in range(count)
        ]
    return events


def chain_exists(
    times: list[list[dt.datetime]],
    within: dt.timedelta | None,
    started: dt.datetime | None,
) -> bool:
    def reach(step: int, previous: dt.datetime, start: dt.datetime) -> bool:
        if step == len(times):
            return True
        return any(
            t > previous and (within is None or t <= start + within) and reach(step + 1, t, start)
            for t in times[step]
        )

    return any((started is None or t0 >= started) and reach(1, t0, t0) for t0 in times[0])


def abandoned(
    times: list[list[dt.datetime]],
    within: dt.timedelta | None,
    started: dt.datetime | None,
    reference: dt.datetime,
) -> bool:
    starts, follows = times
    for t0 in starts:
        if started is not None and t0 < started:
            continue
        if within is None:
            if not any(t > t0 for t in follows):
                return True
        elif t0 + within <= reference and not any(t0 < t <= t0 + within for t in follows):
            return True
    return False


CASES: dict[str, dict[str, Any]] = {
    "ab_1h": {"steps": ["A", "B"], "within": 1},
    "ab_ever": {"steps": ["A", "B"], "within": None},
    "abc_2h": {"steps": ["A", "B", "C"], "within": 2},
    "aba_3h_started_5h": {"steps": ["A", "B", "A"], "within": 3, "started": 5},
    "aa_1h": {"steps": ["A", "A"], "within": 1},
    "a_not_b_1h": {"steps": ["A", "B"], "within": 1, "absent": True},
    "a_not_b_3h_started_5h": {"steps": ["A", "B"], "within": 3, "started": 5, "absent": True},
    "a_not_b_ever": {"steps": ["A", "B"], "within": None, "absent": True},
    "a_not_a_1h": {"steps": ["A", "A"], "within": 1, "absent": True},
}


def definition(case: dict[str, Any]) -> dict[str, Any]:
    steps: list[Any] = [{"event": name} for name in case["steps"]]
    if case.get("absent"):
        steps[-1] = {"not": steps[-1]}
    condition: dict[str, Any] = {"sequence": steps}
    if case["within"] is not None:
        condition["within"] = f"{case['within']}h"
    if case.get("started"):
        condition["started_within"] = f"{case['started']}h"
    return {"all": [condition]}


def expected(events: Events, case: dict[str, Any], reference: dt.datetime) -> list[int]:
    within = dt.timedelta(hours=case["within"]) if case["within"] is not None else None
    started = END - dt.timedelta(hours=case["started"]) if case.get("started") else None
    found = []
    for person, rows in events.items():
        times = [[t for name, t in rows if name == step] for step in case["steps"]]
        if case.get("absent"):
            hit = abandoned(times, within, started, reference)
        else:
            hit = chain_exists(times, within, started)
        if hit:
            found.append(person)
    return found


def load(engine: Engine, events: Events) -> None:
    create(
        engine,
        "persons",
        {"person_id": "BIGINT", "created_at": "TIMESTAMP", "merged_into": "BIGINT",
         "records": "BIGINT"},
        [(p, END, None, 1) for p in events],
    )  # fmt: skip
    rows = [(p, name, t) for p, found in events.items() for name, t in found]
    create(
        engine,
        "events",
        {"source": "VARCHAR", "record_id": "VARCHAR", "event": "VARCHAR", "timestamp": "TIMESTAMP",
         "properties": "VARCHAR"},
        [("web", f"e{i}", name, t, "{}") for i, (_, name, t) in enumerate(rows)],
    )  # fmt: skip
    create(
        engine,
        "identity_map",
        {"source": "VARCHAR", "record_id": "VARCHAR", "person_id": "BIGINT"},
        [("web", f"e{i}", p) for i, (p, *_) in enumerate(rows)],
    )


def oracle_config() -> ProjectConfig:
    return ProjectConfig.model_validate(
        {
            "as_of": (END - dt.timedelta(days=1)).date().isoformat(),
            "segments": {name: definition(case) for name, case in CASES.items()},
        }
    )
