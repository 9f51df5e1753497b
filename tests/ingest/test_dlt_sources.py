"""dlt sources (issue 22): what a dlt pipeline loaded, read from its DuckDB or Parquet
destination, each dlt load landing once under dlt's load id. The worked example of
docs/sources.md runs dlt's rest_api source against a local HTTP server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import MakeProject
from helpers.dlt_shop import (
    ShopAPI,
    complete_load,
    documented,
    isolate_dlt,
    run_documented_pipeline,
    shop_api,
    write_dlt_duckdb,
)
from personae.catalog import LOADS, QUARANTINE
from personae.cli.main import app
from personae.config import load_config
from personae.config.loader import parse_config
from personae.errors import ConfigError, SourceError
from personae.ingest import ingest
from personae.ingest.dlt_source import in_utc
from personae.ingest.landing import STAGE
from personae.pipeline import run
from personae.project import Project


def _customers() -> list[dict[str, Any]]:
    cities = ["Paris", "Lyon", "Nantes", "Lille", "Rennes"]
    names = [("Alice", "Martin"), ("Bruno", "Petit"), ("Chloé", "Durand"),
             ("Denis", "Roux"), ("Emma", "Blanc")]  # fmt: skip
    return [
        {
            "id": i,
            "email": f"{first.lower().replace('é', 'e')}@mail.fr",
            "first_name": first,
            "last_name": last,
            "default_address": {"city": cities[i - 1], "zip": f"7500{i}"},
        }
        for i, (first, last) in enumerate(names, start=1)
    ]


def _orders() -> list[dict[str, Any]]:
    # alice twice (once in capitals), chloé once, emma once
    emails = ["alice@mail.fr", "ALICE@mail.fr", "chloe@mail.fr", "emma@mail.fr"]
    return [
        {"order_id": 100 + i, "customer_email": email,
         "ordered_at": f"2026-01-0{i}T10:00:00Z", "total": 10.5 * i}
        for i, email in enumerate(emails, start=1)
    ]  # fmt: skip


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopAPI]:
    isolate_dlt(monkeypatch, tmp_path)
    with shop_api(ShopAPI(_customers(), _orders())) as served:
        yield served


def _config(destination: str) -> str:
    config = documented("yaml")
    if destination == "filesystem":
        config = config.replace("destination: shop.duckdb", "destination: shop_bucket")
    return config


def _run(project_dir: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--project", str(project_dir)])
    assert result.exit_code == 0, result.output


def _loads(project: Project, source: str) -> list[tuple[Any, ...]]:
    return project.engine.rows(
        "SELECT load_id, rows_read, rows_loaded, rows_unchanged, rows_new_versions "
        f"FROM {LOADS} WHERE source = ? ORDER BY loaded_at",
        [source],
    )


@pytest.mark.parametrize("destination", ["duckdb", "filesystem"])
def test_the_documented_rest_api_pipeline_feeds_personae(
    api: ShopAPI, tmp_path: Path, destination: str
) -> None:
    first = run_documented_pipeline(api, destination)
    assert len(first) == 1
    assert "/api/customers?page=3" in api.requests  # dlt followed the pages
    (tmp_path / "personae.yml").write_text(_config(destination))
    _run(tmp_path)

    project = Project.load(tmp_path)
    try:
        engine = project.engine
        # five customers are five persons; every order joins its customer
        assert engine.scalar("SELECT count(DISTINCT person_id) FROM identity_map") == 5
        attached = engine.rows(
            "SELECT c.record_id, count(*) FROM events e "
            "JOIN identity_map o ON o.source = e.source AND o.record_id = e.record_id "
            "JOIN identity_map c ON c.person_id = o.person_id AND c.source = 'shop_customers' "
            "GROUP BY c.record_id ORDER BY c.record_id"
        )
        assert attached == [("1", 2), ("3", 1), ("5", 1)]
        revenue = engine.scalar(
            "SELECT sum(CAST(json_extract(properties, '$.revenue') AS DOUBLE)) FROM events"
        )
        assert revenue == pytest.approx(10.5 * (1 + 2 + 3 + 4))
        city = engine.scalar("SELECT city FROM records WHERE record_id = '2'")
        assert city == "Lyon"  # default_address__city, as dlt flattened it
        # dlt's load id is personae's, in loads and in raw
        assert _loads(project, "shop_customers") == [(first[0], 5, 5, 0, 0)]
        assert _loads(project, "shop_orders") == [(first[0], 4, 4, 0, 0)]
        assert engine.rows("SELECT DISTINCT _load_id FROM raw_shop_orders") == [(first[0],)]
        assert "_dlt_id" not in engine.columns("raw_shop_customers")
        assert "_dlt_load_id" not in engine.columns("raw_shop_customers")
    finally:
        project.close()

    # dlt runs again: one customer moved; the merge rewrites every row under a new load id
    api.customers[1]["default_address"]["city"] = "Marseille"
    second = run_documented_pipeline(api, destination)
    assert second != first
    _run(tmp_path)
    _run(tmp_path)  # nothing new from dlt: nothing read again
    project = Project.load(tmp_path)
    try:
        assert _loads(project, "shop_customers") == [
            (first[0], 5, 5, 0, 0),
            (second[0], 5, 1, 4, 1),
        ]
        assert _loads(project, "shop_orders") == [(first[0], 4, 4, 0, 0), (second[0], 4, 0, 4, 0)]
        assert project.engine.scalar("SELECT city FROM records WHERE record_id = '2'") == (
            "Marseille"
        )
        assert project.engine.scalar("SELECT count(DISTINCT person_id) FROM identity_map") == 5
    finally:
        project.close()


def test_the_documented_personae_yml_is_valid() -> None:
    config = parse_config(documented("yaml"))
    assert {s.kind for s in config.sources.values()} == {"people", "events"}
    assert all(s.dlt is not None for s in config.sources.values())


# --- dlt's DuckDB layout written by hand: no dlt run needed

PEOPLE = """
sources:
  crm:
    kind: people
    record_id: id
    dlt: {destination: shop.duckdb, dataset: shop_data, table: customers}
    fields: {email: email}
