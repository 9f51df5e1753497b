"""``personae export postgres`` against a real PostgreSQL server (tests/helpers/postgres.py):
typed tables, an atomic replace that keeps BI views working, a failed export leaving the
previous tables untouched, credentials never echoed, and an erasure reaching the copy."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from helpers.postgres import PASSWORD, Postgres, postgres_server
from personae.activate.postgres_export import (
    PostgresExportError,
    check_schema,
    check_tables,
    check_url,
)
from personae.activate.postgres_targets import TARGETS_FILE, publish, recorded_exports
from personae.cli.main import app
from personae.pipeline import run
from personae.privacy.erasure import erase
from personae.privacy.person import Selector, find_person
from personae.project import Project
from personae.protect.audit import AuditLog

CONFIG = """
sources:
  crm:
    kind: people
    path: data/customers.csv
    record_id: id
    fields:
      customer_id: id
      email: email
      first_name: first_name
      birth_date: {column: birth_date, format: "%Y-%m-%d"}
    consent:
      - {column: optin, purpose: email_marketing}
  orders:
    kind: events
    path: data/orders.csv
    record_id: order_id
    fields: {customer_id: customer_id}
    event:
      name: Order Completed
      timestamp: {column: ordered_at}
      properties:
        revenue: {column: total, type: number}
traits:
  order_count: {aggregate: count, event: Order Completed}
  revenue: {aggregate: sum, event: Order Completed, of: revenue}
  last_order_at: {aggregate: max, event: Order Completed, of: timestamp}
  big_spender: {expression: "coalesce(revenue, 0) >= 100"}
segments:
  buyers:
    description: Ordered at least once
    all:
      - {trait: order_count, ">=": 1}
  big:
    all:
      - {trait: big_spender, "=": true}
