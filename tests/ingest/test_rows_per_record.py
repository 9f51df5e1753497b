"""``rows_per_record``: the rows of one record (an order's line items) fold into one."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from personae.clean.records import clean
from personae.config import parse_config
from personae.errors import ConfigError, SourceError
from personae.ingest import ingest
from personae.project import Project

MakeProject = Callable[..., Project]

ORDERS = """
sources:
  shop:
    kind: events
    path: data/orders*.csv
    record_id: order
    {fold}
    fields: {{email: email}}
    event:
      name: Order Completed
      timestamp: {{column: at}}
      properties:
        revenue: {{column: total, type: number}}
        status: status
        {products}
"""

FOLD = (
    "rows_per_record: {keep: first, collect: {products: "
    "{sku: item sku, name: item name, quantity: item qty}}}"
)
PRODUCTS = "products: {column: products, items: {sku: string, name: string, quantity: number}}"

#: order 1 has three line items, its own columns on the first row only
EXPORT = """\
order,email,at,total,status,item sku,item name,item qty
1,a@b.fr,2026-03-01 10:00:00,90.00,paid,SKU-1,Bag,1
1,a@b.fr,2026-03-01 10:00:00,,,SKU-2,Scarf,2
2,c@d.fr,2026-03-02 11:00:00,20.00,paid,SKU-3,Belt,1
1,a@b.fr,2026-03-01 10:00:00,,,SKU-4,Hat,1
"""


def _config(fold: str = FOLD, products: str = PRODUCTS) -> str:
    return ORDERS.format(fold=fold, products=products)


def _properties(project: Project) -> dict[str, dict[str, object]]:
    rows = project.engine.rows("SELECT record_id, properties FROM events ORDER BY 1")
    return {record_id: json.loads(text) for record_id, text in rows}


def test_rows_of_one_record_fold_into_its_first_row(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/orders.csv": EXPORT})
    report = ingest(project).sources[0]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 2, 0)
    assert report.rows_folded == 2 and report.warnings == []
    assert project.engine.count("quarantine") == 0
    row = project.engine.query("SELECT * FROM raw_shop WHERE _record_id = '1'").to_pylist()
    assert len(row) == 1
    # the first row's columns as received, and every row's collected values as text
    assert (row[0]["total"], row[0]["status"], row[0]["item sku"]) == ("90.00", "paid", "SKU-1")
    assert json.loads(row[0]["products"]) == [
        {"sku": "SKU-1", "name": "Bag", "quantity": "1"},
        {"sku": "SKU-2", "name": "Scarf", "quantity": "2"},
        {"sku": "SKU-4", "name": "Hat", "quantity": "1"},
    ]
    # the load counts them: read = loaded + folded
    assert project.engine.rows("SELECT rows_read, rows_loaded, rows_folded FROM loads") == [
        (4, 2, 2)
    ]


def test_the_collected_list_becomes_a_typed_list_property(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/orders.csv": EXPORT})
    ingest(project)
    clean(project)
    props = _properties(project)
    assert props["1"]["revenue"] == 90.0 and props["1"]["status"] == "paid"
    assert props["1"]["products"] == [
        {"sku": "SKU-1", "name": "Bag", "quantity": 1.0},
        {"sku": "SKU-2", "name": "Scarf", "quantity": 2.0},
        {"sku": "SKU-4", "name": "Hat", "quantity": 1.0},
    ]
    assert props["2"]["products"] == [{"sku": "SKU-3", "name": "Belt", "quantity": 1.0}]


def test_first_non_empty_takes_each_column_from_the_first_row_holding_it(
    make_project: MakeProject,
) -> None:
    export = """\