"""


def test_only_completed_loads_are_read_each_once(make_project: MakeProject, tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    write_dlt_duckdb(db, "customers", [{"id": "1", "email": "a@x.org"}], "1700000000.1")
    write_dlt_duckdb(
        db, "customers", [{"id": "2", "email": "b@x.org"}], "1700000001.2", completed=False
    )
    project = make_project(PEOPLE)
    report = ingest(project).sources[0]
    assert (report.files_seen, report.rows_loaded) == (1, 1)  # the running load waits
    assert ingest(project).sources[0].rows_read == 0  # the landed load is not read again
    complete_load(db, "1700000001.2")
    write_dlt_duckdb(db, "customers", [{"id": "1", "email": "a@new.org"}], "1700000002.3")
    report = ingest(project).sources[0]
    assert (report.files_seen, report.rows_loaded) == (2, 2)
    assert project.engine.rows(
        "SELECT _load_id, id, email FROM raw_crm ORDER BY _loaded_at, id"
    ) == [
        ("1700000000.1", "1", "a@x.org"),
        ("1700000001.2", "2", "b@x.org"),
        ("1700000002.3", "1", "a@new.org"),  # pending loads land oldest first
    ]


def test_one_dlt_load_feeding_two_sources_counts_each_ones_quarantine(
    make_project: MakeProject, tmp_path: Path
) -> None:
    db = tmp_path / "shop.duckdb"
    load = "1700000000.5"
    write_dlt_duckdb(db, "customers", [{"id": "1", "email": "a@x.org"},
                                       {"id": "1", "email": "dup@x.org"}], load)  # fmt: skip
    write_dlt_duckdb(db, "orders", [{"order_id": "9", "email": "a@x.org"}], load)
    config = PEOPLE + (
        "  shop:\n    kind: events\n    record_id: order_id\n"
        "    dlt: {destination: shop.duckdb, dataset: shop_data, table: orders}\n"
        "    fields: {email: email}\n"
        "    event: {name: Order Completed, timestamp: {column: order_id}}\n"
    )
    project = make_project(config)
    ingest(project)
    counts = project.engine.rows(
        f"SELECT source, load_id, rows_loaded, rows_quarantined FROM {LOADS} ORDER BY source"
    )
    assert counts == [("crm", load, 1, 1), ("shop", load, 1, 0)]
    assert project.engine.scalar(f"SELECT reason FROM {QUARANTINE}").startswith(
        "duplicate record id 1 in this load"
    )


def test_dlt_id_lands_when_it_is_the_record_id(make_project: MakeProject, tmp_path: Path) -> None:
    write_dlt_duckdb(tmp_path / "shop.duckdb", "customers", [{"email": "a@x.org"}], "1700000000.1")
    project = make_project(PEOPLE.replace("record_id: id", "record_id: _dlt_id"))
    ingest(project)
    assert project.engine.rows("SELECT _record_id, email FROM raw_crm") == [
        ("1700000000.1-0", "a@x.org")
    ]


def _source_error(make_project: MakeProject, config: str) -> str:
    project = make_project(config)
    with pytest.raises(SourceError) as error:
        ingest(project)
    return str(error.value)


def test_a_missing_dataset_or_table_lists_what_there_is(
    make_project: MakeProject, tmp_path: Path
) -> None:
    write_dlt_duckdb(tmp_path / "shop.duckdb", "customers", [{"id": "1"}], "1700000000.1")
    write_dlt_duckdb(tmp_path / "shop.duckdb", "orders", [{"id": "1"}], "1700000000.1")
    message = _source_error(make_project, PEOPLE.replace("dataset: shop_data", "dataset: shop"))
    assert message == (
        f"sources.crm.dlt.dataset: {tmp_path / 'shop.duckdb'} has no dataset 'shop'; did you "
        "mean 'shop_data'?; its datasets (dlt's dataset_name) are: shop_data"
    )
    message = _source_error(make_project, PEOPLE.replace("table: customers", "table: customer"))
    assert message.startswith(
        f"sources.crm.dlt.table: dataset shop_data of {tmp_path / 'shop.duckdb'} has no table "
        "'customer'; did you mean 'customers'?; its tables are: customers, orders"
    )


def test_a_missing_table_of_a_filesystem_destination_lists_what_there_is(
    make_project: MakeProject, tmp_path: Path
) -> None:
    (tmp_path / "bucket" / "shop_data" / "_dlt_loads").mkdir(parents=True)
    (tmp_path / "bucket" / "shop_data" / "orders").mkdir()
    config = PEOPLE.replace("destination: shop.duckdb", "destination: bucket")
    message = _source_error(make_project, config)
    assert message.endswith("has no table 'customers'; its tables are: orders")
    message = _source_error(make_project, config.replace("dataset: shop_data", "dataset: shop"))
    assert "has no dataset 'shop'; did you mean 'shop_data'?" in message


def test_a_destination_that_does_not_exist(make_project: MakeProject, tmp_path: Path) -> None:
    message = _source_error(make_project, PEOPLE)
    assert message.startswith(
        f"sources.crm.dlt.destination: no dlt destination at {tmp_path / 'shop.duckdb'}: "
    )
    assert "run the dlt pipeline first, or fix the path" in message


def test_a_file_that_is_not_duckdb(make_project: MakeProject, tmp_path: Path) -> None:
    (tmp_path / "shop.duckdb").write_text("id,email\n1,a@x.org\n")
    message = _source_error(make_project, PEOPLE)
    assert message.startswith("sources.crm.dlt.destination: cannot open ")
    assert "as a DuckDB file, read-only" in message


def test_a_nested_table_is_refused_with_the_way_to_map_lists(
    make_project: MakeProject, tmp_path: Path
) -> None:
    write_dlt_duckdb(tmp_path / "shop.duckdb", "customers", [{"id": "1"}], "1700000000.1")
    with duckdb.connect(str(tmp_path / "shop.duckdb")) as con:
        con.execute(
            "CREATE TABLE shop_data.customers__tags (value VARCHAR, _dlt_parent_id VARCHAR, "
            "_dlt_list_idx BIGINT, _dlt_id VARCHAR)"
        )
    config = PEOPLE.replace("table: customers", "table: customers__tags").replace(
        "record_id: id", "record_id: _dlt_id"
    )
    message = _source_error(make_project, config.replace("fields: {email: email}", ""))
    assert "customers__tags has no _dlt_load_id column: it is a nested table" in message
    assert "max_table_nesting=0" in message


def test_a_mapped_dlt_column_is_named(make_project: MakeProject, tmp_path: Path) -> None:
    write_dlt_duckdb(tmp_path / "shop.duckdb", "customers", [{"id": "1"}], "1700000000.1")
    message = _source_error(make_project, PEOPLE.replace("email: email", "email: _dlt_load_id"))
    assert message.startswith("sources.crm.fields.email: column '_dlt_load_id' is not in table")
    assert "its columns are: id" in message
    assert "dlt's own columns (_dlt_load_id, _dlt_id…) do not land" in message


# --- personae.yml


def _config_error(tmp_path: Path, source: str) -> str:
    (tmp_path / "personae.yml").write_text("sources:\n  crm:\n" + source)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    return str(error.value)


def test_kind_dlt_says_to_write_a_dlt_block(tmp_path: Path) -> None:
    message = _config_error(
        tmp_path,
        "    kind: dlt\n    dlt: {destination: shop.duckdb, dataset: shop_data, table: c}\n",
    )
    assert "kind says what a row is, people or events" in message
    assert "write kind: people (or events) and a dlt block" in message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("path: crm.csv\n    dlt: {destination: a.duckdb, dataset: d, table: t}",
         "give exactly one of 'path'"),
        ("dlt: {destination: a.duckdb, dataset: d}", "table"),
        ("dlt: {destination: a.duckdb, dataset: shop-data, table: t}", "snake_case"),
        ("dlt: {destination: a.duckdb, dataset: d, table: _dlt_loads}", "one of dlt's own"),
        ("dlt: {destination: a.duckdb, dataset: d, table: t}\n    delimiter: ';'",
         "a dlt source has no delimiter"),
    ],
)  # fmt: skip
def test_dlt_blocks_are_checked(tmp_path: Path, source: str, expected: str) -> None:
    assert expected in _config_error(tmp_path, "    kind: people\n    " + source + "\n")


def test_a_replace_reload_lands_only_what_changed(
    make_project: MakeProject, tmp_path: Path
) -> None:
    db = tmp_path / "shop.duckdb"
    rows = [{"id": str(i), "email": f"p{i}@x.org"} for i in range(1, 4)]
    write_dlt_duckdb(db, "customers", rows, "1700000000.1")
    project = make_project(PEOPLE)
    ingest(project)
    # write_disposition="replace": dlt empties the table and loads it whole again
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM shop_data.customers")
    rows[2]["email"] = "p3@new.org"
    write_dlt_duckdb(db, "customers", rows, "1700000001.1")
    report = ingest(project).sources[0]
    assert (report.rows_read, report.rows_loaded, report.rows_unchanged) == (3, 1, 2)


def test_a_destination_dlt_is_writing_is_a_clear_error(
    make_project: MakeProject, tmp_path: Path
) -> None:
    db = tmp_path / "shop.duckdb"
    write_dlt_duckdb(db, "customers", [{"id": "1", "email": "a@x.org"}], "1700000000.1")
    project = make_project(PEOPLE)
    holder = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
    holder += "sys.stdin.read()"
    writer = subprocess.Popen(
        [sys.executable, "-c", holder, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "open\n"
        with pytest.raises(SourceError) as error:
            ingest(project)
    finally:
        assert writer.stdin is not None
        writer.stdin.close()
        writer.wait()
    message = str(error.value)
    assert message.startswith(f"sources.crm.dlt.destination: cannot open {db} as a DuckDB file")
    assert "Conflicting lock" in message
    assert "run again once it has finished" in message
    assert ingest(project).sources[0].rows_loaded == 1  # the writer gone, the load lands


def test_a_row_reads_the_same_from_duckdb_and_parquet(
    make_project: MakeProject, tmp_path: Path
) -> None:
    db, bucket = tmp_path / "shop.duckdb", tmp_path / "bucket" / "shop_data"
    write_dlt_duckdb(db, "customers", [{"id": "1", "email": "a@x.org"}], "1700000000.1")
    with duckdb.connect(str(db)) as con:
        con.execute("SET TimeZone = 'Europe/Paris'")
        con.execute(
            "ALTER TABLE shop_data.customers ADD COLUMN seen_at TIMESTAMPTZ "
            "DEFAULT TIMESTAMPTZ '2026-03-01 09:30:00.25+01'"
        )
        con.execute("ALTER TABLE shop_data.customers ADD COLUMN total DECIMAL(10, 2) DEFAULT 12.5")
        (bucket / "customers").mkdir(parents=True)
        (bucket / "_dlt_loads").mkdir()
        target = bucket / "customers" / "1700000000.1.f00d.parquet"
        con.execute(f"COPY shop_data.customers TO '{target}' (FORMAT parquet)")
    (bucket / "_dlt_loads" / "shop__1700000000.1.jsonl").write_text(
        '{"load_id": "1700000000.1", "schema_name": "shop", "status": 0}\n'
    )
    parquet = PEOPLE.replace("crm:", "lake:").replace("shop.duckdb", "bucket")
    project = make_project(PEOPLE + parquet.removeprefix("\nsources:\n"))
    ingest(project)
    rows = [
        project.engine.rows(f"SELECT id, email, seen_at, total FROM raw_{name}")
        for name in ("crm", "lake")
    ]
    assert rows[0] == rows[1] == [("1", "a@x.org", "2026-03-01 08:30:00.250000Z", "12.50")]
    hashes = {project.engine.scalar(f"SELECT _row_hash FROM raw_{n}") for n in ("crm", "lake")}
    assert len(hashes) == 1


def _bucket(tmp_path: Path, loads: dict[str, list[dict[str, Any]]]) -> Path:
    """dlt's filesystem layout: one Parquet file per load, each load completed."""
    folder = tmp_path / "bucket" / "shop_data"
    (folder / "customers").mkdir(parents=True, exist_ok=True)
    (folder / "_dlt_loads").mkdir(exist_ok=True)
    for load_id, rows in loads.items():
        table = pa.Table.from_pylist([{**row, "_dlt_load_id": load_id} for row in rows])
        pq.write_table(table, folder / "customers" / f"{load_id}.f00d.parquet")
        entry = {"load_id": load_id, "schema_name": "shop", "status": 0}
        (folder / "_dlt_loads" / f"shop__{load_id}.jsonl").write_text(json.dumps(entry))
    return folder


