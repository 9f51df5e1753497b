"""A dlt source: a 1M-row customer table in dlt's DuckDB layout landed in raw, then a dlt
load that merged 1% changed rows, then a replace of the whole table with 1% changed;
and the same table from dlt's filesystem (Parquet) layout. The ceiling is a bare DuckDB
``COPY`` of the table to Parquet.

    python benchmarks/bench_dlt_source.py [--rows 1000000] [--changed 0.01]
        [--batch-rows 50000] [--memory-limit 512MB] [--dir /tmp/bench-dlt]

The tables are generated with DuckDB as dlt lays them out (``<dataset>.<table>`` with
``_dlt_load_id`` and ``_dlt_id``, ``<dataset>._dlt_loads``; for the filesystem,
``<dataset>/<table>/<load_id>.<file_id>.parquet`` and ``_dlt_loads/<schema>__<load_id>.jsonl``):
no dlt run is needed. Each ingest runs in a child process, so its peak memory (DuckDB
included, capped by ``--memory-limit``) is measured alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

DATASET, TABLE = "shop_data", "customers"
COLUMNS = """
SELECT i AS id,
       'C' || lpad(i::VARCHAR, 8, '0') AS customer_code,
       (['Jeanne','Paul','Chloé','Louis','Emma','Hugo','Léa','Noah'])[1 + i % 8] AS first_name,
       (['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand'])
         [1 + (i // 8) % 8] || '-' || (['Leroy','Moreau','Simon','Laurent','Lefebvre',
         'Michel','Garcia','David','Bertrand','Roux','Vincent','Fournier'])[1 + (i // 64) % 12]
         AS last_name,
       'client' || i || '@' || (['orange.fr','gmail.com','free.fr','laposte.net'])[1 + i % 4]
         AS email,
       '+336' || lpad(((i * 7919) % 100000000)::VARCHAR, 8, '0') AS phone,
       (i % 300) || ' rue ' || (['de la Paix','Victor Hugo','des Lilas','du Port'])[1 + i % 4]
         AS default_address__street,
       lpad(((i * 13) % 95000 + 1000)::VARCHAR, 5, '0') AS default_address__postcode,
       (['Paris','Lyon','Marseille','Lille','Nantes','Bordeaux'])[1 + i % 6]
         AS default_address__city,
       'FR' AS country,
       DATE '1950-01-01' + (i % 20000)::INTEGER AS birth_date,
       TIMESTAMPTZ '2020-01-01 00:00+00' + i * INTERVAL 90 SECOND AS created_at,
       TIMESTAMPTZ '2024-01-01 00:00+00' + i * INTERVAL 30 SECOND AS updated_at,
       {load_id} AS _dlt_load_id,
       md5(i::VARCHAR || {load_id})[:14] AS _dlt_id
FROM range(1, {rows} + 1) t(i)
"""
CONFIG = """
engine: {{type: duckdb, memory_limit: {memory_limit}}}
sources:
  shop:
    kind: people
    record_id: id
    dlt: {{destination: {destination}, dataset: shop_data, table: customers, batch_rows: {batch}}}
    updated_at: {{column: updated_at}}
    fields:
      customer_id: customer_code
      email: email
      phone: phone
      first_name: first_name
      last_name: last_name
      birth_date: birth_date
      postcode: default_address__postcode
      city: default_address__city
      country: country
"""
CHILD = """
import resource, sys, time
from personae.ingest import dlt_source, ingest
from personae.project import Project
landing = [0.0]
land = dlt_source.land
def timed(*args, **kwargs):
    start = time.perf_counter()
    land(*args, **kwargs)
    landing[0] += time.perf_counter() - start
dlt_source.land = timed
project = Project.load(sys.argv[1])
start = time.perf_counter()
report = ingest(project, only=['shop']).sources[0]
elapsed = time.perf_counter() - start
project.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(elapsed, report.rows_read, report.rows_loaded, report.rows_unchanged, peak, landing[0])
"""


def complete(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    con.execute(
        f"INSERT INTO {DATASET}._dlt_loads VALUES (?, 'shop', 0, now(), 'bench')", [load_id]
    )


def build(db: Path, rows: int, load_id: str) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE SCHEMA {DATASET}")
        con.execute(
            f"CREATE TABLE {DATASET}._dlt_loads (load_id VARCHAR NOT NULL, schema_name VARCHAR, "
            "status BIGINT NOT NULL, inserted_at TIMESTAMPTZ NOT NULL, schema_version_hash VARCHAR)"
        )
        sql = COLUMNS.format(rows=rows, load_id=f"'{load_id}'")
        con.execute(f"CREATE TABLE {DATASET}.{TABLE} AS {sql}")
        complete(con, load_id)


Result = tuple[float, int, int, int, float, float]


def ingest_in_child(root: Path) -> Result:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    *before, last = done.stdout.strip().splitlines()
    if before:
        print("\n".join(before))
    elapsed, read, loaded, unchanged, peak, landing = last.split()
    return float(elapsed), int(read), int(loaded), int(unchanged), float(peak), float(landing)


def copy_ceiling(db: Path, target: Path) -> float:
    """A bare DuckDB COPY of the table to Parquet: reading it whole, writing it once."""
    start = time.perf_counter()
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"COPY {DATASET}.{TABLE} TO '{target}' (FORMAT parquet)")
    return time.perf_counter() - start


def stream_only(root: Path, name: str) -> float:
    """The reader alone: every batch of the load streamed as Arrow, nothing written."""
    from personae.config import load_config
    from personae.ingest.dlt_destination import open_destination

    source = load_config(root).sources[name]
    assert source.dlt is not None
    table = open_destination(root, name, source.dlt)
    loads = table.completed_loads()
    columns = [c for c in table.columns(loads) if not c.startswith("_dlt")]
    start = time.perf_counter()
    for load_id in loads:
        for _ in table.batches(load_id, columns):
            pass
    return time.perf_counter() - start


def project(folder: Path, destination: Path, args: argparse.Namespace) -> Path:
    folder.mkdir(parents=True)
    (folder / "personae.yml").write_text(
        CONFIG.format(
            destination=destination, batch=args.batch_rows, memory_limit=args.memory_limit
        )
    )
    return folder


def report(label: str, result: Result, ceiling: float | None = None) -> None:
    elapsed, read, loaded, unchanged, peak, landing = result
    versus = f", {elapsed / ceiling:.1f}x the COPY" if ceiling else ""
    print(
        f"{label}: {elapsed:.2f} s, {read:,} rows read, {loaded:,} landed, {unchanged:,} "
        f"unchanged ({read / elapsed:,.0f} rows/s read{versus}); reading, staging and the rest "
        f"{elapsed - landing:.2f} s, landing (shared with every source) {landing:.2f} s; "
        f"peak {peak:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--memory-limit", default="512MB")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-dlt"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    db = args.dir / "shop.duckdb"
    first_load = "1780000000.000001"
    start = time.perf_counter()
    build(db, args.rows, first_load)
    size = db.stat().st_size / 1e6
    print(f"table: {args.rows:,} rows in dlt's DuckDB layout ({size:.0f} MB file), built in "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    ceiling = copy_ceiling(db, args.dir / "ceiling.parquet")
    print(f"DuckDB COPY of the table to Parquet (the ceiling): {ceiling:.2f} s")

    root = project(args.dir / "duckdb", db, args)
    print(f"reader alone (Arrow batches, nothing written): {stream_only(root, 'shop'):.2f} s")
    report("first landing, DuckDB destination", ingest_in_child(root), ceiling)

    every = round(1 / args.changed)
    merged = "1780000100.000001"
    with duckdb.connect(str(db)) as con:
        # a merge of an incremental extract: the changed rows are rewritten under the new load
        con.execute(
            f"UPDATE {DATASET}.{TABLE} SET email = 'new.' || email, _dlt_load_id = ? "
            f"WHERE id % {every} = 0",
            [merged],
        )
        complete(con, merged)
    report("dlt merge of 1% changed rows", ingest_in_child(root))

    replaced = "1780000200.000001"
    with duckdb.connect(str(db)) as con:
        # a replace: every row written again under the new load, 1% of them changed
        con.execute(
            f"UPDATE {DATASET}.{TABLE} SET _dlt_load_id = ?, _dlt_id = md5(_dlt_id), "
            f"phone = CASE WHEN id % {every} = 1 THEN '+337' || id ELSE phone END",
            [replaced],
        )
        complete(con, replaced)
    report("dlt replace of the whole table, 1% changed", ingest_in_child(root), ceiling)

    bucket = args.dir / "bucket"
    folder = bucket / DATASET / TABLE
    folder.mkdir(parents=True)
    (bucket / DATASET / "_dlt_loads").mkdir()
    with duckdb.connect() as con:
        sql = COLUMNS.format(rows=args.rows, load_id=f"'{first_load}'")
        con.execute(
            f"COPY ({sql}) TO '{folder / (first_load + '.a1b2c3.parquet')}' (FORMAT parquet)"
        )
    entry = {"load_id": first_load, "schema_name": "shop", "status": 0}
    (bucket / DATASET / "_dlt_loads" / f"shop__{first_load}.jsonl").write_text(json.dumps(entry))
    root = project(args.dir / "parquet", bucket, args)
    report("first landing, filesystem (Parquet) destination", ingest_in_child(root), ceiling)

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this process, which built the tables and ran the COPY and the reader: {own:.0f} MB)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