order,email,at,total,status,item sku,item name,item qty
1,,2026-03-01 10:00:00,,,SKU-1,Bag,1
1,a@b.fr,2026-03-01 10:00:00,90.00,,SKU-2,Scarf,2
1,z@b.fr,2026-03-01 10:00:00,70.00,paid,SKU-3,Hat,1
"""
    fold = FOLD.replace("keep: first", "keep: first_non_empty")
    project = make_project(_config(fold=fold), {"data/orders.csv": export})
    ingest(project)
    row = project.engine.query("SELECT * FROM raw_shop").to_pylist()
    assert len(row) == 1
    assert (row[0]["email"], row[0]["total"], row[0]["status"]) == ("a@b.fr", "90.00", "paid")
    assert row[0]["item sku"] == "SKU-1"


def test_values_the_record_does_not_keep_are_warned_about(make_project: MakeProject) -> None:
    export = EXPORT.replace(
        "1,a@b.fr,2026-03-01 10:00:00,,,SKU-2", "1,x@y.fr,2026-03-01 10:00:00,,,SKU-2"
    )
    project = make_project(_config(), {"data/orders.csv": export})
    report = ingest(project).sources[0]
    assert report.rows_folded == 2 and report.rows_quarantined == 0
    assert len(report.warnings) == 1
    assert (
        "orders.csv: rows folded into their record's first row held values" in (report.warnings[0])
    )
    assert "email (1 row)" in report.warnings[0]
    assert "rows_per_record.collect" in report.warnings[0]


def test_a_later_export_updates_the_record_in_place(
    make_project: MakeProject, tmp_path: Path
) -> None:
    project = make_project(_config(), {"data/orders_1.csv": EXPORT})
    ingest(project)
    # order 1 unchanged, order 2 gains a line item, order 3 is new
    (tmp_path / "data/orders_2.csv").write_text(
        EXPORT
        + "2,c@d.fr,2026-03-02 11:00:00,,,SKU-5,Gloves,1\n"
        + "3,e@f.fr,2026-03-03 12:00:00,15.00,paid,SKU-6,Sock,3\n",
        encoding="utf-8",
    )
    report = ingest(project).sources[0]
    assert (report.rows_read, report.rows_folded) == (6, 3)
    assert (report.rows_loaded, report.rows_unchanged) == (2, 1)
    clean(project)
    assert project.engine.scalar("SELECT count(*) FROM events") == 3
    props = _properties(project)
    assert [p["sku"] for p in props["2"]["products"]] == ["SKU-3", "SKU-5"]  # type: ignore[index]
    assert len(props["1"]["products"]) == 3  # type: ignore[arg-type]


def test_without_the_option_repeated_ids_are_still_quarantined(
    make_project: MakeProject,
) -> None:
    project = make_project(_config(fold="", products=""), {"data/orders.csv": EXPORT})
    report = ingest(project).sources[0]
    assert (report.rows_loaded, report.rows_quarantined, report.rows_folded) == (2, 2, 0)
    reasons = [r for (r,) in project.engine.rows("SELECT reason FROM quarantine ORDER BY line")]
    assert reasons == ["duplicate record id 1 in this file (first at line 2)"] * 2


def test_rows_without_a_record_id_are_quarantined_not_folded(make_project: MakeProject) -> None:
    export = EXPORT + ",g@h.fr,2026-03-04 10:00:00,5.00,paid,SKU-7,Pin,1\n"
    project = make_project(_config(), {"data/orders.csv": export})
    report = ingest(project).sources[0]
    assert (report.rows_loaded, report.rows_quarantined, report.rows_folded) == (2, 1, 2)
    assert project.engine.scalar("SELECT line FROM quarantine") == 6


def test_a_collected_column_missing_from_the_file_names_it(make_project: MakeProject) -> None:
    project = make_project(_config(fold=FOLD.replace("item qty", "item quantity")))
    (project.root / "data").mkdir()
    (project.root / "data/orders.csv").write_text(EXPORT, encoding="utf-8")
    with pytest.raises(
        SourceError,
        match=r"sources\.shop\.rows_per_record\.collect\.products: "
        r"column 'item quantity' is not in orders\.csv; did you mean 'item qty'",
    ):
        ingest(project)


def test_a_sqlite_table_folds_too(make_project: MakeProject, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "shop.db") as con:
        con.execute("CREATE TABLE lines (id TEXT, email TEXT, sku TEXT)")
        con.executemany(
            "INSERT INTO lines VALUES (?, ?, ?)",
            [("1", "a@b.fr", "A"), ("1", "a@b.fr", "B"), ("2", "c@d.fr", "C")],
        )
    project = make_project(
        """
        sources:
          shop:
            kind: people
            record_id: id
            database: {url: "sqlite:///shop.db", table: lines}
            rows_per_record: {collect: {skus: [sku]}}
            fields: {email: email}
        """
    )
    report = ingest(project).sources[0]
    assert (report.rows_loaded, report.rows_folded, report.rows_quarantined) == (2, 1, 0)
    skus = project.engine.scalar("SELECT skus FROM raw_shop WHERE _record_id = '1'")
    assert json.loads(skus) == [{"sku": "A"}, {"sku": "B"}]


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (
            "record_id: order\n    rows_per_record: {keep: last}",
            "sources.shop.rows_per_record.keep",
        ),
        (
            "rows_per_record: {}",
            "rows_per_record folds the rows sharing a record id: set record_id",
        ),
        (
            "record_id: order\n    rows_per_record: {collect: {_lines: [sku]}}",
            "collect: '_lines' cannot name a column of raw",
        ),
        (
            "record_id: order\n    rows_per_record: {collect: {products: []}}",
            "collect.products lists no column; write e.g. collect: {products: {sku: ",
        ),
        (
            "record_id: order\n    rows_per_record: {collect: {sku: [sku, name]}}",
            "rows_per_record.collect.sku would replace the column 'sku'",
        ),
    ],
)
def test_a_bad_option_says_what_to_write(option: str, expected: str) -> None:
    text = f"""
