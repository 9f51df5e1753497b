"""Database sources read through SQLAlchemy (any URL whose scheme personae does not read
natively), on SQLite through SQLAlchemy's own pysqlite dialect."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conftest import MakeProject
from personae.catalog import SOURCE_CURSORS
from personae.config.sources import DatabaseSpec
from personae.errors import SourceError
from personae.ingest import drivers, ingest

pytest.importorskip("sqlalchemy")


def _orders(path: Path, rows: list[tuple[Any, ...]]) -> None:
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS orders (order_id INTEGER PRIMARY KEY, email TEXT, "
            "ordered_at TEXT, amount REAL, paid BOOLEAN, receipt BLOB)"
        )
        con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", rows)


def config(path: Path, extra: str = "") -> str:
    return f"""
sources:
  shop:
    kind: events
    record_id: order_id
    database:
      url: "sqlite+pysqlite:///{path}"
      table: orders
      cursor: order_id
      batch_rows: 2
      {extra}
    fields: {{email: email}}
    event: {{name: Order Completed, timestamp: {{column: ordered_at}}}}
"""


def test_a_sqlalchemy_url_is_read_incrementally_in_batches(
    make_project: MakeProject, tmp_path: Path
) -> None:
    db = tmp_path / "shop.db"
    _orders(db, [(i, f"c{i}@x.org", f"2026-01-0{i}", 10.5 * i, i % 2, b"\x01") for i in (1, 2, 9)])
    project = make_project(config(db))
    assert ingest(project).sources[0].rows_loaded == 3
    # every column as text; the integer cursor compared as a number (9 > 10 as text)
    assert project.engine.rows("SELECT order_id, amount, receipt FROM raw_shop ORDER BY 1") == [
        ("1", "10.5", "01"),
        ("2", "21.0", "01"),
        ("9", "94.5", "01"),
    ]
    assert project.engine.scalar(f"SELECT cursor_value FROM {SOURCE_CURSORS}") == "9"
    _orders(db, [(10, "d@x.org", "2026-01-10", 1.0, 1, None)])
    again = ingest(project).sources[0]
    assert (again.rows_read, again.rows_loaded, again.rows_unchanged) == (2, 1, 1)
    assert again.extract == "table orders: order_id from 9 to 10"


def test_a_relative_sqlite_path_starts_at_the_project(
    make_project: MakeProject, tmp_path: Path
) -> None:
    _orders(tmp_path / "shop.db", [(1, "a@x.org", "2026-01-01", 1.0, 1, None)])
    project = make_project(config(Path("shop.db")))
    assert "sqlite+pysqlite:///shop.db" in project.config.sources["shop"].database.url
    assert ingest(project).sources[0].rows_loaded == 1


def test_a_sqlalchemy_failure_names_the_source(make_project: MakeProject, tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    _orders(db, [(1, "a@x.org", "2026-01-01", 1.0, 1, None)])
    project = make_project(config(db).replace("table: orders", "table: order"))
    with pytest.raises(SourceError) as error:
        ingest(project)
    assert str(error.value).startswith("sources.shop: reading table order of sqlite+pysqlite:///")
    assert "no such table: order" in str(error.value)


def test_quoting_follows_the_sqlalchemy_dialect() -> None:
    spec = DatabaseSpec(url="mssql+pyodbc://crm@db/crm", table="t")
    assert spec.url.startswith("mssql+pyodbc://")
    assert drivers.dialect_of("mssql+pyodbc://crm@db/crm").ident("a]b") == "[a]]b]"


def test_an_unknown_scheme_lists_what_is_supported(tmp_path: Path) -> None:
    from personae.config import load_config
    from personae.errors import ConfigError

    (tmp_path / "personae.yml").write_text(
        "sources:\n  crm:\n    kind: people\n"
        "    database: {url: 'nosuchdb://crm@db/crm', table: customers}\n"
    )
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    message = " ".join(str(error.value).split())
    assert "url must start with postgresql://, mysql:// (or mariadb://) or sqlite:///" in message
    assert "pip install 'personae[sqlalchemy]'" in message
