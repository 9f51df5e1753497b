"""Database sources (issue 22): a CRM table read incrementally into raw, against a real
PostgreSQL server and a real MariaDB server (tests/helpers/postgres.py and mariadb.py;
each scenario runs on both), and a SQLite database."""

from __future__ import annotations

import itertools
import re
import sqlite3
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from conftest import MakeProject
from helpers.mariadb import MariaDB, mariadb_server
from helpers.postgres import PASSWORD, Postgres, postgres_server
from personae.catalog import INGEST_REMOVALS, LOADS, SOURCE_CURSORS
from personae.config import load_config
from personae.config.loader import parse_config
from personae.errors import ConfigError, SourceError
from personae.ingest import database as database_module
from personae.ingest import drivers as drivers_module
from personae.ingest import ingest
from personae.ingest.landing import STAGE

_numbers = itertools.count()


@pytest.fixture(scope="module")
def postgresql() -> Iterator[Postgres]:
    with postgres_server() as found:
        yield found


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDB]:
    with mariadb_server() as found:
        yield found


@dataclass(frozen=True)
class Crm:
    """A CRM database on one of the servers, and what differs between them."""

    server: Any  # Postgres | MariaDB
    #: the URL scheme personae.yml writes
    scheme: str

    @property
    def is_postgres(self) -> bool:
        return self.scheme == "postgresql"

    def execute(self, *statements: str) -> None:
        self.server.execute(*statements)

    def url_with(self, placeholder: str) -> str:
        return str(self.server.url_with(placeholder))

    def as_user(self, user: str, password: str) -> Crm:
        return Crm(replace(self.server, user=user, password=password), self.scheme)

    def create_reader(self, user: str, password: str) -> None:
        """A login that may only read the customers table."""
        if self.is_postgres:
            self.execute(
                f"CREATE ROLE {user} LOGIN PASSWORD '{password}'",
                f"GRANT SELECT ON customers TO {user}",
            )
            return
        for host in ("127.0.0.1", "localhost"):
            self.execute(
                f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{password}'",
                f"GRANT SELECT ON {self.server.database}.customers TO '{user}'@'{host}'",
            )

    def add_customers(self, first: int, last: int) -> None:
        """Customers ``first`` to ``last``, wide rows, one second apart."""
        if self.is_postgres:
            rows, number = f"generate_series({first}, {last}) i", "i"
            at = "'2026-01-05 00:00'::timestamp + i * interval '1 second'"
        else:
            rows, number = f"seq_{first}_to_{last}", "seq"
            at = "TIMESTAMP '2026-01-05 00:00:00' + INTERVAL seq SECOND"
        self.execute(
            f"INSERT INTO customers SELECT {number}, CONCAT('First', {number}), "
            f"repeat('x', 300), CONCAT('p', {number}, '@example.com'), NULL, {at}, NULL "
            f"FROM {rows}"
        )

    def kill_readers(self) -> None:
        """End every other session reading the database, as a crash or a failover would."""
        if self.is_postgres:
            self.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database()"
            )
            return
        con = self.server.connect()
        try:
            with con.cursor() as cur:
                cur.execute(
                    "SELECT id FROM information_schema.processlist WHERE db = DATABASE() "
                    "AND id <> CONNECTION_ID()"
                )
                for (session,) in cur.fetchall():
                    cur.execute(f"KILL {int(session)}")
        finally:
            con.close()


