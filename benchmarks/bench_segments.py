"""The segment language at scale: each kind of condition timed over a million persons,
for the whole warehouse and for a thousand persons (what the streaming side will ask).

    python benchmarks/bench_segments.py [--persons 1000000] [--events 20000000] [--runs 1]
    python benchmarks/bench_segments.py --project /tmp/bench1m   # a demo project, read only

Without ``--project`` it builds a synthetic warehouse in memory (``persons``,
``identity_map`` and ``events``: Page Viewed 60%, Product Added 20%, Checkout Started
10%, Order Completed 10% with a revenue, over the 90 days before as_of, spread over the
persons). With ``--project`` it opens that project's warehouse read only (the demo has
no Product Added: the cart segments then run on Page Viewed -> Order Completed).

Each segment's standalone SQL (``segment_members_sql``) is counted; it prints the
seconds, the members, the restricted run's seconds, and the machine's load. On the
synthetic warehouse it then times ``evaluate_segments`` (every segment, as a run does:
one pass for the event aggregates, the sequences' events matched to persons once).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from pathlib import Path
from typing import Any

from personae.config.models import ProjectConfig
from personae.engine import ENGINES, Engine
from personae.project import Project
from personae.segment import evaluate_segments
from personae.segment.compile import segment_members_sql

AS_OF = dt.date(2026, 11, 1)


def segments(cart: str) -> dict[str, Any]:
    order = "Order Completed"
    return {
        "baseline_ordered_30d": {"all": [{"event": order, "within": "30d"}]},
        "cart_then_order_1h": {
            "all": [{"sequence": [{"event": cart}, {"event": order}], "within": "1h"}]
        },
        "cart_abandoned_1h_7d": {
            "all": [
                {
                    "sequence": [{"event": cart}, {"not": {"event": order}}],
                    "within": "1h",
                    "started_within": "7d",
                }
            ]
        },
        "three_steps_1d": {
            "all": [
                {
                    "sequence": [{"event": "Page Viewed"}, {"event": cart}, {"event": order}],
                    "within": "1d",
                }
            ]
        },
        "first_order_30d": {"all": [{"first": order, "within": "30d"}]},
        "spent_200_90d": {"all": [{"event": order, "sum": "revenue", ">": 200, "within": "90d"}]},
        "abandoners_who_spent": {
            "all": [{"segment": "cart_abandoned_1h_7d"}, {"segment": "spent_200_90d"}]
        },
    }


def synthetic(engine: Engine, persons: int, events: int) -> None:
    engine.execute(
        "CREATE TABLE persons AS SELECT range AS person_id, TIMESTAMP '2026-01-01' AS "
        f"created_at, CAST(NULL AS BIGINT) AS merged_into, 1 AS records FROM range({persons})"
    )
    engine.execute(
        "CREATE TABLE events AS SELECT 'web' AS source, 'e' || range AS record_id, "
        "CASE WHEN r < 0.6 THEN 'Page Viewed' WHEN r < 0.8 THEN 'Product Added' "
        "WHEN r < 0.9 THEN 'Checkout Started' ELSE 'Order Completed' END AS event, "
        "TIMESTAMP '2026-11-02' - to_seconds(CAST(floor(random() * 90 * 86400) AS BIGINT)) "
        "AS timestamp, CASE WHEN r >= 0.9 THEN '{\"revenue\": ' || "
        "CAST(round(random() * 200, 2) AS VARCHAR) || '}' ELSE '{}' END AS properties "
        f"FROM (SELECT range, random() AS r FROM range({events}))"
    )
    engine.execute(
        "CREATE TABLE identity_map AS SELECT 'web' AS source, 'e' || range AS record_id, "
        f"CAST(hash(range) % {persons} AS BIGINT) AS person_id FROM range({events})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--project", type=Path, help="a project whose warehouse to read")
    args = parser.parse_args()

    start = time.perf_counter()
    if args.project is not None:
        project = Project.load(args.project)
        engine = ENGINES["duckdb"](
            str(args.project / ".personae" / "warehouse.duckdb"), read_only=True
        )
        as_of = project.config.reference_date()
        cart = "Page Viewed"
        what = f"{args.project} (read only)"
    else:
        engine = ENGINES["duckdb"]()
        engine.execute("SET memory_limit = '8GB'")
        synthetic(engine, args.persons, args.events)
        as_of, cart = AS_OF, "Product Added"
        what = f"synthetic: {args.persons:,} persons, {args.events:,} events"
    built = time.perf_counter() - start
    engine.execute("SET memory_limit = '8GB'")
    config = ProjectConfig.model_validate({"as_of": as_of.isoformat(), "segments": segments(cart)})
    now = dt.datetime.combine(as_of, dt.time(12))
    sample = engine.scalar("SELECT count(*) FROM events")
    print(f"{what}; {sample:,} events; built in {built:.1f} s; as_of {as_of}, now {now}")
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _touched AS SELECT person_id FROM persons "
        "WHERE merged_into IS NULL ORDER BY hash(person_id) LIMIT 1000"
    )
    print(f"{'segment':<24} {'seconds':>8} {'members':>10} {'1,000 persons s':>16} {'members':>8}")
    for name in config.segments:
        full_sql = segment_members_sql(config, name, now=now)
        part_sql = segment_members_sql(config, name, now=now, persons="_touched")
        timings, part_timings = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            members = engine.scalar(f"SELECT count(*) FROM ({full_sql}) m")
            timings.append(time.perf_counter() - t)
            t = time.perf_counter()
            part = engine.scalar(f"SELECT count(*) FROM ({part_sql}) m")
            part_timings.append(time.perf_counter() - t)
        print(
            f"{name:<24} {statistics.median(timings):>8.2f} {members:>10,} "
            f"{statistics.median(part_timings):>16.2f} {part:>8,}"
        )
    if args.project is None:
        t = time.perf_counter()
        report = evaluate_segments(engine, config, now)
        sizes = ", ".join(f"{r.segment} {r.size:,}" for r in report.segments)
        print(f"evaluate_segments, all {len(report.segments)}: {time.perf_counter() - t:.2f} s")
        print(f"  ({sizes})")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} cpus")
    engine.close()


if __name__ == "__main__":
    main()
