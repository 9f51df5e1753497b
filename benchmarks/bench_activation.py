"""Syncing audiences: a 1M-member audience's first full sync to a file destination, a 1%
change diffed and sent, and webhook delivery of 100k members through a local receiver
failing 10% of the requests (counting loss and duplicates).

    python benchmarks/bench_activation.py [--members 1000000] [--webhook 100000]
        [--base 20000] [--repeat 3] [--dir /tmp/bench-activation]

The audience is built directly in a DuckDB warehouse: the demo (``--base`` people) is
generated and run once, then its ``profiles``, ``traits`` and ``consent_flags`` are
copied with new person ids (and e-mails made unique per copy) up to ``--members``, with
``segment_membership`` holding everyone (95% of whom consented to e-mail marketing).
Targets (issue 18): first full sync < 20 s, 1% change < 5 s, webhook >= 5,000 members/s
with neither loss nor duplicate. Prints medians and the machine's load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.receiver import Receiver, serve
from personae.activate.sync import Options
from personae.activate.sync.runner import run_destination
from personae.demo.generator import generate_demo
from personae.pipeline import run
from personae.project import Project
from personae.sql import literal

FIELDS = "[email, first_name, last_name, phone, postcode, city, birth_date]"
CONFIG = """
sources: {{}}
segments:
  everyone: {{all: [{{trait: record_count, ">=": 1}}]}}
  hook_audience: {{all: [{{trait: record_count, ">=": 1}}]}}
destinations:
  file_full:
    type: file
    audience: everyone
    path: out/audience.csv
    fields: {fields}
    purpose: email_marketing
  hook:
    type: webhook
    audience: hook_audience
    url: {url}
    secret_env: BENCH_HOOK_SECRET
    fields: {fields}
    purpose: email_marketing
    batch_size: 500
    backoff_seconds: 0.01
    max_attempts: 10
