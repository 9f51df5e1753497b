"""The CLI on database sources: the ingest report says what an extract read, and
``personae validate`` finds every unresolvable secret of a database URL at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from personae.cli.main import app

runner = CliRunner()

SHOP = """
sources:
  shop:
    kind: events
    record_id: order_id
    database: {url: "sqlite:///shop.db", table: orders, cursor: order_id}
    fields: {email: email}
    event: {name: Order Completed, timestamp: {column: ordered_at}}
  crm:
    kind: people
    path: crm.csv
    fields: {email: email}
"""


def _orders(path: Path, *rows: tuple[int, str, str]) -> None:
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS orders (order_id INTEGER PRIMARY KEY, email TEXT, "
            "ordered_at TEXT)"
        )
        con.executemany("INSERT INTO orders VALUES (?, ?, ?)", rows)


def invoke(*args: str) -> tuple[int, str]:
    from personae.cli.context import console

    # the console is made once per process (COLUMNS is read then): pin its width, so the
    # table's cells are not wrapped whatever ran before in this process
    width = console._width
    console.width = 200
    try:
        result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    finally:
        console._width = width
    return result.exit_code, result.output


def test_the_ingest_report_says_what_a_database_extract_read(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(SHOP)
    (tmp_path / "crm.csv").write_text("email\na@x.org\n")
    _orders(tmp_path / "shop.db", (1, "a@x.org", "2026-01-01"), (2, "b@x.org", "2026-01-02"))
    code, out = invoke("-p", str(tmp_path), "ingest")
    assert code == 0, out
    assert "read from" in out and "files" not in out.split("read from")[0].split("Ingest")[-1]
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert "table orders: every row (order_id up to 2)" in lines["shop"]
    assert "1 file " in lines["crm"]
    _orders(tmp_path / "shop.db", (3, "c@x.org", "2026-01-03"))
    code, out = invoke("-p", str(tmp_path), "ingest")
    assert code == 0, out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    cells = [cell.strip() for cell in lines["shop"].split("│")[1:-1]]
    # read, loaded, unchanged (the boundary row comes again), quarantined
    assert cells == ["shop", "table orders: order_id from 2 to 3", "2", "1", "1", "0"]
    # the file was loaded before: none of the one file is new
    assert "0 of 1 file " in lines["crm"]


def test_validate_reports_every_missing_secret_without_connecting(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(
        """
sources:
  crm:
    kind: people
    database:
      url: postgresql://crm:${PERSONAE_TEST_NO_SUCH_VAR}@db.invalid:5432/crm
      table: customers
    fields: {email: email}
  shop:
    kind: people
    database: {url: "${file:secrets/shop_url}", table: customers}
    fields: {email: email}
  erp:
    kind: people
    database: {url: "mysql://erp:${HOME}@db.invalid/erp", table: customers}
    fields: {email: email}
"""
    )
    code, out = invoke("-p", str(tmp_path), "validate")
    assert code == 1
    text = " ".join(out.split())
    assert "sources: 2 placeholders of database URLs cannot be resolved" in text
    assert (
        "sources.crm.database.url: the environment variable PERSONAE_TEST_NO_SUCH_VAR is not "
        "set; export PERSONAE_TEST_NO_SUCH_VAR=... before running personae" in text
    )
    assert f"sources.shop.database.url: the secrets file {tmp_path}/secrets/shop_url" in text
    assert "create it (readable by personae only) or fix the path" in text
    assert "erp" not in text  # HOME is set
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "shop_url").write_text("sqlite:///shop.db\n")
    code, out = invoke("-p", str(tmp_path), "validate")
    assert code == 1 and "1 placeholder of database URLs" in " ".join(out.split())
    result = runner.invoke(
        app, ["-p", str(tmp_path), "validate"], env={"PERSONAE_TEST_NO_SUCH_VAR": "s3cret"}
    )
    assert result.exit_code == 0, result.output
    assert "personae.yml is valid: 3 sources" in result.output


def test_rows_deleted_at_a_database_source_get_a_column() -> None:
    from rich.console import Console

    from personae.cli import render
    from personae.ingest.landing import SourceLoad
    from personae.ingest.load import IngestReport

    crm = SourceLoad(
        "crm", files_seen=1, rows_read=3, rows_loaded=1, rows_unchanged=1, rows_deleted=1,
        extract="table customers: updated_at from 2026-01-03 10:00:00 to 2026-03-01 00:00:00",
    )  # fmt: skip
    shop = SourceLoad("shop", files_seen=3, files_loaded=2, rows_read=5, rows_loaded=5)
    console = Console(width=200, record=True)
    render.ingest_report(console, IngestReport([crm, shop]))
    out = console.export_text()
    header = next(line for line in out.splitlines() if "source" in line)
    assert header.split("┃")[-2].strip() == "deleted"
    rows = {
        line.split("│")[1].strip(): line.split("│")[2:-1]
        for line in out.splitlines()
        if "│" in line
    }
    assert [c.strip() for c in rows["crm"]][-1] == "1"
    assert rows["shop"][0].strip() == "2 of 3 files"
