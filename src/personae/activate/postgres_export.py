"""Publish the single customer view to a PostgreSQL schema, for BI tools and dbt models.

``personae export postgres`` writes ``profiles`` (golden fields, statistics and traits,
predicted ones included), ``identities`` (source record -> person), ``segment_members``
and ``segments`` into one schema, and replaces them atomically:

1. one transaction on the target database takes an advisory lock on the schema (two
   exports to one schema take turns), creates a staging schema
   ``<schema>__personae_staging`` and streams each table into it with ADBC's bulk ingest
   (``COPY`` in binary), batch by batch from the engine (:meth:`Engine.batches`), so
   memory stays bounded however many profiles there are;
2. still in that transaction, each table takes its place: a table nothing depends on is
   dropped and the new one moved in (its grants copied over); a table that views depend
   on (a dbt model, a BI tool's view) keeps its identity, so the views keep working: new
   columns are added, and its rows replaced (``TRUNCATE`` and ``INSERT``). A column such
   a view reads that the export no longer has (a trait removed) stops the export, naming
   the view; nothing is ever dropped with ``CASCADE`` but the staging schema itself;
3. the commit publishes every table at once. Until then readers see the previous tables
   whole (a reader of a table being replaced waits for the commit, never sees it half
   written); a failure anywhere rolls everything back and says the previous tables are
   untouched.

The URL takes the ``${VARIABLE}`` and ``${file:path}`` placeholders of database sources
and a password written in plain text is refused: the URL as given (placeholders
unresolved) is what the project records, so that an erasure reaches the export
(:mod:`personae.activate.postgres_targets`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from personae.activate.audience import resolve_channel
from personae.activate.export import is_lineage, profile_view
from personae.catalog import CONSENT_FLAGS, IDENTITY_MAP, SEGMENT_MEMBERSHIP
from personae.config.exports import EXPORT_TABLES, STAGING_SUFFIX, schema_problem, url_problem
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import PersonaeError, did_you_mean
from personae.ingest.drivers import redact, resolve_url, scrub
from personae.profile.consent import consent_column
from personae.query.tables import require_tables
from personae.sql import ident, literal

#: the tables an export writes, in the order it writes them
TABLES = EXPORT_TABLES
#: how long the swap waits for a query holding a table before it gives up
LOCK_TIMEOUT = "60s"
BATCH_ROWS = 100_000
#: the indexes each table gets (PostgreSQL builds them before the swap)
_INDEXES: dict[str, list[str]] = {
    "profiles": ["PRIMARY KEY (person_id)"],
    "identities": ["(source, record_id)", "(person_id)"],
    "segment_members": ["(segment, person_id)", "(person_id)"],
    "segments": ["PRIMARY KEY (segment)"],
}


class PostgresExportError(PersonaeError):
    """An export to PostgreSQL was refused or failed; the message never holds a password."""


@dataclass
class PostgresExportReport:
    #: the URL without its password
    target: str
    schema: str
    #: rows written per table
    rows: dict[str, int] = field(default_factory=dict)
    purpose: str | None = None
    channel: str | None = None
    #: persons left out for lack of consent (with a purpose)
    held_back: int = 0
    #: tables refilled in place because views depend on them: table -> the views
    kept: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    #: seconds spent writing the staged tables, indexing them, and swapping them in
    phases: dict[str, float] = field(default_factory=dict)


def check_url(url: str, setting: str = "--url") -> str:
    """A ``postgresql://`` URL (or a whole placeholder) without a password in plain text."""
    problem = url_problem(url)
    if problem:
        raise PostgresExportError(f"{setting}: {problem}")
    return url


def check_schema(schema: str, setting: str = "--schema") -> str:
    problem = schema_problem(schema)
    if problem:
        raise PostgresExportError(f"{setting}: {problem}")
    return schema


def check_tables(names: list[str] | None, setting: str = "--tables") -> list[str]:
    """The tables asked for (every one by default), in :data:`TABLES` order."""
    if not names:
        return list(TABLES)
    for name in names:
        if name not in TABLES:
            hint = did_you_mean(name, TABLES) or f"; the tables are: {', '.join(TABLES)}"
            raise PostgresExportError(f"{setting}: no table {name!r}{hint}")
    return [t for t in TABLES if t in names]


@dataclass
class Session:
    """An open connection (ADBC's DB-API, autocommit off) and how to word its errors."""

    connection: Any
    #: the URL with its placeholders resolved (never shown)
    resolved: str

    def why(self, exc: BaseException) -> str:
        """The first line of a driver's message, without the password."""
        text = str(exc).strip().split("\n")[0] or type(exc).__name__
        return scrub(text, self.resolved)


