"""The customer 360 timeline on a big warehouse: ``person_timeline`` (first page, the
second page through its cursor, a page filtered by source) and ``timeline_facets`` for
random persons, opened read-only. Prints the median and p95 per call, in ms.
Target: a page under 300 ms at 1M persons / 7.6M events.

    .venv/bin/python benchmarks/bench_timeline.py --project /tmp/serving-bench
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from personae.catalog import IDENTITY_MAP
from personae.engine import ENGINES, Engine
from personae.profile.timeline import person_timeline, timeline_facets

TARGET_MS = 300.0


def _persons(engine: Engine, n: int, seed: int) -> list[int]:
    """``n`` random live persons: half of them drawn among records, so persons with many
    records weigh as they do in the traffic of a 360 page."""
    drawn = engine.rows(
        f"SELECT person_id FROM {IDENTITY_MAP} USING SAMPLE {n * 4} ROWS (reservoir, {seed})"
    )
    found = sorted({int(r[0]) for r in drawn})
    random.Random(seed).shuffle(found)
    return found[:n]


def _timed(call: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    call(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def _line(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    flag = "ok" if p95 < TARGET_MS else "OVER TARGET"
    return (
        f"{name:<28} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   "
        f"max {ms[-1]:7.1f} ms   ({len(ms)} calls, {flag})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, default=Path("/tmp/serving-bench"))
    parser.add_argument("--persons", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    warehouse = args.project / ".personae" / "warehouse.duckdb"
    engine = ENGINES["duckdb"](str(warehouse), read_only=True)
    try:
        events = engine.count("events")
        persons = _persons(engine, args.persons, args.seed)
        print(f"{warehouse}: {events:,} events; {len(persons)} random persons")
        person_timeline(engine, persons[0])  # warm the file's pages once
        first: list[float] = []
        second: list[float] = []
        filtered: list[float] = []
        facets: list[float] = []
        items = 0
        for person in persons:
            start = time.perf_counter()
            page = person_timeline(engine, person, limit=20)
            first.append((time.perf_counter() - start) * 1000)
            items += len(page.items)
            if page.next_cursor:
                second.append(
                    _timed(person_timeline, engine, person, before=page.next_cursor, limit=20)
                )
            if page.items:
                sources = [page.items[0].source]
                filtered.append(_timed(person_timeline, engine, person, sources=sources, limit=20))
            facets.append(_timed(timeline_facets, engine, person))
        print(f"{items / len(persons):.1f} items on a first page of 20, on average")
        print(_line("person_timeline (page 1)", first))
        if second:
            print(_line("person_timeline (page 2)", second))
        print(_line("person_timeline (one source)", filtered))
        print(_line("timeline_facets", facets))
    finally:
        engine.close()


if __name__ == "__main__":
    main()
