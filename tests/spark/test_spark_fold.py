"""``rows_per_record`` on Spark: the same folded raw rows, counts and list properties as on
DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

from personae.clean.records import clean
from personae.ingest import ingest
from personae.project import Project

CONFIG = """{engine}
sources:
  shop:
    kind: events
    path: orders.csv
    record_id: order
    rows_per_record:
      keep: {keep}
      collect: {{products: {{sku: item sku, qty: item qty}}}}
    fields: {{email: email}}
    event:
      name: Order Completed
      timestamp: {{column: at}}
      properties:
        products: {{column: products, items: {{sku: string, qty: number}}}}
"""

SPARK = "engine:\n  type: spark\n  master: local[2]"

#: order 1's rows out of order in the file on purpose (lines 2, 3, 5), line 4 is order 2
EXPORT = """\
order,email,at,total,item sku,item qty
1,,2026-03-01 10:00:00,90.00,SKU-1,1
1,a@b.fr,2026-03-01 10:00:00,,SKU-2,2
2,c@d.fr,2026-03-02 10:00:00,20.00,SKU-3,1
1,a@b.fr,2026-03-01 10:00:00,,SKU-4,1
"""


@pytest.mark.parametrize("keep", ["first", "first_non_empty"])
def test_folding_gives_the_same_rows_on_spark(tmp_path: Path, keep: str) -> None:
    found = {}
    for name, engine in (("duckdb", ""), ("spark", SPARK)):
        root = tmp_path / name
        root.mkdir()
        (root / "personae.yml").write_text(CONFIG.format(engine=engine, keep=keep))
        (root / "orders.csv").write_text(EXPORT)
        project = Project.load(root)
        try:
            report = ingest(project).sources[0]
            rows = project.engine.rows(
                'SELECT _record_id, email, total, "item sku", products FROM raw_shop ORDER BY 1'
            )
            clean(project)
            events = project.engine.rows("SELECT record_id, properties FROM events ORDER BY 1")
            products = [(r, json.loads(p)["products"]) for r, p in events]
            found[name] = (report.rows_folded, report.rows_loaded, rows, products)
        finally:
            project.close()
    assert found["spark"] == found["duckdb"]
    folded, loaded, rows, products = found["duckdb"]
    assert (folded, loaded) == (2, 2)
    assert rows[0][4] == (
        '[{"sku":"SKU-1","qty":"1"},{"sku":"SKU-2","qty":"2"},{"sku":"SKU-4","qty":"1"}]'
    )
    assert products[0][1] == [
        {"sku": "SKU-1", "qty": 1.0},
        {"sku": "SKU-2", "qty": 2.0},
        {"sku": "SKU-4", "qty": 1.0},
    ]
