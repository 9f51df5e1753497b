"""``personae export postgres``: 1M profiles (with their identities, segment members and
segments) written to a PostgreSQL schema and replaced atomically, against the machine's
ceiling measured in the same run (ADBC's bulk ingest of the same rows already in memory
as Arrow, no query, no index, no swap).

    python benchmarks/bench_export_postgres.py [--people 1000000] [--repeat 3]
        [--memory-limit 512MB] [--dir /tmp/bench-export-postgres]

A throwaway PostgreSQL server is started from Debian's binaries (tests/helpers/postgres.py;
``apt-get install postgresql``). The warehouse is synthetic but shaped like a real one:
profiles with the golden fields, lists of e-mails and phones, lineage columns (not
exported), dates and times, and ten traits; 2.5 source records per person; three segments
holding 60% of the persons. Each export runs in a child process, so its peak memory
(DuckDB included, capped by ``--memory-limit``) is measured alone. Figures are medians of
``--repeat`` runs: the first export (tables created), a re-export (tables swapped) and a
re-export with a BI view on the profiles (refilled in place).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.postgres import SKIP_REASON, Postgres, binaries, postgres_server

CONFIG = """
engine: {{type: duckdb, memory_limit: {memory_limit}}}
sources: {{}}
segments:
  buyers: {{description: Ordered at least once, all: [{{trait: order_count, ">=": 1}}]}}
  vip: {{description: Spent 500 or more, all: [{{trait: revenue, ">=": 500}}]}}
  at_risk: {{description: Churn risk above 0.7, all: [{{trait: churn_risk, ">": 0.7}}]}}
"""

WAREHOUSE = [
    """