@contextmanager
def connect(url: str, root: Path, setting: str = "--url") -> Iterator[Session]:
    """A session on the database at ``url``, whose placeholders are resolved now; errors
    never show the password."""
    import adbc_driver_postgresql.dbapi as postgresql
    from adbc_driver_manager import Error

    resolved = resolve_url("export", url, root, setting=setting)
    try:
        connection = postgresql.connect(resolved)
    except (Error, OSError) as exc:
        raise PostgresExportError(
            f"cannot connect to {redact(url)}: {Session(None, resolved).why(exc)}; check the "
            "host, the user and the password (its placeholder's value), and that the "
            "database accepts connections from here"
        ) from None
    try:
        yield Session(connection, resolved)
    finally:
        with suppress(Error, OSError):
            connection.close()


# --------------------------------------------------------------------------- the tables


def _persons(engine: Engine, config: ProjectConfig, report: PostgresExportReport) -> str:
    """A condition on ``person_id`` keeping the persons the export may hold."""
    if report.purpose is None:
        return "TRUE"
    report.channel = resolve_channel(config, report.purpose, report.channel)
    column = consent_column(config, report.purpose, report.channel)
    require_tables(engine, [CONSENT_FLAGS])
    if column not in engine.columns(CONSENT_FLAGS):
        raise PostgresExportError(
            f"{CONSENT_FLAGS} has no column {column}: consent: changed since the last run; "
            "run `personae profiles` (or `personae run`) first"
        )
    return f"person_id IN (SELECT person_id FROM {CONSENT_FLAGS} WHERE {ident(column)})"


def table_queries(
    engine: Engine, config: ProjectConfig, tables: list[str], report: PostgresExportReport
) -> dict[str, str | pa.Table]:
    """What each table holds: a query of the warehouse, or (``segments``) a small Arrow
    table made here. Every query is checked before anything is written. The rows come
    unordered (a table has no order; the indexes serve the joins): a sort would hold
    the whole result in the engine."""
    persons = _persons(engine, config, report)
    found: dict[str, str | pa.Table] = {}
    if "profiles" in tables:
        view = profile_view(engine)
        schema = engine.query(f"SELECT * FROM ({view}) LIMIT 0").schema
        columns = ", ".join(_column(f) for f in schema if not is_lineage(f.name))
        found["profiles"] = f"SELECT {columns} FROM ({view}) p WHERE {persons}"
        if report.purpose is not None:
            every = int(engine.scalar(f"SELECT count(*) FROM ({view}) p"))
            kept = int(engine.scalar(f"SELECT count(*) FROM ({view}) p WHERE {persons}"))
            report.held_back = every - kept
    if "identities" in tables:
        require_tables(engine, [IDENTITY_MAP])
        found["identities"] = (
            f"SELECT source, record_id, person_id FROM {IDENTITY_MAP} WHERE {persons}"
        )
    if "segment_members" in tables or "segments" in tables:
        require_tables(engine, [SEGMENT_MEMBERSHIP])
        members = f"SELECT segment, person_id, since FROM {SEGMENT_MEMBERSHIP} WHERE {persons}"
        if "segment_members" in tables:
            found["segment_members"] = members
        if "segments" in tables:
            sizes = dict(engine.rows(f"SELECT segment, count(*) FROM ({members}) GROUP BY 1"))
            names = list(config.segments)
            found["segments"] = pa.table(
                {
                    "segment": pa.array(names, pa.string()),
                    "description": pa.array(
                        [config.segments[n].description for n in names], pa.string()
                    ),
                    "members": pa.array([int(sizes.get(n, 0)) for n in names], pa.int64()),
                }
            )
    return found


def _nested(arrow: pa.DataType) -> bool:
    """A struct, a map, or a list of them: values PostgreSQL gets as JSON text."""
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        return _nested(arrow.value_type)
    return bool(pa.types.is_struct(arrow) or pa.types.is_map(arrow))


def _column(column: pa.Field) -> str:
    name = ident(column.name)
    return f"CAST(to_json({name}) AS VARCHAR) AS {name}" if _nested(column.type) else name


def _postgres_type(arrow: pa.DataType) -> pa.DataType:
    """The Arrow type whose PostgreSQL column suits BI: naive timestamps (UTC in the
    warehouse) as ``timestamptz``, unsigned integers signed, text as plain strings."""
    if isinstance(arrow, pa.ExtensionType):  # JSON, UUID…: their storage
        return _postgres_type(arrow.storage_type)
    if pa.types.is_timestamp(arrow) and arrow.tz is None:
        return pa.timestamp("us", tz="UTC")
    if pa.types.is_unsigned_integer(arrow):
        return pa.decimal128(20, 0) if arrow.bit_width == 64 else pa.int64()
    if pa.types.is_large_string(arrow) or pa.types.is_string_view(arrow):
        return pa.string()
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        return pa.list_(_postgres_type(arrow.value_type))
    return arrow