def test_a_damaged_parquet_file_lands_nothing(make_project: MakeProject, tmp_path: Path) -> None:
    folder = _bucket(tmp_path, {"1700000000.1": [{"id": "1", "email": "a@x.org"}],
                                "1700000001.1": [{"id": "2", "email": "b@x.org"}]})  # fmt: skip
    damaged = folder / "customers" / "1700000001.1.f00d.parquet"
    good = damaged.read_bytes()
    damaged.write_bytes(good[: len(good) // 2])
    project = make_project(PEOPLE.replace("shop.duckdb", "bucket"))
    with pytest.raises(SourceError) as error:
        ingest(project)
    message = str(error.value)
    assert message.startswith("sources.crm: reading the columns of table shop_data.customers")
    assert f"{damaged}: " in message and "Nothing was landed" in message
    assert not project.engine.table_exists("raw_crm")
    damaged.write_bytes(good)
    assert ingest(project).sources[0].rows_loaded == 2


def test_a_parquet_file_gone_mid_read_lands_nothing_of_its_load(
    make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bucket(tmp_path, {"1700000000.1": [{"id": "1", "email": "a@x.org"}],
                                "1700000001.1": [{"id": "2", "email": "b@x.org"}]})  # fmt: skip
    project = make_project(PEOPLE.replace("shop.duckdb", "bucket"))
    engine = project.engine
    write_arrow = engine.write_arrow

    def write_then_remove(name: str, data: Any, *, mode: Any) -> None:
        write_arrow(name, data, mode=mode)
        if name == STAGE:  # the first load staged: the second's file goes (a bucket cleanup)
            (folder / "customers" / "1700000001.1.f00d.parquet").unlink(missing_ok=True)

    monkeypatch.setattr(engine, "write_arrow", write_then_remove)
    with pytest.raises(SourceError) as error:
        ingest(project)
    message = str(error.value)
    assert message.startswith("sources.crm: reading dlt load 1700000001.1 of table ")
    assert "Nothing of this load was landed; the next run reads it again" in message
    # the load before it landed; the one that failed left nothing behind
    assert engine.rows("SELECT _load_id, id FROM raw_crm") == [("1700000000.1", "1")]
    assert engine.rows(f"SELECT load_id FROM {LOADS}") == [("1700000000.1",)]
    assert not engine.table_exists(STAGE)


def test_a_table_no_completed_load_wrote_yet_reads_nothing(
    make_project: MakeProject, tmp_path: Path
) -> None:
    folder = _bucket(tmp_path, {})
    pq.write_table(
        pa.table({"id": ["1"], "_dlt_load_id": ["1700000000.1"]}),
        folder / "customers" / "1700000000.1.f00d.parquet",
    )  # the load is still running: _dlt_loads does not hold it
    project = make_project(PEOPLE.replace("shop.duckdb", "bucket").replace("email: email", ""))
    report = ingest(project).sources[0]
    assert (report.files_seen, report.rows_read) == (0, 0)
    assert not project.engine.table_exists("raw_crm")


def test_an_object_kept_as_json_is_read_by_key(make_project: MakeProject, tmp_path: Path) -> None:
    # max_table_nesting=0: dlt keeps default_address as a JSON column, tags as a JSON list
    rows = [{"id": "1", "email": "a@x.org", "default_address": '{"city": "Paris"}',
             "tags": '["vip", "newsletter"]'}]  # fmt: skip
    write_dlt_duckdb(tmp_path / "shop.duckdb", "customers", rows, "1700000000.1")
    with duckdb.connect(str(tmp_path / "shop.duckdb")) as con:
        for column in ("default_address", "tags"):
            con.execute(f"ALTER TABLE shop_data.customers ALTER {column} TYPE JSON")
    config = PEOPLE.replace("email: email", "email: email, city: default_address.city")
    project = make_project(config)
    run(project, ["ingest", "clean"])
    assert project.engine.rows("SELECT city FROM records") == [("Paris",)]
    assert project.engine.scalar("SELECT tags FROM raw_crm") == '["vip", "newsletter"]'


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "Europe/Paris"])
def test_zoned_timestamps_read_as_arrow_writes_them_in_utc(unit: str, zone: str) -> None:
    values = [None, -1, 0, 1_700_000_000_123_456_789 // {"s": 10**9, "ms": 10**6,
                                                         "us": 10**3, "ns": 1}[unit]]  # fmt: skip
    column = pa.array(values, pa.timestamp(unit, zone))
    batch = pa.RecordBatch.from_arrays([column, pa.array(["a"] * 4)], names=["at", "x"])
    expected = column.cast(pa.timestamp(unit, "UTC")).cast(pa.string())
    assert in_utc(batch).column(0).equals(expected)
    assert in_utc(batch).column(1).equals(batch.column(1))