"""


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def base_project(directory: Path, people: int) -> Path:
    root = directory / f"demo-{people}"
    if not (root / ".personae" / "warehouse.duckdb").exists():
        shutil.rmtree(root, ignore_errors=True)
        generate_demo(people, root, seed=7)
        with Project.load(root) as project:
            run(project)
    return root


def scale(project: Project, base: Path, members: int, hook_members: int) -> None:
    """Copy the demo's profiles, traits and consent flags to ``members`` persons."""
    engine = project.engine
    warehouse = base / ".personae" / "warehouse.duckdb"
    engine.execute(f"ATTACH {literal(str(warehouse))} AS base (READ_ONLY)")
    n = int(engine.scalar("SELECT count(*) FROM base.profiles"))
    offset = int(engine.scalar("SELECT max(person_id) FROM base.profiles")) + 1
    copies = -(-members // n)
    copy = f"FROM range({copies}) c(k)"
    engine.execute(
        f"CREATE OR REPLACE TABLE profiles AS SELECT * REPLACE (person_id + k * {offset} AS "
        f"person_id, CASE WHEN k = 0 THEN email ELSE 'c' || k || '.' || email END AS email) "
        f"FROM base.profiles, (SELECT k {copy}) QUALIFY row_number() OVER () <= {members}"
    )
    engine.execute(
        f"CREATE OR REPLACE TABLE traits AS SELECT t.* REPLACE (t.person_id + k * {offset} "
        f"AS person_id) FROM base.traits t, (SELECT k {copy}) "
        "WHERE t.person_id + k * " + str(offset) + " IN (SELECT person_id FROM profiles)"
    )
    engine.execute(
        "CREATE OR REPLACE TABLE consent_flags AS SELECT person_id, hash(person_id) % 20 <> 0 "
        "AS consent_email_marketing FROM profiles"
    )
    engine.execute(
        "CREATE OR REPLACE TABLE segment_membership AS "
        "SELECT person_id, 'everyone' AS segment, DATE '2026-01-01' AS since FROM profiles "
        "UNION ALL SELECT person_id, 'hook_audience', DATE '2026-01-01' FROM "
        "(SELECT person_id FROM profiles JOIN consent_flags USING (person_id) "
        f"WHERE consent_email_marketing ORDER BY person_id LIMIT {hook_members})"
    )
    engine.execute("DETACH base")


def change_one_percent(project: Project, round_: int) -> None:
    """0.5% of the members change e-mail, 0.5% leave the audience."""
    engine = project.engine
    engine.execute(
        f"UPDATE profiles SET email = 'r{round_}.' || email WHERE hash(person_id + {round_}) "
        "% 200 = 0"
    )
    engine.execute(
        f"DELETE FROM segment_membership WHERE segment = 'everyone' AND "
        f"hash(person_id + {round_}) % 200 = 1"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--webhook", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-activation"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(load())
    started = time.perf_counter()
    base = base_project(args.dir, args.base)
    print(f"demo of {args.base:,} people ready in {time.perf_counter() - started:.1f} s")
    os.environ["BENCH_HOOK_SECRET"] = "bench-secret"
    root = args.dir / "bench"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    with serve(Receiver("bench-secret", failure_rate=0.1)) as receiver:
        (root / "personae.yml").write_text(CONFIG.format(fields=FIELDS, url=receiver.url))
        with Project.load(root) as project:
            engine, config = project.engine, project.config
            started = time.perf_counter()
            scale(project, base, args.members, args.webhook)
            print(
                f"warehouse of {engine.count('profiles'):,} profiles "
                f"({len(engine.columns('profiles'))} columns) built in "
                f"{time.perf_counter() - started:.1f} s"
            )

            full: list[float] = []
            for _ in range(args.repeat):
                if engine.table_exists("destination_state"):
                    engine.execute("DELETE FROM destination_state WHERE destination = 'file_full'")
                report = run_destination(engine, config, root, "file_full")
                full.append(report.seconds)
                print(
                    f"  first full sync: {report.added:,} members written "
                    f"({report.held_back:,} held back) in {report.seconds:.2f} s"
                )
            size = (root / "out/audience.csv").stat().st_size / 1e6
            print(
                f"first full sync of {report.members:,} members to a CSV file ({size:.0f} MB): "
                f"median {statistics.median(full):.2f} s (target < 20 s)"
            )

            diffed: list[float] = []
            for round_ in range(1, args.repeat + 1):
                change_one_percent(project, round_)
                report = run_destination(engine, config, root, "file_full")
                diffed.append(report.seconds)
                print(
                    f"  1% change: {report.added:,} added, {report.updated:,} updated, "
                    f"{report.removed:,} removed in {report.seconds:.2f} s"
                )
            print(
                f"1% change diffed and written: median {statistics.median(diffed):.2f} s "
                "(target < 5 s)"
            )

            rates: list[float] = []
            for _ in range(args.repeat):
                engine.execute("DELETE FROM destination_state WHERE destination = 'hook'")
                receiver.applied.clear()
                receiver.deliveries.clear()
                requests, failures = receiver.requests, receiver.failures
                report = run_destination(engine, config, root, "hook", Options())
                sent = {p for k, p, _ in receiver.applied if k == "add"}
                lost = report.added - len(sent)
                duplicates = len(receiver.applied) - len(sent)
                rates.append(report.added / report.seconds)
                print(
                    f"  webhook: {report.added:,} members in {report.seconds:.2f} s "
                    f"({report.added / report.seconds:,.0f}/s), "
                    f"{receiver.requests - requests} requests, "
                    f"{receiver.failures - failures} failed on purpose and retried, "
                    f"{receiver.duplicates} changes received twice and deduped by key, "
                    f"lost {lost}, applied twice {duplicates}, dead letters {report.failed}"
                )
            print(
                f"webhook delivery of {args.webhook:,} members with 10% failed requests: "
                f"median {statistics.median(rates):,.0f} members/s (target >= 5,000/s)"
            )
    print(load())


if __name__ == "__main__":
    main()