sources:
  shop:
    kind: people
    path: orders.csv
    {option}
    fields: {{email: email}}
"""
    with pytest.raises(ConfigError) as error:
        parse_config(text)
    assert expected in str(error.value)


def test_a_database_cursor_with_rows_per_record_is_refused() -> None:
    text = """
sources:
  shop:
    kind: people
    record_id: id
    database: {url: "sqlite:///shop.db", table: lines, cursor: id}
    rows_per_record: {collect: {skus: [sku]}}
"""
    with pytest.raises(ConfigError, match=r"remove cursor .* or fold in the query itself"):
        parse_config(text)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "{column: products, items: {quantity: int}}",
            "event.properties.products.items.quantity: Input should be 'string', 'number' or",
        ),
        (
            "{column: products, type: number, items: {quantity: number}}",
            "a list property (items) takes no type or format of its own",
        ),
    ],
)
def test_a_bad_list_property_says_what_to_write(spec: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(_config(products=f"products: {spec}"))
    assert expected in str(error.value)


def test_a_warehouse_from_before_gains_the_folded_count(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/orders.csv": EXPORT})
    columns = (
        "load_id VARCHAR, source VARCHAR, file VARCHAR, file_hash VARCHAR, file_size BIGINT, "
        "rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, rows_unchanged BIGINT, "
        "rows_new_versions BIGINT, loaded_at TIMESTAMP"
    )
    project.engine.execute(f"CREATE TABLE loads ({columns})")
    project.engine.execute(
        "INSERT INTO loads VALUES ('old', 'crm', 'crm.csv', 'h', 1, 1, 1, 0, 0, 0, now())"
    )
    assert ingest(project).sources[0].rows_folded == 2
    assert project.engine.rows("SELECT load_id, rows_folded FROM loads ORDER BY loaded_at") == [
        ("old", None),
        (project.engine.scalar("SELECT max(load_id) FROM loads WHERE source = 'shop'"), 2),
    ]
