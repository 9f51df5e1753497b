"""A database source: a 1M-row customer table extracted into raw, then an incremental run
over 1% changed rows, against the machine's ceiling (a plain ``COPY ... TO STDOUT`` of
the same table on PostgreSQL; the ``mariadb`` client's unbuffered ``--quick --batch``
dump on MariaDB).

    python benchmarks/bench_database_source.py [--database postgresql|mariadb]
        [--rows 1000000] [--changed 0.01] [--batch-rows 50000] [--memory-limit 512MB]
        [--dir /tmp/bench-database]

A throwaway server is started from Debian's binaries (tests/helpers/postgres.py,
``apt-get install postgresql``; tests/helpers/mariadb.py, ``apt-get install
mariadb-server``, with the ``mysql`` extra installed). The table has the columns a CRM
holds: ids, names, e-mail, phone, address, birth date, creation and update times, a
soft-delete column. Each ingest runs in a child process, so its peak memory (DuckDB
included, capped by ``--memory-limit``) is measured alone. Targets (issue 22): first
extraction < 60 s, 1% incremental < 5 s, peak memory < 1 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers import mariadb as mariadb_helper
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
MARIADB_TABLE = """
CREATE TABLE customers AS
SELECT seq AS id,
       CONCAT('C', LPAD(seq, 8, '0')) AS customer_code,
       ELT(1 + seq % 8, 'Jeanne','Paul','Chloé','Louis','Emma','Hugo','Léa','Noah')
         AS first_name,
       CONCAT(ELT(1 + (seq DIV 8) % 8, 'Martin','Bernard','Dubois','Thomas','Robert',
         'Richard','Petit','Durand'), '-', ELT(1 + (seq DIV 64) % 12, 'Leroy','Moreau',
         'Simon','Laurent','Lefebvre','Michel','Garcia','David','Bertrand','Roux','Vincent',
         'Fournier')) AS last_name,
       CONCAT('client', seq, '@', ELT(1 + seq % 4, 'orange.fr','gmail.com','free.fr',
         'laposte.net')) AS email,
       CONCAT('+336', LPAD((seq * 7919) % 100000000, 8, '0')) AS phone,
       CONCAT(seq % 300, ' rue ', ELT(1 + seq % 4, 'de la Paix','Victor Hugo','des Lilas',
         'du Port')) AS street,
       LPAD((seq * 13) % 95000 + 1000, 5, '0') AS postcode,
       ELT(1 + seq % 6, 'Paris','Lyon','Marseille','Lille','Nantes','Bordeaux') AS city,
       'FR' AS country,
       DATE '1950-01-01' + INTERVAL (seq % 20000) DAY AS birth_date,
       CAST(TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (seq * 90) SECOND AS DATETIME(6))
         AS created_at,
       CAST(TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (seq * 30) SECOND AS DATETIME(6))
         AS updated_at,
       CAST(NULL AS DATETIME(6)) AS deleted_at
FROM seq_1_to_{rows}
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


def client_ceiling(db: mariadb_helper.MariaDB) -> tuple[float, int]:
    """The ``mariadb`` client's unbuffered tab-separated dump of the table, counted as it
    comes through a pipe."""
    start = time.perf_counter()
    with subprocess.Popen(
        ["mariadb", "-h", db.host, "-P", str(db.port), "-u", db.user, "--quick", "--batch",
         "--skip-column-names", db.database, "-e", "SELECT * FROM customers"],
        env={**os.environ, "MYSQL_PWD": db.password}, stdout=subprocess.PIPE,
    ) as client:  # fmt: skip
        assert client.stdout is not None
        size = 0
        while data := client.stdout.read(1 << 20):
            size += len(data)
    return time.perf_counter() - start, size


def stream_only(url: str) -> float:
    """The driver alone: every batch streamed, nothing written."""
    from personae.ingest.drivers import open_stream

    start = time.perf_counter()
    with open_stream(url, "SELECT * FROM customers", 50_000, ["updated_at"]) as reader:
        for _ in reader:
            pass
    return time.perf_counter() - start


