"""A dlt source on Spark: the rows of a dlt DuckDB file and of a dlt filesystem (Parquet)
destination land in Spark's raw tables under dlt's load ids, as on DuckDB."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import duckdb
import pytest

from helpers.dlt_shop import write_dlt_duckdb

pytest.importorskip("pyspark")

from personae.ingest import ingest
from personae.project import Project

CONFIG = """
engine:
  type: spark
  master: local[2]
sources:
  crm:
    kind: people
    record_id: id
    dlt: {destination: shop.duckdb, dataset: shop_data, table: customers}
    fields: {email: email}
  shop:
    kind: people
    record_id: id
    dlt: {destination: bucket, dataset: shop_data, table: customers}
    fields: {email: email}
"""


def test_dlt_destinations_land_on_spark(tmp_path: Path) -> None:
    rows = [{"id": "1", "email": "a@x.org"}, {"id": "2", "email": "b@x.org"}]
    write_dlt_duckdb(tmp_path / "shop.duckdb", "customers", rows, "1700000000.1")
    folder = tmp_path / "bucket" / "shop_data"
    (folder / "customers").mkdir(parents=True)
    (folder / "_dlt_loads").mkdir()
    with duckdb.connect(str(tmp_path / "shop.duckdb"), read_only=True) as con:
        con.execute(
            "COPY shop_data.customers TO "
            f"'{folder / 'customers' / '1700000000.1.f00d.parquet'}' (FORMAT parquet)"
        )
    entry = {"load_id": "1700000000.1", "schema_name": "shop", "status": 0}
    (folder / "_dlt_loads" / "shop__1700000000.1.jsonl").write_text(json.dumps(entry))
    (tmp_path / "personae.yml").write_text(textwrap.dedent(CONFIG))
    with Project.load(tmp_path) as project:
        assert [s.rows_loaded for s in ingest(project).sources] == [2, 2]
        assert [s.rows_read for s in ingest(project).sources] == [0, 0]
        for raw in ("raw_crm", "raw_shop"):
            assert sorted(project.engine.rows(f"SELECT _load_id, id, email FROM {raw}")) == [
                ("1700000000.1", "1", "a@x.org"),
                ("1700000000.1", "2", "b@x.org"),
            ]