@pytest.fixture(params=["postgresql", "mariadb"])
def crm(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Crm:
    """A fresh database holding a CRM's customers table; its password in the environment.
    Times are written without an offset: UTC on both servers."""
    server = request.getfixturevalue(request.param)
    name = f"crm_{next(_numbers)}"
    server.execute(f"CREATE DATABASE {name}")
    if request.param == "postgresql":
        server.execute(f"ALTER DATABASE {name} SET timezone TO 'UTC'")
        stamp = "timestamptz"
    else:
        stamp = "datetime(6)"
    db = Crm(replace(server, database=name), request.param)
    db.execute(
        f"""CREATE TABLE customers (
             id integer PRIMARY KEY, first_name text, last_name text, email text,
             phone text, updated_at {stamp} NOT NULL, deleted_at {stamp} NULL)""",
        """INSERT INTO customers VALUES
             (1, 'Alice', 'Martin', 'alice@mail.fr', '+33612345678',
              '2026-01-01 10:00:00', NULL),
             (2, 'Bruno', 'Petit', 'bruno@mail.fr', NULL, '2026-01-02 10:00:00', NULL),
             (3, 'Chloé', 'Durand', 'chloe@mail.fr', NULL, '2026-01-03 10:00:00', NULL)""",
    )
    monkeypatch.setenv("PERSONAE_CRM_PASSWORD", PASSWORD)
    return db


def people_config(db: Crm, extra: str = "", fields: str = "email: email") -> str:
    return f"""
    sources:
      crm:
        kind: people
        record_id: id
        database:
          url: {db.url_with("${PERSONAE_CRM_PASSWORD}")}
          table: customers
          cursor: updated_at
          {extra}
        fields: {{{fields}, first_name: first_name, last_name: last_name}}
    """


def raw(project: Any, sql: str = "SELECT id, email FROM raw_crm ORDER BY id, _loaded_at") -> Any:
    return project.engine.rows(sql)


def test_first_load_then_updates_land_as_new_versions(crm: Crm, make_project: MakeProject) -> None:
    project = make_project(people_config(crm))
    first = ingest(project).sources[0]
    assert (first.rows_read, first.rows_loaded) == (3, 3)
    assert raw(project) == [
        ("1", "alice@mail.fr"),
        ("2", "bruno@mail.fr"),
        ("3", "chloe@mail.fr"),
    ]
    # raw keeps the source's text; the cursor state is the highest value loaded
    assert project.engine.scalar("SELECT updated_at FROM raw_crm WHERE id = '3'").startswith(
        "2026-01-03 10:00:00"
    )
    state = project.engine.rows(f"SELECT source, cursor_column, cursor_value FROM {SOURCE_CURSORS}")
    # timestamptz comes in UTC; MariaDB's datetime has no time zone
    top = "2026-01-03 10:00:00.000000" + ("Z" if crm.is_postgres else "")
    assert state == [("crm", "updated_at", top)]

    crm.execute(
        "UPDATE customers SET email = 'alice@new.example', updated_at = '2026-02-01 00:00:00' "
        "WHERE id = 1",
        "INSERT INTO customers VALUES (4, 'Denis', 'Roux', 'denis@mail.fr', NULL, "
        "'2026-02-01 00:00:00', NULL)",
    )
    second = ingest(project).sources[0]
    # only rows at or past the cursor are read: chloé at the boundary comes again, unchanged
    assert (second.rows_read, second.rows_loaded, second.rows_unchanged) == (3, 2, 1)
    versions = raw(project, "SELECT email FROM raw_crm WHERE id = '1' ORDER BY _loaded_at")
    assert versions == [("alice@mail.fr",), ("alice@new.example",)]
    load = project.engine.rows(
        f"SELECT rows_loaded, rows_new_versions FROM {LOADS} ORDER BY loaded_at DESC LIMIT 1"
    )
    assert load == [(2, 1)]
    # nothing changed: only the boundary is read again, nothing lands
    third = ingest(project).sources[0]
    assert (third.rows_read, third.rows_loaded) == (2, 0)


def test_soft_deleted_rows_remove_their_record(crm: Crm, make_project: MakeProject) -> None:
    project = make_project(people_config(crm, extra="soft_delete: deleted_at"))
    ingest(project)
    crm.execute(
        "UPDATE customers SET deleted_at = now(), updated_at = '2026-03-01 00:00:00' WHERE id = 2"
    )
    report = ingest(project).sources[0]
    assert report.rows_deleted == 1
    assert [r[0] for r in raw(project)] == ["1", "3"]
    removals = project.engine.rows(f"SELECT source, reason, rows FROM {INGEST_REMOVALS}")
    assert removals == [("crm", "deleted", 1)]
    # read again at the boundary: nothing more to remove, nothing comes back
    assert ingest(project).sources[0].rows_deleted == 0
    assert [r[0] for r in raw(project)] == ["1", "3"]


def test_full_compare_removes_records_gone_from_the_source(
    crm: Crm, make_project: MakeProject
) -> None:
    project = make_project(people_config(crm, extra="full_compare: true"))
    ingest(project)
    crm.execute("DELETE FROM customers WHERE id = 1")
    assert ingest(project).sources[0].rows_deleted == 1
    assert [r[0] for r in raw(project)] == ["2", "3"]


def test_a_new_column_lands_in_raw(crm: Crm, make_project: MakeProject) -> None:
    project = make_project(people_config(crm))
    ingest(project)
    crm.execute(
        "ALTER TABLE customers ADD COLUMN loyalty_tier text",
        "UPDATE customers SET loyalty_tier = 'gold', updated_at = '2026-02-01 00:00:00' "
        "WHERE id = 2",
    )
    ingest(project)
    tiers = raw(project, "SELECT id, loyalty_tier FROM raw_crm WHERE loyalty_tier IS NOT NULL")
    assert tiers == [("2", "gold")]


def test_a_renamed_column_is_a_clear_error(crm: Crm, make_project: MakeProject) -> None:
    project = make_project(people_config(crm))
    ingest(project)
    crm.execute("ALTER TABLE customers RENAME COLUMN email TO email_address")
    with pytest.raises(SourceError) as error:
        ingest(project)
    message = str(error.value)
    assert message.startswith("sources.crm.fields.email: column 'email' is not in table customers")
    assert "its columns are: id, first_name, last_name, email_address, phone," in message
    assert "columns new since the last load: email_address: if the column was renamed" in message
    assert PASSWORD not in message


def test_a_cursor_column_the_table_lacks_is_named(crm: Crm, make_project: MakeProject) -> None:
    project = make_project(people_config(crm).replace("cursor: updated_at", "cursor: updated"))
    with pytest.raises(SourceError) as error:
        ingest(project)
    assert str(error.value).startswith(
        "sources.crm.database.cursor: column 'updated' is not in table customers of "
        f"{crm.scheme}://crm:***@"
    )
    assert "did you mean 'updated_at'?" in str(error.value)
    assert not project.engine.table_exists(STAGE)


#: the server's own words for a wrong password
DENIED = {
    "postgresql": 'password authentication failed for user "crm"',
    "mariadb": "ERROR 1045: Access denied for user 'crm'@'",
}


def test_wrong_credentials_name_the_source_and_never_the_password(
    crm: Crm, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(people_config(crm))
    monkeypatch.setenv("PERSONAE_CRM_PASSWORD", "wrong-Pa55word")
    with pytest.raises(SourceError) as error:
        ingest(project)
    message = str(error.value)
    assert message.startswith(f"sources.crm: reading table customers of {crm.scheme}://crm:***@")
    assert DENIED[crm.scheme] in message
    assert "wrong-Pa55word" not in message and PASSWORD not in message
    monkeypatch.delenv("PERSONAE_CRM_PASSWORD")
    with pytest.raises(SourceError, match="environment variable PERSONAE_CRM_PASSWORD is not set"):
        ingest(project)


def test_a_password_in_a_secrets_file(crm: Crm, make_project: MakeProject, tmp_path: Path) -> None:
    (tmp_path / "crm_password").write_text(PASSWORD + "\n")
    config = people_config(crm).replace("${PERSONAE_CRM_PASSWORD}", "${file:crm_password}")
    project = make_project(config)
    assert ingest(project).sources[0].rows_loaded == 3


#: the driver's words for a connection killed while it streams
LOST = {"postgresql": "terminat", "mariadb": "ERROR 2013: Lost connection"}


def test_a_connection_killed_mid_extract_loads_nothing_and_resumes(
    crm: Crm, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm.add_customers(10, 120_009)
    project = make_project(people_config(crm, extra="batch_rows: 5000"))
    # small driver batches: the server is still sending when its backend is terminated
    monkeypatch.setattr(drivers_module, "_POSTGRES_BATCH_BYTES", 256 * 1024)
    engine = project.engine
    write_arrow = engine.write_arrow
    batches = []

    def write_then_kill(name: str, data: Any, *, mode: Any) -> None:
        write_arrow(name, data, mode=mode)
        if name == STAGE:
            batches.append(data.num_rows)
            if len(batches) == 2:
                crm.kill_readers()

    monkeypatch.setattr(engine, "write_arrow", write_then_kill)
    with pytest.raises(SourceError) as error:
        ingest(project)
    message = str(error.value)
    read = int(message.split("failed after ")[1].split(" rows")[0])
    # at least the two batches staged before the kill (a driver batch may be smaller
    # than batch_rows), never the whole table
    assert 0 < sum(batches) <= read < 120_003
    assert LOST[crm.scheme] in message  # the driver's own words
    assert "Nothing of this extract was loaded" in message
    assert "reads from the first row" in message
    assert PASSWORD not in message
    # nothing half-loaded: no raw table, no load, no cursor, no staging table left
    assert not engine.table_exists("raw_crm") and not engine.table_exists(STAGE)
    assert engine.count(LOADS) == 0 and engine.count(SOURCE_CURSORS) == 0

    monkeypatch.setattr(engine, "write_arrow", write_arrow)
    resumed = ingest(project).sources[0]
    assert resumed.rows_loaded == engine.count("raw_crm") == 120_003


def test_an_incremental_extract_killed_keeps_the_cursor(
    crm: Crm, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(people_config(crm))
    ingest(project)
    engine = project.engine
    before = engine.rows(f"SELECT cursor_value FROM {SOURCE_CURSORS}")
    crm.execute("UPDATE customers SET email = 'b@new.example', updated_at = now() WHERE id = 2")

    def fail(*_: Any, **__: Any) -> Any:
        raise drivers_module.DriverError("server closed the connection unexpectedly")

    monkeypatch.setattr(database_module, "open_stream", fail)
    with pytest.raises(SourceError, match="reads from cursor updated_at >= 2026-01-03 10:00"):
        ingest(project)
    assert engine.rows(f"SELECT cursor_value FROM {SOURCE_CURSORS}") == before
    monkeypatch.undo()
    monkeypatch.setenv("PERSONAE_CRM_PASSWORD", PASSWORD)
    assert ingest(project).sources[0].rows_loaded == 1


def test_a_query_source(crm: Crm, make_project: MakeProject) -> None:
    config = people_config(crm).replace(
        "table: customers",
        "query: SELECT * FROM customers WHERE email LIKE '%@mail.fr' AND id <> 3",
    )
    project = make_project(config)
    assert ingest(project).sources[0].rows_loaded == 2


# --- SQLite, and a whole run


def _events_db(path: Path, rows: list[tuple[Any, ...]]) -> None:
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS orders "
            "(order_id INTEGER PRIMARY KEY, email TEXT, ordered_at TEXT, amount REAL, "
            "status TEXT)"
        )
        con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", rows)


EVENTS = """
  shop:
    kind: events
    record_id: order_id
    database: {url: "sqlite:///shop.db", table: orders, cursor: order_id, batch_rows: 2}
    fields: {email: email}
    event:
      name: Order Completed
      timestamp: {column: ordered_at}
      properties: {amount: {column: amount, type: number}}
"""


def test_sqlite_events_are_read_incrementally(make_project: MakeProject, tmp_path: Path) -> None:
    _events_db(tmp_path / "shop.db", [(1, "a@x.org", "2026-01-01 10:00:00", 12.5, "paid")])
    project = make_project("sources:" + EVENTS)
    assert ingest(project).sources[0].rows_loaded == 1
    _events_db(
        tmp_path / "shop.db",
        [(2, "b@x.org", "2026-01-02 10:00:00", 20.0, "paid"),
         (3, "a@x.org", "2026-01-03 10:00:00", 7.0, "paid")],
    )  # fmt: skip
    report = ingest(project).sources[0]
    assert (report.rows_read, report.rows_loaded, report.rows_unchanged) == (3, 2, 1)
    assert project.engine.rows("SELECT order_id, amount FROM raw_shop ORDER BY order_id") == [
        ("1", "12.5"),
        ("2", "20.0"),
        ("3", "7.0"),
    ]


def test_sqlite_columns_holding_values_of_several_types(
    make_project: MakeProject, tmp_path: Path
) -> None:
    # SQLite types values, not columns: a status code may be a number, then text
    rows = [(i, f"c{i}@mail.fr", f"2026-01-0{i} 10:00:00", 10.0, i) for i in range(1, 4)]
    _events_db(tmp_path / "shop.db", [*rows, (4, "d@mail.fr", "2026-01-04", "n/a", "late")])
    project = make_project("sources:" + EVENTS)
    assert ingest(project).sources[0].rows_loaded == 4
    assert project.engine.rows("SELECT amount, status FROM raw_shop ORDER BY order_id") == [
        ("10.0", "1"),
        ("10.0", "2"),
        ("10.0", "3"),
        ("n/a", "late"),
    ]


def test_a_missing_sqlite_file_is_a_clear_error(make_project: MakeProject) -> None:
    project = make_project("sources:" + EVENTS)
    with pytest.raises(SourceError) as error:
        ingest(project)
    assert str(error.value).startswith("sources.shop: reading table orders of sqlite:///")
    assert "no SQLite database file at " in str(error.value)


@pytest.mark.parametrize("crm", ["postgresql"], indirect=True)
def test_personae_run_with_postgresql_people_and_sqlite_events(crm: Crm, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from personae.cli.main import app

    _events_db(
        tmp_path / "shop.db",
        [(1, "alice@mail.fr", "2026-01-05 10:00:00", 30.0, "paid"),
         (2, "ALICE@mail.fr ", "2026-01-06 10:00:00", 12.0, "paid"),
         (3, "zoe@mail.fr", "2026-01-07 10:00:00", 5.0, "paid")],
    )  # fmt: skip
    config = textwrap.dedent(people_config(crm)) + textwrap.indent(EVENTS.strip("\n"), "")
    (tmp_path / "personae.yml").write_text(config)
    result = CliRunner().invoke(app, ["run", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    from personae.project import Project

    project = Project.load(tmp_path)
    try:
        persons = project.engine.scalar("SELECT count(DISTINCT person_id) FROM identity_map")
        # three CRM customers; alice's two orders join her, zoé's order is a fourth person
        assert persons == 4
        alice_orders = project.engine.scalar(
            "SELECT count(*) FROM events e JOIN identity_map m USING (source, record_id) "
            "WHERE m.person_id = (SELECT person_id FROM identity_map WHERE source = 'crm' "
            "AND record_id = '1')"
        )
        assert alice_orders == 2
    finally:
        project.close()


# --- personae.yml


def _config_error(tmp_path: Path, database: str) -> str:
    (tmp_path / "personae.yml").write_text(
        "sources:\n  crm:\n    kind: people\n    record_id: id\n"
        f"    database: {database}\n    fields: {{email: email}}\n"
    )
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    return str(error.value)


def test_a_plain_text_password_is_refused_and_not_echoed(tmp_path: Path) -> None:
    message = _config_error(
        tmp_path, "{url: 'postgresql://crm:Hunter2pw@db:5432/crm', table: customers}"
    )
    assert "sources.crm.database.url" in message
    assert "password written in plain text" in message
    assert "${PERSONAE_CRM_PASSWORD}" in message and "secrets file" in message
    assert "Hunter2pw" not in message


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        ("{url: 'postgresql://crm@db/crm'}", "give exactly one of 'table'"),
        ("{url: 'postgresql://crm@db/crm', table: a, query: SELECT 1}", "exactly one of 'table'"),
        ("{url: 'nosuchdb://crm@db/crm', table: a}", "url must start with postgresql://"),
        ("{url: 'postgresql://crm@db/crm?password=x', table: a}", "password= parameter"),
    ],
)
def test_database_sections_are_checked(tmp_path: Path, database: str, expected: str) -> None:
    assert expected in _config_error(tmp_path, database)


def test_path_and_database_are_exclusive(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(
        "sources:\n  crm:\n    kind: people\n    path: crm.csv\n"
        "    database: {url: 'sqlite:///crm.db', table: customers}\n"
    )
    with pytest.raises(ConfigError, match="give exactly one of 'path'"):
        load_config(tmp_path)


def test_the_documented_examples_are_valid_personae_yml() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text()
    examples = re.findall(r"^```yaml\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert len(examples) >= 3  # files, several rows per record, databases, dlt
    for example in examples:
        assert parse_config(example).sources


def test_soft_delete_needs_a_record_id(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text(
        "sources:\n  crm:\n    kind: people\n"
        "    database: {url: 'sqlite:///crm.db', table: customers, soft_delete: deleted}\n"
    )
    with pytest.raises(ConfigError, match="set record_id"):
        load_config(tmp_path)


def test_a_password_with_url_characters_connects_and_is_never_shown(
    crm: Crm, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "p@ss/w:rd%20?#"
    role = f"reader_{crm.server.database}"
    crm.create_reader(role, secret)
    reader = crm.as_user(role, secret)
    monkeypatch.setenv("PERSONAE_CRM_PASSWORD", secret)
    project = make_project(people_config(reader))
    assert ingest(project).sources[0].rows_loaded == 3
    wrong = "x@y/z:" + secret
    monkeypatch.setenv("PERSONAE_CRM_PASSWORD", wrong)
    project.engine.drop_table("raw_crm")
    with pytest.raises(SourceError) as error:
        ingest(project)
    message = str(error.value)
    assert DENIED[crm.scheme].split(" for user")[0] in message
    assert secret not in message and "p%40ss" not in message and "x@y" not in message


# --- quoting per database, MySQL spellings


def test_a_text_cursor_holding_quotes_and_backslashes_round_trips(
    crm: Crm, make_project: MakeProject
) -> None:
    # MySQL reads a backslash in a string as an escape: a cursor value ending with one
    # must not swallow the literal's closing quote
    backslash = "\\" if crm.is_postgres else "\\\\"  # written in the server's own SQL
    crm.execute(
        "CREATE TABLE codes (id integer PRIMARY KEY, code varchar(40), email text, "
        "first_name text, last_name text)",
        f"INSERT INTO codes VALUES (1, 'A-001', 'a@x.org', NULL, NULL), "
        f"(2, 'B''2{backslash}', 'b@x.org', NULL, NULL)",
    )
    config = people_config(crm).replace("table: customers", "table: codes")
    project = make_project(config.replace("cursor: updated_at", "cursor: code"))
    assert ingest(project).sources[0].rows_loaded == 2
    state = project.engine.scalar(f"SELECT cursor_value FROM {SOURCE_CURSORS}")
    assert state == "B'2\\"
    crm.execute("INSERT INTO codes VALUES (3, 'C-003', 'c@x.org', NULL, NULL)")
    again = ingest(project).sources[0]
    # the boundary row comes again (unchanged), the new one lands, the first is not read
    assert (again.rows_read, again.rows_loaded, again.rows_unchanged) == (2, 1, 1)


def test_identifiers_are_quoted_as_each_database_quotes() -> None:
    from personae.config.sources import DatabaseSpec

    spec = DatabaseSpec(url="mysql://crm@db/crm", table="crm.order`s", cursor="updated at")
    mysql = drivers_module.dialect_of("mariadb://crm@db/crm")
    assert database_module.extract_sql(spec, "it's \\ late", mysql) == (
        "SELECT * FROM `crm`.`order``s` WHERE `updated at` >= 'it''s \\\\ late'"
    )
    standard = drivers_module.dialect_of("postgresql://crm@db/crm")
    assert database_module.extract_sql(spec, "it's \\ late", standard) == (
        'SELECT * FROM "crm"."order`s" WHERE "updated at" >= \'it\'\'s \\ late\''
    )


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("mysql://crm@db:3306/crm", "mysql"),
        ("mariadb://crm@db/crm", "mysql"),
        ("mysql+pymysql://crm:${PW}@db/crm", "mysql"),
        ("postgres://crm@db/crm", "postgresql"),
        ("postgresql+psycopg://crm@db/crm", "postgresql"),
    ],
)
def test_mysql_and_sqlalchemy_spellings_are_accepted(url: str, scheme: str) -> None:
    from personae.config.sources import DatabaseSpec

    assert drivers_module.scheme_of(DatabaseSpec(url=url, table="t").url) == scheme


def test_without_pymysql_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pymysql", None)
    with (
        pytest.raises(drivers_module.DriverError, match=r"needs PyMySQL .*: pip install pymysql"),
        drivers_module.open_stream("mysql://crm@127.0.0.1:1/crm", "SELECT 1", 10),
    ):
        pass


@pytest.mark.parametrize("crm", ["mariadb"], indirect=True)
def test_mysql_values_land_as_the_server_writes_them(crm: Crm, make_project: MakeProject) -> None:
    crm.execute(
        "CREATE TABLE shop (id bigint unsigned PRIMARY KEY, first_name text, last_name text, "
        "email varchar(80), amount decimal(10,2), seen datetime(6), photo blob, "
        '`odd ``name`` "x"` text, flag tinyint(1), birth date)',
        "INSERT INTO shop VALUES (18446744073709551615, 'Zoé', 'O''Neil\\nJr', 'z@x.org', "
        "12.50, '2026-01-03 10:00:00.5', x'00ff', 'ok', 1, NULL)",
    )
    config = people_config(crm).replace("table: customers", "table: shop")
    project = make_project(config.replace("cursor: updated_at", "cursor: id"))
    assert ingest(project).sources[0].rows_loaded == 1
    row = project.engine.rows(
        'SELECT id, last_name, amount, seen, photo, "odd `name` ""x""", flag, birth FROM raw_crm'
    )
    assert row == [
        ("18446744073709551615", "O'Neil\nJr", "12.50", "2026-01-03 10:00:00.500000", "00FF",
         "ok", "1", None)
    ]  # fmt: skip
    # the cursor, past a 64-bit integer, compared as a number
    state = project.engine.scalar(f"SELECT cursor_value FROM {SOURCE_CURSORS}")
    assert state == "18446744073709551615"
    assert ingest(project).sources[0].rows_unchanged == 1