CREATE OR REPLACE TABLE profiles AS
SELECT i AS person_id,
       'client' || i || '@' || (['orange.fr','gmail.com','free.fr','laposte.net'])[1 + i % 4]
         AS email,
       '+336' || lpad(((i * 7919) % 100000000)::VARCHAR, 8, '0') AS phone,
       'C' || lpad(i::VARCHAR, 8, '0') AS customer_id,
       (['Jeanne','Paul','Chloé','Louis','Emma','Hugo','Léa','Noah'])[1 + i % 8] AS first_name,
       (['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand'])
         [1 + (i // 8) % 8] AS last_name,
       (['f','m'])[1 + i % 2] AS gender,
       DATE '1950-01-01' + (i % 20000)::INTEGER AS birth_date,
       (i % 300) || ' rue de la Paix' AS address,
       lpad(((i * 13) % 95000 + 1000)::VARCHAR, 5, '0') AS postcode,
       (['Paris','Lyon','Marseille','Lille','Nantes','Bordeaux'])[1 + i % 6] AS city,
       'FR' AS country,
       'fr' AS language,
       TRUE AS phone_valid,
       ['client' || i || '@orange.fr', 'c' || i || '@work.fr'] AS emails,
       ['+336' || lpad(((i * 7919) % 100000000)::VARCHAR, 8, '0')] AS phones,
       2 + (i % 2)::BIGINT AS record_count,
       'crm,orders' AS sources,
       TIMESTAMP '2020-01-01' + to_seconds(i * 90) AS first_seen_at,
       TIMESTAMP '2024-01-01' + to_seconds(i * 30) AS last_seen_at,
       'crm' AS email__source, 'C' || i AS email__record_id,
       'crm' AS phone__source, 'C' || i AS phone__record_id
FROM range(1, {people} + 1) t(i)
""",
    """
CREATE OR REPLACE TABLE traits AS
SELECT i AS person_id,
       (i % 7)::BIGINT AS order_count,
       round((i % 7) * 43.7, 2)::DOUBLE AS revenue,
       CASE WHEN i % 7 > 0 THEN round(43.7, 2) END::DOUBLE AS average_order_value,
       CASE WHEN i % 7 > 0 THEN TIMESTAMP '2025-01-01' + to_seconds(i * 17) END
         AS last_order_at,
       (i % 400)::BIGINT AS days_since_last_order,
       (i % 11)::BIGINT AS email_opens_90d,
       i % 13 = 0 AS unsubscribed,
       (1 + i % 5)::BIGINT AS rfm_score,
       ((i * 37) % 100) / 100.0 AS churn_risk,
       DATE '2026-01-01' + (i % 90)::INTEGER AS expected_next_order_date
FROM range(1, {people} + 1) t(i)
""",
    """
CREATE OR REPLACE TABLE identity_map AS
SELECT 'crm' AS source, 'C' || i AS record_id, i AS person_id FROM range(1, {people} + 1) t(i)
UNION ALL
SELECT 'orders', 'O' || i || '-' || k, i FROM range(1, {people} + 1) t(i), range(0, 2) k(k)
WHERE k < 1 + i % 2
""",
    """
CREATE OR REPLACE TABLE segment_membership AS
SELECT person_id, 'buyers' AS segment, TIMESTAMP '2025-06-01' AS since
FROM traits WHERE order_count >= 1
UNION ALL SELECT person_id, 'vip', TIMESTAMP '2025-07-01' FROM traits WHERE revenue >= 500
UNION ALL SELECT person_id, 'at_risk', TIMESTAMP '2025-08-01' FROM traits WHERE churn_risk > 0.7
""",
]

EXPORT = """
import resource, sys, time
from personae.activate.postgres_targets import publish
from personae.project import Project
project = Project.load(sys.argv[1])
start = time.perf_counter()
report = publish(project, sys.argv[2], "personae")
elapsed = time.perf_counter() - start
project.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("PHASES", " ".join(f"{k} {v:.1f} s" for k, v in report.phases.items()))
print("RESULT", elapsed, sum(report.rows.values()), len(report.kept), peak)
"""

CEILING = """
import resource, sys, time
import adbc_driver_postgresql.dbapi as postgresql
from personae.project import Project
project = Project.load(sys.argv[1])
tables = {
    "profiles": "SELECT * EXCLUDE (email__source, email__record_id, phone__source, "
    "phone__record_id) FROM profiles JOIN traits USING (person_id)",
    "identities": "SELECT source, record_id, person_id FROM identity_map",
    "segment_members": "SELECT segment, person_id, since FROM segment_membership",
}
data = {name: project.engine.query(sql) for name, sql in tables.items()}
project.close()
with postgresql.connect(sys.argv[2]) as con, con.cursor() as cur:
    cur.execute("DROP SCHEMA IF EXISTS ceiling CASCADE")
    cur.execute("CREATE SCHEMA ceiling")
    con.commit()
    start = time.perf_counter()
    rows = sum(
        cur.adbc_ingest(name, table, mode="create", db_schema_name="ceiling")
        for name, table in data.items()
    )
    con.commit()
    elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT", elapsed, rows, 0, peak)
"""


def child(code: str, root: Path, url: str) -> tuple[float, int, int, float]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(root), url],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    # DuckDB may draw a progress bar on the same stream
    found = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    phases = [line for line in done.stdout.splitlines() if line.startswith("PHASES ")]
    if phases:
        print(f"  ({phases[-1].removeprefix('PHASES ').replace(' s ', ' s, ')})")
    if not found:
        raise SystemExit(done.stdout[-2000:])
    elapsed, rows, kept, peak = found[-1].split()[1:]
    return float(elapsed), int(rows), int(kept), float(peak)


def build(root: Path, people: int, memory_limit: str) -> None:
    from personae.project import Project

    (root / "personae.yml").write_text(CONFIG.format(memory_limit=memory_limit))
    with Project.load(root) as project:
        for sql in WAREHOUSE:
            project.engine.execute(sql.format(people=people))
        project.engine.checkpoint()


def median_of(runs: list[tuple[float, int, int, float]]) -> tuple[float, int, float]:
    """Median seconds, rows, highest peak memory (MB)."""
    return statistics.median(r[0] for r in runs), runs[0][1], max(r[3] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="512MB")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-export-postgres"))
    args = parser.parse_args()
    if binaries() is None:
        raise SystemExit(SKIP_REASON)
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    start = time.perf_counter()
    build(args.dir, args.people, args.memory_limit)
    print(f"warehouse: {args.people:,} profiles built in {time.perf_counter() - start:.1f} s")
    with postgres_server() as pg:
        os.environ["BENCH_BI_PASSWORD"] = pg.password
        url = pg.url_with("${BENCH_BI_PASSWORD}")
        results: dict[str, tuple[float, int, float]] = {}
        first = [child(EXPORT, args.dir, url)]
        swaps = [child(EXPORT, args.dir, url) for _ in range(args.repeat)]
        Postgres.execute(pg, "CREATE VIEW public.bi_profiles AS SELECT * FROM personae.profiles")
        refills = [child(EXPORT, args.dir, url) for _ in range(args.repeat)]
        ceilings = [child(CEILING, args.dir, pg.url()) for _ in range(args.repeat)]
        results["first export (tables created)"] = median_of(first)
        results["re-export (tables swapped)"] = median_of(swaps)
        results["re-export, a view on profiles (refilled)"] = median_of(refills)
        ceiling, ceiling_rows, ceiling_peak = median_of(ceilings)
        print(
            f"ceiling: bare adbc_ingest of the same {ceiling_rows:,} rows already in memory "
            f"(no query, no index, no swap): {ceiling:.2f} s, peak {ceiling_peak:.0f} MB"
        )
        for name, (seconds, rows, peak) in results.items():
            print(
                f"{name}: {seconds:.2f} s for {rows:,} rows ({rows / seconds:,.0f} rows/s), "
                f"{seconds / ceiling:.2f}x the ceiling; peak memory {peak:.0f} MB "
                f"(DuckDB memory_limit {args.memory_limit})"
            )
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f}; medians of {args.repeat}")


if __name__ == "__main__":
    main()