"""

CUSTOMERS = """\
id,email,first_name,birth_date,optin
C1,ann@example.org,Ann,1985-04-03,yes
C2,bob@example.org,Bob,1979-11-21,no
C3,cid@example.org,Cid,1990-01-30,yes
"""

ORDERS = """\
order_id,customer_id,ordered_at,total
O1,C1,2026-01-05T10:00:00Z,40.5
O2,C1,2026-02-01T09:30:00Z,80
O3,C2,2026-03-01T12:00:00Z,15
"""

URL_VAR = "PERSONAE_TEST_BI_PASSWORD"


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    with postgres_server() as found:
        yield found


@pytest.fixture
def database(pg: Postgres, request: pytest.FixtureRequest) -> Postgres:
    """A database of its own for each test."""
    name = "t_" + request.node.name.lower()[:40].replace("[", "_").replace("]", "_")
    pg.execute(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    return Postgres(pg.host, pg.port, pg.user, pg.password, name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    monkeypatch.setenv(URL_VAR, PASSWORD)
    (tmp_path / "personae.yml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "data" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    with Project.load(tmp_path) as loaded:
        run(loaded)
        yield loaded


def url(db: Postgres) -> str:
    return db.url_with("${" + URL_VAR + "}")


def fetch(db: Postgres, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(db.url(), autocommit=True) as con:
        return list(con.execute(sql.encode()).fetchall())


def test_every_table_is_written_with_bi_types(project: Project, database: Postgres) -> None:
    report = publish(project, url(database), "personae")
    assert report.rows == {"profiles": 3, "identities": 6, "segment_members": 3, "segments": 2}
    assert report.target == (
        f"postgresql://crm:***@{database.host}:{database.port}/{database.database}"
    )
    types = dict(
        fetch(
            database,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'personae' AND table_name = 'profiles'",
        )
    )
    assert types["person_id"] == "bigint"
    assert types["email"] == "text"
    assert types["birth_date"] == "date"
    assert types["order_count"] == "bigint"
    assert types["revenue"] == "double precision"
    assert types["last_order_at"] == "timestamp with time zone"
    assert types["first_seen_at"] == "timestamp with time zone"
    assert types["big_spender"] == "boolean"
    assert not [c for c in types if "__" in c], "no lineage columns"
    ann = fetch(
        database,
        "SELECT p.first_name, p.order_count, p.revenue, p.last_order_at AT TIME ZONE 'UTC', "
        "p.birth_date::text FROM personae.profiles p JOIN personae.identities i "
        "USING (person_id) WHERE i.source = 'crm' AND i.record_id = 'C1'",
    )
    assert [(r[0], r[1], r[2], r[3].isoformat(), r[4]) for r in ann] == [
        ("Ann", 2, 120.5, "2026-02-01T09:30:00", "1985-04-03")
    ]
    assert fetch(
        database, "SELECT segment, description, members FROM personae.segments ORDER BY 1"
    ) == [("big", None, 1), ("buyers", "Ordered at least once", 2)]
    members = fetch(
        database,
        "SELECT m.segment, p.first_name, m.since IS NOT NULL FROM personae.segment_members m "
        "JOIN personae.profiles p USING (person_id) ORDER BY 1, 2",
    )
    assert members == [("big", "Ann", True), ("buyers", "Ann", True), ("buyers", "Bob", True)]
    assert fetch(database, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%staging%'") == [
        (0,)
    ]


def test_a_re_export_replaces_the_tables_and_the_views_on_them_keep_working(
    project: Project, database: Postgres
) -> None:
    publish(project, url(database), "personae")
    database.execute(
        "CREATE SCHEMA bi",
        "CREATE VIEW bi.revenue_by_segment AS SELECT m.segment, sum(p.revenue) AS revenue "
        "FROM personae.segment_members m JOIN personae.profiles p USING (person_id) "
        "GROUP BY m.segment",
        "CREATE ROLE analyst",
        "GRANT USAGE ON SCHEMA personae TO analyst",
        "GRANT SELECT ON personae.identities TO analyst",
    )
    orders = project.root / "data" / "orders.csv"
    orders.write_text(ORDERS + "O4,C3,2026-03-02T08:00:00Z,200\n", encoding="utf-8")
    run(project)
    report = publish(project, url(database), "personae")
    assert report.kept == {
        "profiles": ["bi.revenue_by_segment"],
        "segment_members": ["bi.revenue_by_segment"],
    }
    assert fetch(database, "SELECT * FROM bi.revenue_by_segment ORDER BY 1") == [
        ("big", 320.5),
        ("buyers", 335.5),
    ]
    # a table no view reads was swapped whole, and kept its grants
    assert fetch(
        database, "SELECT has_table_privilege('analyst', 'personae.identities', 'SELECT')"
    ) == [(True,)]
    assert fetch(database, "SELECT count(*) FROM personae.identities") == [(7,)]


def test_a_trait_a_view_reads_cannot_vanish_and_nothing_changes(
    project: Project, database: Postgres
) -> None:
    publish(project, url(database), "personae")
    database.execute(
        "CREATE VIEW public.spenders AS SELECT person_id, big_spender FROM personae.profiles"
    )
    config = project.root / "personae.yml"
    config.write_text(
        textwrap.dedent(CONFIG)
        .replace('  big_spender: {expression: "coalesce(revenue, 0) >= 100"}\n', "")
        .replace('{trait: big_spender, "=": true}', '{trait: revenue, ">=": 100}'),
        encoding="utf-8",
    )
    with Project.load(project.root) as changed:
        run(changed)
        with pytest.raises(PostgresExportError) as caught:
            publish(changed, url(database), "personae")
    message = str(caught.value)
    assert "personae.profiles.big_spender" in message
    assert "public.spenders" in message
    assert "previous tables of personae are untouched" in message
    assert fetch(database, "SELECT count(*) FROM public.spenders WHERE big_spender") == [(1,)]


def test_a_failure_mid_export_leaves_the_previous_tables_whole(
    project: Project, database: Postgres
) -> None:
    publish(project, url(database), "personae")
    run(project)
    seen: list[Any] = []

    def meanwhile() -> None:
        # every table is staged: another session still reads the previous export whole
        seen.extend(fetch(database, "SELECT count(*) FROM personae.profiles"))
        seen.extend(
            fetch(
                database,
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'personae__personae_staging'",
            )
        )
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish(project, url(database), "personae", on_staged=meanwhile)
    assert seen == [(3,), (0,)]
    assert fetch(database, "SELECT count(*) FROM personae.profiles") == [(3,)]
    assert fetch(database, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%staging%'") == [
        (0,)
    ]

    def broken() -> None:
        from personae.errors import EngineError

        raise EngineError("the warehouse went away")

    with pytest.raises(PostgresExportError, match="previous tables of personae are untouched"):
        publish(project, url(database), "personae", on_staged=broken)
    assert fetch(database, "SELECT count(*) FROM personae.segments") == [(2,)]


def test_a_purpose_keeps_only_consenting_persons(project: Project, database: Postgres) -> None:
    report = publish(project, url(database), "mail", purpose="email_marketing")
    assert report.held_back == 1
    assert report.rows["profiles"] == 2
    assert fetch(database, "SELECT first_name FROM mail.profiles ORDER BY 1") == [
        ("Ann",),
        ("Cid",),
    ]
    assert fetch(database, "SELECT count(*) FROM mail.identities") == [(4,)]


def test_the_cli_writes_records_and_audits_without_the_password(
    project: Project, database: Postgres
) -> None:
    runner = CliRunner()
    args = ["--project", str(project.root), "export", "postgres", "--url", url(database)]
    project.close()
    result = runner.invoke(app, [*args, "--tables", "profiles,segments"])
    assert result.exit_code == 0, result.output
    assert "Wrote profiles (3), segments (2) to postgresql://crm:***@" in " ".join(
        result.output.split()
    )
    (target,) = recorded_exports(project.state_dir)
    assert (target.url, target.schema, target.tables) == (
        url(database),
        "personae",
        ["profiles", "segments"],
    )
    stored = (project.state_dir / TARGETS_FILE).read_text()
    assert PASSWORD not in stored
    entries = [e for e in AuditLog(project.root).entries() if e["action"] == "export.postgres"]
    assert entries[-1]["details"]["rows"] == {"profiles": 3, "segments": 2}
    log = (project.root / ".personae").rglob("audit*")
    assert all(PASSWORD not in path.read_text(errors="replace") for path in log if path.is_file())

    wrong = runner.invoke(app, args, env={URL_VAR: "not-the-password"})
    assert wrong.exit_code == 1
    assert "cannot connect to postgresql://crm:***@" in wrong.output
    assert "not-the-password" not in wrong.output and PASSWORD not in wrong.output

    plain = runner.invoke(
        app, ["--project", str(project.root), "export", "postgres", "--url", database.url()]
    )
    assert plain.exit_code == 1
    assert "password written in plain text" in plain.output
    assert PASSWORD not in plain.output
    unset = runner.invoke(app, args, env={URL_VAR: None})
    assert f"--url: the environment variable {URL_VAR} is not set" in unset.output


def test_urls_schemas_and_tables_are_checked_before_anything_is_written() -> None:
    with pytest.raises(PostgresExportError, match="must start with postgresql://"):
        check_url("mysql://bi:${X}@db/x")
    with pytest.raises(PostgresExportError, match="plain text"):
        check_url("postgresql://bi@db/x?sslmode=require&password=hunter2")
    assert check_url("${BI_DATABASE_URL}") == "${BI_DATABASE_URL}"
    assert check_url("postgresql://bi@db/x") == "postgresql://bi@db/x"
    with pytest.raises(PostgresExportError, match="no table 'profile'; did you mean 'profiles'"):
        check_tables(["profile"])
    assert check_tables(["segments", "profiles"]) == ["profiles", "segments"]
    with pytest.raises(PostgresExportError, match="lower-case letters"):
        check_schema("Personae")
    with pytest.raises(PostgresExportError, match="at most 45 characters"):
        check_schema("p" * 46)


def test_erasure_removes_the_person_from_every_recorded_export(
    project: Project, database: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(project, url(database), "personae")
    publish(project, url(database), "mail", ["profiles"], purpose="email_marketing")
    person = find_person(project, Selector(email="ann@example.org"))
    (ann,) = person.person_ids
    dry = erase(project, person, Selector(email="ann@example.org"), dry_run=True)
    assert set(dry.exports.values()) == {1 + 3 + 2, 1}
    assert fetch(database, f"SELECT count(*) FROM personae.profiles WHERE person_id = {ann}") == [
        (1,)
    ]
    report = erase(project, person, Selector(email="ann@example.org"))
    assert sorted(report.exports.values()) == [1, 6]
    assert report.warnings == []
    for table in ("profiles", "identities", "segment_members"):
        assert fetch(
            database, f"SELECT count(*) FROM personae.{table} WHERE person_id = {ann}"
        ) == [(0,)]
    assert fetch(database, "SELECT count(*) FROM mail.profiles") == [(1,)]
    assert fetch(database, "SELECT segment, members FROM personae.segments ORDER BY 1") == [
        ("big", 0),
        ("buyers", 1),
    ]
    entry = [e for e in AuditLog(project.root).entries() if e["action"] == "privacy.erase"][-1]
    assert sorted(entry["details"]["exports"].values()) == [1, 6]
    assert "ann@example.org" not in json.dumps(entry)


def test_an_unreachable_export_is_named_with_what_to_do(
    project: Project, database: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(project, url(database), "personae")
    monkeypatch.setenv(URL_VAR, "wrong-password")
    person = find_person(project, Selector(email="bob@example.org"))
    report = erase(project, person, Selector(email="bob@example.org"))
    assert report.exports == {}
    (warning,) = report.warnings
    assert "the person's rows could not be deleted" in warning
    assert "personae export postgres --url" in warning
    assert "wrong-password" not in warning and PASSWORD not in warning
    (bob,) = person.person_ids
    assert fetch(database, f"SELECT count(*) FROM personae.profiles WHERE person_id = {bob}") == [
        (1,)
    ]


def test_docs_describe_every_option_and_table() -> None:
    import inspect

    from personae.activate.postgres_export import TABLES
    from personae.cli.postgres_export_command import export_postgres_cmd

    doc = (Path(__file__).resolve().parents[2] / "docs" / "activation.md").read_text()
    section = doc.split("## The single customer view in PostgreSQL")[1].split("\n## ")[0]
    for name in inspect.signature(export_postgres_cmd).parameters:
        assert f"`--{name}`" in section, f"--{name} is not documented"
    for table in TABLES:
        assert f"| `{table}` |" in section, f"table {table} is not documented"
    from personae.config.exports import PostgresExport

    for name, spec in PostgresExport.model_fields.items():
        assert f"    {spec.alias or name}:" in section, f"exports: {name} is not documented"


def test_columns_take_types_postgresql_holds() -> None:
    import pyarrow as pa

    from personae.activate.postgres_export import _column, postgres_ready

    table = pa.table(
        {
            "at": pa.array([0], pa.timestamp("us")),
            "n": pa.array([1], pa.uint32()),
            "big": pa.array([2**63 + 1], pa.uint64()),
            "tags": pa.array([["a"]], pa.list_(pa.large_string())),
        }
    )
    ready = postgres_ready(table.to_reader()).read_all()
    assert ready.schema.types == [
        pa.timestamp("us", tz="UTC"),
        pa.int64(),
        pa.decimal128(20, 0),
        pa.list_(pa.string()),
    ]
    assert ready.column("big")[0].as_py() == 2**63 + 1
    assert _column(pa.field("x y", pa.struct([("a", pa.int64())]))) == (
        'CAST(to_json("x y") AS VARCHAR) AS "x y"'
    )
    assert _column(pa.field("tags", pa.list_(pa.string()))) == '"tags"'


def test_erasure_finds_the_person_under_the_id_the_export_gave_them(
    project: Project, database: Postgres
) -> None:
    publish(project, url(database), "personae")
    person = find_person(project, Selector(email="ann@example.org"))
    (ann,) = person.person_ids
    # since the export, the person's id changed (a merge, a split): the export has the old one
    for table in ("profiles", "identities", "segment_members"):
        database.execute(f"UPDATE personae.{table} SET person_id = 990 WHERE person_id = {ann}")
    report = erase(project, person, Selector(email="ann@example.org"))
    assert list(report.exports.values()) == [1 + 3 + 2]
    assert fetch(database, "SELECT count(*) FROM personae.identities WHERE person_id = 990") == [
        (0,)
    ]


def test_a_reader_during_re_exports_always_sees_a_whole_table(
    project: Project, database: Postgres
) -> None:
    import threading

    publish(project, url(database), "personae")
    database.execute("CREATE VIEW public.buyers AS SELECT * FROM personae.segment_members")
    seen: set[tuple[Any, ...]] = set()
    errors: list[str] = []
    done = threading.Event()

    def read() -> None:
        with psycopg.connect(database.url(), autocommit=True) as con:
            while not done.is_set():
                try:
                    seen.add(
                        con.execute(
                            b"SELECT (SELECT count(*) FROM personae.profiles), "
                            b"(SELECT count(*) FROM personae.identities), "
                            b"(SELECT count(*) FROM public.buyers)"
                        ).fetchone()
                        or ()
                    )
                except psycopg.Error as exc:
                    errors.append(str(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(4):
            publish(project, url(database), "personae")
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert seen == {(3, 6, 3)}


def test_a_whole_run_publishes_the_declared_exports(project: Project, database: Postgres) -> None:
    declared = (
        f"exports:\n  bi:\n    type: postgres\n    url: '{url(database)}'\n    schema: analytics\n"
        "    tables: [profiles, segments]\n"
    )
    config = project.root / "personae.yml"
    config.write_text(textwrap.dedent(CONFIG) + declared, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["--project", str(project.root), "run"])
    assert result.exit_code == 0, result.output
    assert "exports.bi: profiles (3), segments (2) to postgresql://crm:***@" in " ".join(
        result.output.split()
    )
    assert fetch(database, "SELECT count(*) FROM analytics.profiles") == [(3,)]
    (target,) = recorded_exports(project.state_dir)
    assert (target.schema, target.tables) == ("analytics", ["profiles", "segments"])

    failing = runner.invoke(
        app, ["--project", str(project.root), "run"], env={URL_VAR: "not-the-password"}
    )
    assert failing.exit_code == 1
    message = " ".join(failing.output.split())
    assert "the run's stages finished, but 1 export(s) failed: exports.bi: cannot connect" in (
        message
    )
    assert "not-the-password" not in message


def test_personae_yml_refuses_a_password_in_an_export_url(tmp_path: Path) -> None:
    from personae.config.loader import parse_config
    from personae.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config("exports:\n  bi: {url: 'postgresql://bi:Hunter2pw@db/x'}\n")
    message = str(caught.value)
    assert "exports.bi.url" in message and "plain text" in message
    assert "Hunter2pw" not in message
    with pytest.raises(ConfigError, match=r"exports\.bi\.schema: 'Bad-Name' is not a schema name"):
        parse_config("exports:\n  bi: {url: 'postgresql://bi@db/x', schema: Bad-Name}\n")
    with pytest.raises(ConfigError, match=r"exports\.bi\.tables"):
        parse_config("exports:\n  bi: {url: 'postgresql://bi@db/x', tables: [profile]}\n")
    declared = parse_config("exports:\n  bi: {url: 'postgresql://bi@db/x', schema: crm}\n")
    assert declared.exports["bi"].schema_name == "crm"
    from personae.pipeline import validate

    unknown = parse_config("exports:\n  bi: {url: 'postgresql://bi@db/x', purpose: newsletter}\n")
    with pytest.raises(ConfigError, match=r"exports\.bi\.purpose"):
        validate(unknown)
