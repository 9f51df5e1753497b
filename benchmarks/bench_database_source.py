"""A database source: a 1M-row PostgreSQL customer table extracted into raw, then an
incremental run over 1% changed rows, against the machine's ceiling (a plain
``COPY ... TO STDOUT`` of the same table).

    python benchmarks/bench_database_source.py [--rows 1000000] [--changed 0.01]
        [--batch-rows 50000] [--memory-limit 512MB] [--dir /tmp/bench-database]

A throwaway PostgreSQL server is started from Debian's binaries (tests/helpers/postgres.py;
``apt-get install postgresql``). The table has the columns a CRM holds: ids, names,
e-mail, phone, address, birth date, creation and update times, a soft-delete column.
Each ingest runs in a child process, so its peak memory (DuckDB included, capped by
``--memory-limit``) is measured alone. Targets (issue 22): first extraction < 60 s,
1% incremental < 5 s, peak memory < 1 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.postgres import SKIP_REASON, Postgres, binaries, postgres_server

TABLE = """
CREATE TABLE customers AS
SELECT i AS id,
       'C' || lpad(i::text, 8, '0') AS customer_code,
       (ARRAY['Jeanne','Paul','Chloé','Louis','Emma','Hugo','Léa','Noah'])[1 + i % 8]
         AS first_name,
       (ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand'])
         [1 + (i / 8) % 8] || '-' || (ARRAY['Leroy','Moreau','Simon','Laurent','Lefebvre',
         'Michel','Garcia','David','Bertrand','Roux','Vincent','Fournier'])[1 + (i / 64) % 12]
         AS last_name,
       'client' || i || '@' || (ARRAY['orange.fr','gmail.com','free.fr','laposte.net'])
         [1 + i % 4] AS email,
       '+336' || lpad(((i * 7919) % 100000000)::text, 8, '0') AS phone,
       (i % 300) || ' rue ' || (ARRAY['de la Paix','Victor Hugo','des Lilas','du Port'])
         [1 + i % 4] AS street,
       lpad(((i * 13) % 95000 + 1000)::text, 5, '0') AS postcode,
       (ARRAY['Paris','Lyon','Marseille','Lille','Nantes','Bordeaux'])[1 + i % 6] AS city,
       'FR' AS country,
       date '1950-01-01' + (i % 20000)::int AS birth_date,
       timestamptz '2020-01-01 00:00+00' + i * interval '90 seconds' AS created_at,
       timestamptz '2024-01-01 00:00+00' + i * interval '30 seconds' AS updated_at,
       NULL::timestamptz AS deleted_at
FROM generate_series(1::bigint, {rows}) i
"""
CONFIG = """
engine: {{type: duckdb, memory_limit: {memory_limit}}}
sources:
  crm:
    kind: people
    record_id: id
    database:
      url: {url}
      table: customers
      cursor: updated_at
      soft_delete: deleted_at
      batch_rows: {batch_rows}
    updated_at: {{column: updated_at}}
    fields:
      customer_id: customer_code
      email: email
      phone: phone
      first_name: first_name
      last_name: last_name
      birth_date: birth_date
      postcode: postcode
      city: city
      country: country
"""
CHILD = """
import resource, sys, time
from personae.ingest import ingest
from personae.project import Project
project = Project.load(sys.argv[1])
start = time.perf_counter()
report = ingest(project, only=['crm']).sources[0]
elapsed = time.perf_counter() - start
project.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(elapsed, report.rows_read, report.rows_loaded, report.rows_unchanged, peak)
"""


def ingest_in_child(root: Path) -> tuple[float, int, int, int, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    *before, last = done.stdout.strip().splitlines()
    if before:
        print("\n".join(before))
    elapsed, read, loaded, unchanged, peak = last.split()
    return float(elapsed), int(read), int(loaded), int(unchanged), float(peak)


def copy_ceiling(pg: Postgres) -> tuple[float, int]:
    import psycopg

    start = time.perf_counter()
    size = 0
    with (
        psycopg.connect(pg.url()) as con,
        con.cursor() as cur,
        cur.copy("COPY customers TO STDOUT") as copy,
    ):
        for data in copy:
            size += len(data)
    return time.perf_counter() - start, size


def stream_only(pg: Postgres) -> float:
    """The driver alone: every batch streamed, nothing written."""
    from personae.ingest.drivers import open_stream

    start = time.perf_counter()
    with open_stream(pg.url(), "SELECT * FROM customers", 50_000) as reader:
        for _ in reader:
            pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--memory-limit", default="512MB")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-database"))
    args = parser.parse_args()
    if binaries() is None:
        raise SystemExit(SKIP_REASON)
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    with postgres_server() as pg:
        start = time.perf_counter()
        pg.execute(TABLE.format(rows=args.rows), "VACUUM ANALYZE customers")
        print(f"table: {args.rows:,} rows built in {time.perf_counter() - start:.1f} s")
        ceiling, size = copy_ceiling(pg)
        print(f"COPY customers TO STDOUT (text, the ceiling): {ceiling:.2f} s, {size / 1e6:.0f} MB")
        print(f"ADBC stream alone (Arrow batches, nothing written): {stream_only(pg):.2f} s")

        os.environ["BENCH_PG_PASSWORD"] = pg.password
        (args.dir / "personae.yml").write_text(
            CONFIG.format(
                url=pg.url_with("${BENCH_PG_PASSWORD}"),
                batch_rows=args.batch_rows,
                memory_limit=args.memory_limit,
            )
        )
        first, read, loaded, _, peak_first = ingest_in_child(args.dir)
        print(
            f"first extraction: {first:.1f} s for {loaded:,} rows ({loaded / first:,.0f} rows/s), "
            f"{first / ceiling:.1f}x COPY; target < 60 s"
        )
        every = round(1 / args.changed)
        pg.execute(
            "UPDATE customers SET email = 'new.' || email, updated_at = now() "
            f"WHERE id % {every} = 0"
        )
        incremental, read, loaded, unchanged, peak_next = ingest_in_child(args.dir)
        print(
            f"incremental run: {incremental:.2f} s, {read:,} rows read ({loaded:,} new versions, "
            f"{unchanged:,} unchanged at the boundary); target < 5 s"
        )
        print(
            f"peak memory (child process, DuckDB memory_limit {args.memory_limit}): first "
            f"{peak_first:.0f} MB, incremental {peak_next:.0f} MB; target < 1 GB"
        )
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(this process, which ran COPY and the stream alone: {own:.0f} MB)")
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} cores, load average {load:.1f}")


if __name__ == "__main__":
    main()