PEER = """
import resource, sys, time
import connectorx
start = time.perf_counter()
reader = connectorx.read_sql(sys.argv[1], "SELECT * FROM customers", return_type="arrow_stream",
                             batch_size=50_000)
rows = sum(batch.num_rows for batch in reader)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{time.perf_counter() - start:.2f} s, {peak:.0f} MB peak")
"""


def connectorx_peer(db: mariadb_helper.MariaDB) -> str:
    """connectorx's Arrow stream of the same table, in a child process (when installed):
    the faster reader personae does not use, since it reads ahead without bound."""
    url = "mysql://" + db.url().partition("://")[2]
    done = subprocess.run([sys.executable, "-c", PEER, url], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "not installed"


class Server:
    """The database under test: its table built, its ceiling, its 1% update."""

    def __init__(self, name: str, db: Any) -> None:
        self.name, self.db = name, db

    def build(self, rows: int) -> None:
        if self.name == "postgresql":
            self.db.execute(TABLE.format(rows=rows), "VACUUM ANALYZE customers")
        else:
            self.db.execute(MARIADB_TABLE.format(rows=rows), "ANALYZE TABLE customers")

    def ceiling(self) -> tuple[str, float, int]:
        if self.name == "postgresql":
            return ("COPY customers TO STDOUT (text)", *copy_ceiling(self.db))
        return ("mariadb --quick --batch (text)", *client_ceiling(self.db))

    def update(self, every: int) -> None:
        now = "now()" if self.name == "postgresql" else "NOW(6)"
        concat = "'new.' || email" if self.name == "postgresql" else "CONCAT('new.', email)"
        self.db.execute(
            f"UPDATE customers SET email = {concat}, updated_at = {now} WHERE id % {every} = 0"
        )


@contextmanager
def server(name: str) -> Iterator[Server]:
    if name == "postgresql":
        if binaries() is None:
            raise SystemExit(SKIP_REASON)
        with postgres_server() as pg:
            yield Server(name, pg)
        return
    if mariadb_helper.binaries() is None:
        raise SystemExit(mariadb_helper.SKIP_REASON)
    with mariadb_helper.mariadb_server() as root:
        root.execute("CREATE DATABASE crm")
        yield Server(name, replace(root, database="crm"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgresql", "mariadb"], default="postgresql")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--memory-limit", default="512MB")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-database"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    with server(args.database) as found:
        db = found.db
        start = time.perf_counter()
        found.build(args.rows)
        built = time.perf_counter() - start
        print(f"{args.database} table: {args.rows:,} rows built in {built:.1f} s")
        what, ceiling, size = found.ceiling()
        print(f"{what}, the ceiling: {ceiling:.2f} s, {size / 1e6:.0f} MB")
        alone = stream_only(db.url())
        print(
            f"driver stream alone (Arrow batches, nothing written): {alone:.2f} s, "
            f"{alone / ceiling:.1f}x the ceiling"
        )
        if args.database == "mariadb":
            peer = connectorx_peer(db)
            print(f"connectorx stream alone (not used: reads ahead without bound): {peer}")

        os.environ["BENCH_DB_PASSWORD"] = db.password
        (args.dir / "personae.yml").write_text(
            CONFIG.format(
                url=db.url_with("${BENCH_DB_PASSWORD}"),
                batch_rows=args.batch_rows,
                memory_limit=args.memory_limit,
            )
        )
        first, read, loaded, _, peak_first = ingest_in_child(args.dir)
        print(
            f"first extraction: {first:.1f} s for {loaded:,} rows ({loaded / first:,.0f} rows/s), "
            f"{first / ceiling:.1f}x the ceiling; target < 60 s"
        )
        found.update(round(1 / args.changed))
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
        print(f"(this process, which ran the ceiling and the stream alone: {own:.0f} MB)")
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} cores, load average {load:.1f}")


if __name__ == "__main__":
    main()
