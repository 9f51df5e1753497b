"""A journey tick over a million persons: the seed's VIP journey with its state built
directly at that size, then one tick timed (several times, each on a fresh copy).

    python benchmarks/bench_journeys.py [--persons 1000000] [--runs 3] [--dir /tmp/bench-journeys]

The warehouse holds ``persons``, ``profiles``, ``consent_flags`` and ``segment_membership``
(every person a VIP) and ``journey_state``:

* 70% wait at ``wait_3d`` until later (nothing to do);
* 15% wait at ``wait_3d`` until now: they reach ``opened`` (did they open the first
  e-mail? a third of them did, ``Email Opened`` events carrying its message id), then
  get the recommendations e-mail or join the Facebook audience;
* 5% are done;
* 10% are new VIPs with no state: they enter and are sent the first e-mail.

Messages go to an in-memory connector (what is timed is the tick: entries, exits, the
state machine, the orchestrator's decisions and their rows, not a provider). It prints
the median tick, each run, what one tick did, and the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from personae.activate.connectors.base import Message, MessageConnector, SendResult
from personae.activate.journeys import run_journeys
from personae.activate.orchestrator import FixedClock
from personae.config.loader import parse_config
from personae.engine import ENGINES, Engine

CONFIG = """
consent: {categories: {}}
segments:
  vip_tier_1:
    all:
      - {event: Order Completed, where: "category = 'accessories'", within: 7d}
      - {event: Page Viewed, within: 7d}
destinations:
  facebook_vip: {type: file, audience: {journey: vip}, path: out/facebook.csv, purpose: advertising}
orchestration:
  caps: {email: ["1/1d", "3/7d"]}
  campaigns:
    vip_welcome: {channel: email, purpose: email_marketing, priority: 10, body: Welcome}
    vip_recommendations: {channel: email, purpose: email_marketing, priority: 5, body: Picks}
journeys:
  vip:
    entry: {segment: vip_tier_1}
    exit_when: [{segment: vip_tier_1, member: false}]
    steps:
      - name: first_email
        send: {campaign: vip_welcome}
      - name: wait_3d
        wait: 3d
      - name: opened
        branch: {event: Email Opened, message_of: first_email, else: facebook}
      - name: recommendations
        send: {campaign: vip_recommendations}
      - exit: recommended
      - name: facebook
        audience: {add: facebook_vip}
"""

NOW = dt.datetime(2024, 6, 13, 9)
ENTERED = NOW - dt.timedelta(days=3)


class CountingConnector:
    def __init__(self) -> None:
        self.sent = 0

    def send(self, message: Message) -> SendResult:
        self.sent += 1
        return SendResult(provider_id=None)

    def close(self) -> None:
        pass


def build(engine: Engine, persons: int) -> None:
    """Every table a tick reads, at ``persons`` persons (built in SQL)."""
    n = persons
    engine.execute(
        f"CREATE OR REPLACE TABLE persons AS SELECT i::BIGINT AS person_id, "
        f"TIMESTAMP '2024-01-01' AS created_at, NULL::BIGINT AS merged_into, 1::BIGINT AS records "
        f"FROM range(1, {n} + 1) t(i)"
    )
    engine.execute(
        "CREATE OR REPLACE TABLE profiles AS SELECT person_id, "
        "'p' || person_id || '@example.com' AS email, NULL::VARCHAR AS phone FROM persons"
    )
    engine.execute(
        "CREATE OR REPLACE TABLE consent_flags AS SELECT person_id, "
        "person_id % 20 <> 0 AS consent_email_marketing, TRUE AS consent_advertising FROM persons"
    )
    engine.execute(
        "CREATE OR REPLACE TABLE segment_membership AS SELECT person_id, "
        "'vip_tier_1' AS segment, TIMESTAMP '2024-06-09 00:00:00' AS since FROM persons"
    )
    # state: % 100 in [0, 70) waiting later, [70, 85) due now, [85, 90) done, [90, 100) new
    engine.execute(
        "CREATE OR REPLACE TABLE journey_state AS SELECT 'vip' AS journey, person_id, "
        "CASE WHEN person_id % 100 < 85 THEN 'wait_3d' ELSE 'exit' END AS step, "
        "CASE WHEN person_id % 100 < 85 THEN 'waiting' ELSE 'done' END AS status, "
        f"TIMESTAMP '{ENTERED}' AS entered_at, "
        f"CASE WHEN person_id % 100 < 70 THEN TIMESTAMP '{NOW + dt.timedelta(days=1)}' "
        f"WHEN person_id % 100 < 85 THEN TIMESTAMP '{NOW}' END AS next_at, "
        "'first_email:sent' AS path, "
        f"TIMESTAMP '{ENTERED}' AS updated_at FROM persons WHERE person_id % 100 < 90"
    )
    # the first e-mails, and the opens of a third of the due persons
    engine.execute(
        "CREATE OR REPLACE TABLE activation_messages AS SELECT "
        "md5('m' || person_id) AS message_id, 'vip_welcome' AS campaign, 'vip' AS journey, "
        "'first_email' AS step, person_id, 'email' AS channel, 'email' AS destination, "
        f"10::BIGINT AS priority, TIMESTAMP '{ENTERED}' AS decided_at, 'sent' AS status, "
        "'sent' AS reason, NULL::VARCHAR AS provider_id FROM journey_state"
    )
    engine.execute(
        "CREATE OR REPLACE TABLE events AS SELECT 'esp' AS source, 'o' || person_id AS record_id, "
        f"'Email Opened' AS event, TIMESTAMP '{ENTERED + dt.timedelta(days=1)}' AS timestamp, "
        "json_object('message_id', md5('m' || person_id), 'campaign', 'vip_welcome')::VARCHAR "
        "AS properties FROM persons WHERE person_id % 100 BETWEEN 70 AND 84 AND person_id % 3 = 0"
    )
    engine.execute(
        "CREATE OR REPLACE TABLE identity_map AS SELECT source, record_id, "
        "CAST(substr(record_id, 2) AS BIGINT) AS person_id FROM events"
    )
    engine.execute("DROP TABLE IF EXISTS journey_audience_members")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-journeys-"))
    folder.mkdir(parents=True, exist_ok=True)
    config = parse_config(CONFIG)
    times: list[float] = []
    report = None
    sent = 0
    try:
        for run in range(args.runs):
            database = folder / f"warehouse-{run}.duckdb"
            engine = ENGINES["duckdb"](str(database))
            started = time.perf_counter()
            build(engine, args.persons)
            built = time.perf_counter() - started
            connector = CountingConnector()

            def connectors(channel: str, c: CountingConnector = connector) -> MessageConnector:
                return c

            started, cpu = time.perf_counter(), time.process_time()
            report = run_journeys(engine, config, FixedClock(NOW), connectors)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            times.append(elapsed)
            sent = connector.sent
            engine.close()
            database.unlink(missing_ok=True)
            print(
                f"run {run + 1}: tick {elapsed:.2f} s ({cpu:.2f} s of CPU; tables built in "
                f"{built:.1f} s)"
            )
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    assert report is not None
    vip = report.journeys["vip"]
    print(
        f"journey tick over {args.persons:,} persons: median {statistics.median(times):.2f} s "
        f"over {len(times)} runs (target < 30 s)"
    )
    print(
        f"  entered {vip.entered:,}, finished {vip.finished:,}, exited {vip.exited:,}; "
        f"steps completed: {dict(vip.moved)}"
    )
    print(f"  messages: {dict(vip.messages)} ({sent:,} through the connector)")
    print(f"  audience: {dict(vip.audience)}")
    print(f"  load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
