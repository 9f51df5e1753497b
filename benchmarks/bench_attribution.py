"""What the campaign report costs: ``campaign_report`` (engagement, four attribution
models, totals, control-group uplift) over a synthetic warehouse.

    python benchmarks/bench_attribution.py --people 1000000 [--dir /tmp/bench-attribution]

Each person gets two message decisions over 30 days among 6 campaigns (e-mail and SMS;
10% held out as control, 5% suppressed, 2% failed); 30% of e-mails sent are opened and
10% clicked (with ``campaign`` and ``message_id``), 10% of persons land on a UTM-tagged
page, and 20% order (1 to 3 days after their first message, or a week later). The tables
are written by SQL into a DuckDB file; the report then runs as ``personae report
campaigns`` runs it, and prints the seconds and the sizes.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from personae.activate.attribution import campaign_report
from personae.catalog import EVENTS, IDENTITY_MAP, PERSONS
from personae.config.engine import DuckDBEngineConfig
from personae.config.models import ProjectConfig
from personae.engine import Engine, open_engine

BASE = "TIMESTAMP '2026-01-01 08:00:00'"


def build(engine: Engine, people: int) -> None:
    engine.execute(
        f"CREATE OR REPLACE TABLE {PERSONS} AS SELECT range + 1 AS person_id, "
        "CAST(NULL AS TIMESTAMP) AS created_at, CAST(NULL AS BIGINT) AS merged_into, "
        f"1 AS records FROM range({people})"
    )
    engine.execute(
        "CREATE OR REPLACE TABLE activation_messages AS "
        "SELECT 'm' || p || '-' || k AS message_id, 'c' || ((p + k) % 6) AS campaign, "
        "'j' AS journey, 's' AS step, p AS person_id, "
        "CASE WHEN (p + k) % 6 < 4 THEN 'email' ELSE 'sms' END AS channel, 'd' AS destination, "
        "1 AS priority, "
        f"{BASE} + to_days(CAST((p * 7 + k * 13) % 30 AS INTEGER)) "
        "+ to_hours(CAST(p % 10 AS INTEGER)) AS decided_at, "
        "CASE WHEN hash(p, (p + k) % 6) % 10 = 0 THEN 'control' "
        "WHEN hash(p, k, 1) % 100 < 5 THEN 'suppressed' "
        "WHEN hash(p, k, 2) % 100 < 2 THEN 'failed' ELSE 'sent' END AS status, "
        "'' AS reason, CAST(NULL AS VARCHAR) AS provider_id "
        f"FROM (SELECT range + 1 AS p FROM range({people})) persons, "
        "(SELECT range AS k FROM range(2)) ks"
    )
    tracked = (
        "SELECT 'Email Opened' AS event, decided_at + INTERVAL 1 HOUR AS ts, "
        "json_object('campaign', campaign, 'message_id', message_id) AS properties, "
        "person_id, message_id || '-o' AS record_id FROM activation_messages "
        "WHERE status = 'sent' AND channel = 'email' AND hash(message_id, 3) % 10 < 3 "
        "UNION ALL "
        "SELECT 'Email Link Clicked', decided_at + INTERVAL 2 HOUR, "
        "json_object('campaign', campaign, 'message_id', message_id), person_id, "
        "message_id || '-c' FROM activation_messages "
        "WHERE status = 'sent' AND channel = 'email' AND hash(message_id, 3) % 10 < 1 "
        "UNION ALL "
        f"SELECT 'Page Viewed', {BASE} + to_days(CAST(p % 30 AS INTEGER)), "
        "json_object('utm_campaign', 'ads' || (p % 3), 'utm_medium', 'cpc'), p, "
        f"'v' || p FROM (SELECT range + 1 AS p FROM range({people})) v WHERE p % 10 = 3 "
        "UNION ALL "
        f"SELECT 'Order Completed', {BASE} + to_days(CAST((p * 7) % 30 + 1 + p % 3 "
        "+ CASE WHEN p % 40 = 0 THEN 7 ELSE 0 END AS INTEGER)) "
        "+ to_hours(CAST(p % 10 AS INTEGER) + 1), "
        "json_object('revenue', 20 + p % 180, 'order_id', 'o' || p), p, 'o' || p "
        f"FROM (SELECT range + 1 AS p FROM range({people})) o WHERE p % 5 = 0"
    )
    engine.execute(f"CREATE OR REPLACE TABLE _bench_events AS {tracked}")
    engine.execute(
        f"CREATE OR REPLACE TABLE {EVENTS} AS SELECT 'bench' AS source, record_id, event, "
        "ts AS timestamp, CAST(properties AS VARCHAR) AS properties FROM _bench_events"
    )
    engine.execute(
        f"CREATE OR REPLACE TABLE {IDENTITY_MAP} AS SELECT 'bench' AS source, record_id, "
        "person_id FROM _bench_events"
    )
    engine.execute("DROP TABLE _bench_events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="bench-attribution-"))
    directory.mkdir(parents=True, exist_ok=True)
    engine = open_engine(DuckDBEngineConfig(), directory)
    try:
        started = time.perf_counter()
        build(engine, args.people)
        print(
            f"built in {time.perf_counter() - started:.1f}s: {args.people:,} persons, "
            f"{engine.count('activation_messages'):,} message decisions, "
            f"{engine.count(EVENTS):,} events"
        )
        config = ProjectConfig.model_validate(
            {"attribution": {"control_groups": {f"c{i}": 10 for i in range(6)}}}
        )
        started = time.perf_counter()
        report = campaign_report(engine, config)
        seconds = time.perf_counter() - started
        print(
            f"campaign_report: {seconds:.1f}s for {len(report.rows)} campaign × channel rows, "
            f"{report.conversions:,} conversions ({report.attributed_conversions:,} "
            f"attributed), {len(report.uplifts)} control groups"
        )
    finally:
        engine.close()
        if not args.keep and args.dir is None:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