def postgres_ready(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """``reader`` with each column in the type :func:`_postgres_type` gives it."""
    schema = pa.schema(
        [pa.field(f.name, _postgres_type(f.type), f.nullable) for f in reader.schema]
    )
    if schema.equals(reader.schema):
        return reader
    return pa.RecordBatchReader.from_batches(schema, (b.cast(schema) for b in reader))


# --------------------------------------------------------------------------- the swap


def _one(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor.execute(sql)
    return list(cursor.fetchall())


def _regclass(schema: str, table: str) -> str:
    return literal(f"{ident(schema)}.{ident(table)}")


def _existing(cursor: Any, schema: str, table: str) -> str | None:
    """The kind of the relation ``schema.table`` (``r`` a table, ``v`` a view…), or None."""
    found = _one(
        cursor,
        "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = {literal(schema)} AND c.relname = {literal(table)}",
    )
    return str(found[0][0]) if found else None


def dependent_views(cursor: Any, schema: str, table: str) -> list[str]:
    """The views and materialised views reading ``schema.table``, as ``schema.name``."""
    rows = _one(
        cursor,
        "SELECT DISTINCT dn.nspname || '.' || dc.relname FROM pg_depend d "
        "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class dc ON dc.oid = r.ev_class "
        "JOIN pg_namespace dn ON dn.oid = dc.relnamespace "
        f"WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = "
        f"{_regclass(schema, table)}::regclass AND dc.oid <> d.refobjid ORDER BY 1",
    )
    return [str(r[0]) for r in rows]


def _columns(cursor: Any, schema: str, table: str) -> dict[str, str]:
    rows = _one(
        cursor,
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        f"WHERE attrelid = {_regclass(schema, table)}::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
    )
    return {str(name): str(kind) for name, kind in rows}


def _copy_grants(cursor: Any, schema: str, table: str, staging: str) -> None:
    """Grant the new table what the old one was granted (to others than its owner)."""
    grants = _one(
        cursor,
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident("
        "pg_get_userbyid(a.grantee)) END, a.privilege_type, a.is_grantable "
        f"FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = {_regclass(schema, table)}"
        "::regclass AND a.grantee <> c.relowner",
    )
    for grantee, privilege, grantable in grants:
        option = " WITH GRANT OPTION" if grantable else ""
        cursor.execute(f"GRANT {privilege} ON {ident(staging)}.{ident(table)} TO {grantee}{option}")


def _refill(cursor: Any, schema: str, table: str, staging: str, views: list[str]) -> None:
    """Replace the rows of ``schema.table`` with the staged ones, keeping the table (and
    so the views reading it): new columns added, changed ones altered, gone ones dropped;
    a column a view reads that cannot change stops the export, naming the views."""
    old = _columns(cursor, schema, table)
    new = _columns(cursor, staging, table)
    target = f"{ident(schema)}.{ident(table)}"
    for name, kind in new.items():
        step = None
        if name not in old:
            step = f"ALTER TABLE {target} ADD COLUMN {ident(name)} {kind}"
        elif old[name] != kind:
            step = (
                f"ALTER TABLE {target} ALTER COLUMN {ident(name)} TYPE {kind} "
                f"USING {ident(name)}::{kind}"
            )
        if step:
            _alter(cursor, step, schema, table, name, views)
    for name in old:
        if name not in new:
            _alter(
                cursor,
                f"ALTER TABLE {target} DROP COLUMN {ident(name)}",
                schema,
                table,
                name,
                views,
            )
    columns = ", ".join(ident(c) for c in new)
    cursor.execute(f"TRUNCATE {target}")
    cursor.execute(
        f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {ident(staging)}.{ident(table)}"
    )


def _alter(cursor: Any, sql: str, schema: str, table: str, column: str, views: list[str]) -> None:
    from adbc_driver_manager import Error

    try:
        cursor.execute(sql)
    except Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PostgresExportError(
            f"{schema}.{table}.{column} changed (a trait added, removed or retyped) and "
            f"views read the table ({', '.join(views)}): PostgreSQL refused to change the "
            f"column ({first}); change or drop the views reading {column}, export again, "
            "then recreate them"
        ) from None


def _swap(cursor: Any, schema: str, table: str, staging: str) -> list[str]:
    """Put the staged table in the place of ``schema.table``; the views kept, if any."""
    kind = _existing(cursor, schema, table)
    staged = f"{ident(staging)}.{ident(table)}"
    if kind is None:
        cursor.execute(f"ALTER TABLE {staged} SET SCHEMA {ident(schema)}")
        return []
    if kind not in ("r", "p"):
        raise PostgresExportError(
            f"{schema}.{table} exists and is not a table (a view?); personae writes its "
            f"tables there: rename yours or choose another --schema"
        )
    views = dependent_views(cursor, schema, table)
    if views:
        _refill(cursor, schema, table, staging, views)
        return views
    _copy_grants(cursor, schema, table, staging)
    cursor.execute(f"DROP TABLE {ident(schema)}.{ident(table)}")
    cursor.execute(f"ALTER TABLE {staged} SET SCHEMA {ident(schema)}")
    return []


def _ingest(cursor: Any, engine: Engine, staging: str, table: str, what: str | pa.Table) -> int:
    if isinstance(what, pa.Table):
        reader = pa.RecordBatchReader.from_batches(what.schema, what.to_batches())
    else:
        reader = engine.batches(what, BATCH_ROWS)
    rows = cursor.adbc_ingest(table, postgres_ready(reader), mode="create", db_schema_name=staging)
    return int(rows)


def _index(cursor: Any, staging: str, table: str) -> None:
    for index in _INDEXES[table]:
        if index.startswith("PRIMARY KEY"):
            cursor.execute(f"ALTER TABLE {ident(staging)}.{ident(table)} ADD {index}")
        else:
            cursor.execute(f"CREATE INDEX ON {ident(staging)}.{ident(table)} {index}")


def export_postgres(
    engine: Engine,
    config: ProjectConfig,
    root: Path,
    url: str,
    schema: str,
    tables: list[str] | None = None,
    *,
    purpose: str | None = None,
    channel: str | None = None,
    on_staged: Callable[[], None] | None = None,
    setting: str = "--url",
) -> PostgresExportReport:
    """Write ``tables`` (all by default) to ``schema`` of the database at ``url`` and
    replace the previous ones in one transaction (see the module's docstring).
    ``on_staged`` runs once every table is staged, before the swap (tests use it);
    messages name the URL's ``setting``."""
    from adbc_driver_manager import Error

    started = time.perf_counter()
    check_url(url, setting)
    check_schema(schema)
    chosen = check_tables(tables)
    report = PostgresExportReport(redact(url), schema, purpose=purpose, channel=channel)
    queries = table_queries(engine, config, chosen, report)
    staging = schema + STAGING_SUFFIX
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with connect(url, root, setting) as session:
        connection = session.connection
        cursor = connection.cursor()
        try:
            cursor.execute(f"SET LOCAL lock_timeout = {literal(LOCK_TIMEOUT)}")
            lock = literal(f"personae export {schema}")
            cursor.execute(f"SELECT pg_advisory_xact_lock(hashtext({lock}))")
            cursor.fetchall()
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
            if _existing_schema(cursor, staging):
                raise PostgresExportError(
                    f"schema {staging} exists; personae stages its export there and drops "
                    "it when done: drop it (or rename it) and export again"
                )
            cursor.execute(f"CREATE SCHEMA {ident(staging)}")
            clock = time.perf_counter()
            for table, what in queries.items():
                report.rows[table] = _ingest(cursor, engine, staging, table, what)
            report.phases["write"] = time.perf_counter() - clock
            clock = time.perf_counter()
            for table in queries:
                _index(cursor, staging, table)
            report.phases["indexes"] = time.perf_counter() - clock
            if on_staged is not None:
                on_staged()
            clock = time.perf_counter()
            for table in queries:
                views = _swap(cursor, schema, table, staging)
                if views:
                    report.kept[table] = views
                comment = f"written by personae export postgres at {at}"
                cursor.execute(
                    f"COMMENT ON TABLE {ident(schema)}.{ident(table)} IS {literal(comment)}"
                )
            # only staged copies of refilled tables are left in it
            cursor.execute(f"DROP SCHEMA {ident(staging)} CASCADE")
            connection.commit()
            report.phases["swap"] = time.perf_counter() - clock
        except BaseException as exc:
            with suppress(Error, OSError):
                connection.rollback()
            if isinstance(exc, Error):
                raise PostgresExportError(
                    f"the export to {report.target} (schema {schema}) failed: "
                    f"{session.why(exc)}; it was "
                    f"rolled back: the previous tables of {schema} are untouched"
                ) from None
            if isinstance(exc, PersonaeError):
                raise PostgresExportError(
                    f"{exc}; the export was rolled back: the previous tables of {schema} are "
                    "untouched"
                ) from None
            raise
        finally:
            with suppress(Error, OSError):
                cursor.close()
    report.seconds = time.perf_counter() - started
    return report


def _existing_schema(cursor: Any, name: str) -> bool:
    return bool(_one(cursor, f"SELECT 1 FROM pg_namespace WHERE nspname = {literal(name)}"))
