"""Reading a database table or query as a stream of Arrow record batches.

One small interface, :func:`open_stream`, over two families of drivers, each returning
Arrow natively in batches of bounded size, so no table is ever held whole in memory:

* the ADBC drivers (Apache Arrow's database connectivity): ``adbc-driver-postgresql``
  (libpq; results stream over ``COPY`` in binary) and ``adbc-driver-sqlite``, through the
  same DB-API; another ADBC database is one more entry in :data:`DRIVERS`;
* MySQL and MariaDB (no ADBC driver on PyPI): ``PyMySQL`` with an unbuffered cursor
  (``SSCursor``): the server sends rows as they are read, each as one JSON object of its
  columns' text, parsed ``batch_rows`` at a time by Arrow's JSON reader (connectorx,
  measured faster, reads ahead of a slow consumer without bound: docs/sources.md);
* any other database SQLAlchemy has a dialect for (the ``sqlalchemy`` extra, plus the
  database's own driver): a server-side cursor (``stream_results``) fetched in
  partitions of ``batch_rows`` rows, each turned into an Arrow batch of text.

Each database's quoting of identifiers and text is a :class:`Dialect`
(:func:`dialect_of`): PostgreSQL and SQLite quote names with ``"``, MySQL with backticks
(and a backslash in a string is an escape there).

The URL of ``personae.yml`` may hold ``${VARIABLE}`` (an environment variable) and
``${file:path}`` (a secrets file's content) placeholders; they are resolved here, when the
source is read, and no message ever shows the resolved URL's password.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pyarrow as pa

from personae.errors import SourceError
from personae.sql import ident

#: ``${NAME}`` or ``${file:path}``
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
#: the bytes a PostgreSQL batch holds at most before it is handed over
_POSTGRES_BATCH_BYTES = 16 * 1024 * 1024


class DriverError(Exception):
    """A database refused a connection or a statement, or the connection was lost;
    the message never holds a password."""


def resolve_url(source: str, url: str, root: Path) -> str:
    """The URL with its placeholders resolved; a SQLite path made absolute from ``root``.
    A placeholder that is the whole URL is used as is, one inside it is percent-encoded
    (a password may hold ``@`` or ``/``)."""
    whole = _PLACEHOLDER.fullmatch(url.strip()) is not None

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        problem = _unresolvable(source, name, root)
        if problem:
            raise SourceError(problem)
        if name.startswith("file:"):
            found = _secrets_file(name, root).read_text(encoding="utf-8").strip()
        else:
            found = os.environ[name]
        return found if whole else quote(found, safe="")

    resolved = _PLACEHOLDER.sub(value, url)
    scheme, _, rest = resolved.partition("://")
    if scheme.lower().partition("+")[0] == "sqlite":  # sqlite+pysqlite: SQLAlchemy's
        path = Path(rest[1:] if rest.startswith("/") else rest)
        path = path if path.is_absolute() else root / path
        return f"{scheme}:///{path}"
    return resolved


def unresolved(source: str, url: str, root: Path) -> list[str]:
    """What keeps each placeholder of ``url`` from resolving (an environment variable not
    set, a secrets file missing), each with its fix; nothing is read but the environment
    and whether the files exist."""
    found = (_unresolvable(source, m.group(1).strip(), root) for m in _PLACEHOLDER.finditer(url))
    return [problem for problem in found if problem]


def _secrets_file(name: str, root: Path) -> Path:
    path = Path(os.path.expanduser(name[5:].strip()))
    return path if path.is_absolute() else root / path


def _unresolvable(source: str, name: str, root: Path) -> str | None:
    where = f"sources.{source}.database.url"
    if name.startswith("file:"):
        path = _secrets_file(name, root)
        if path.is_file():
            return None
        return (
            f"{where}: the secrets file {path} named by ${{{name}}} does not exist; create it "
            "(readable by personae only) or fix the path"
        )
    if name in os.environ:
        return None
    return (
        f"{where}: the environment variable {name} is not set; export {name}=... before "
        "running personae (or write ${file:/path/to/secret} to read it from a secrets file)"
    )


def redact(url: str) -> str:
    """The URL without its password: ``postgresql://crm:***@host/db``."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        userinfo, _, host = authority.rpartition("@")
        user = userinfo.split(":", 1)[0]
        authority = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    return f"{scheme}{sep}{authority}{slash}{tail.split('?', 1)[0]}"


def _scrub(message: str, url: str) -> str:
    """A driver's message with any password of ``url`` (raw or percent-encoded) removed."""
    authority = url.partition("://")[2].partition("/")[0]
    userinfo = authority.rpartition("@")[0]
    secret = userinfo.split(":", 1)[1] if ":" in userinfo else ""
    cleaned = message.replace(url, redact(url))
    if secret:
        for form in {secret, unquote(secret)}:
            cleaned = cleaned.replace(form, "***")
    return " ".join(cleaned.split())


@dataclass(frozen=True)
class Dialect:
    """How a database quotes a name and a text value."""

    #: the character opening a quoted identifier …
    quote: str = '"'
    #: … and closing it (SQL Server: ``[name]``), when not the same
    close: str = ""
    #: whether a backslash in a quoted string escapes the next character (MySQL's default)
    backslash_escapes: bool = False

    def ident(self, name: str) -> str:
        """``name`` quoted: ``"updated_at"``, or `` `updated_at` `` on MySQL."""
        close = self.close or self.quote
        return self.quote + name.replace(close, close * 2) + close

    def literal(self, value: str) -> str:
        """``value`` as a quoted string literal."""
        if self.backslash_escapes:
            value = value.replace("\\", "\\\\")
        return "'" + value.replace("'", "''") + "'"


STANDARD = Dialect()
MYSQL = Dialect(quote="`", backslash_escapes=True)


#: the URL schemes read natively, each folded to the database it names (a SQLAlchemy
#: ``+driver`` suffix is ignored for these)
_NATIVE = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql",
           "mariadb": "mysql"}  # fmt: skip


def scheme_of(url: str) -> str:
    """The database a URL names, its aliases folded: ``postgres`` -> ``postgresql``,
    ``mariadb`` and ``mysql+pymysql`` (SQLAlchemy's spelling) -> ``mysql``; any other
    scheme as written (``sqlite``, or ``oracle+oracledb`` for SQLAlchemy)."""
    scheme = url.partition("://")[0].lower()
    return _NATIVE.get(scheme.partition("+")[0], scheme)


def dialect_of(url: str) -> Dialect:
    """The quoting of the database at ``url``."""
    scheme = scheme_of(url)
    if scheme == "mysql":
        return MYSQL
    if scheme in STREAMS:
        return STANDARD
    try:
        found = _sqlalchemy().engine.make_url(url).get_dialect()()
    except Exception:  # not installed, or no such dialect: open_stream says so
        return STANDARD
    escapes = bool(getattr(found, "_backslash_escapes", False))
    preparer = found.identifier_preparer
    return Dialect(preparer.initial_quote, preparer.final_quote, backslash_escapes=escapes)


def _postgres(url: str) -> Any:
    import adbc_driver_postgresql.dbapi as postgresql

    # libpq reads postgresql:// (SQLAlchemy's postgresql+psycopg:// names a Python driver)
    return postgresql.connect("postgresql://" + url.partition("://")[2])


def _sqlite(url: str) -> Any:
    import adbc_driver_sqlite.dbapi as sqlite

    path = Path(url.partition("://")[2][1:])
    if not path.is_file():
        raise DriverError(f"no SQLite database file at {path}")
    # read-only: personae never writes to a source
    return sqlite.connect(f"file:{path}?mode=ro")


def _statement_options(scheme: str, batch_rows: int) -> dict[str, str]:
    if scheme == "sqlite":
        return {"adbc.sqlite.query.batch_rows": str(batch_rows)}
    return {"adbc.postgresql.batch_size_hint_bytes": str(_POSTGRES_BATCH_BYTES)}


#: the databases whose columns may hold values of different types (read as text)
_DYNAMICALLY_TYPED = ("sqlite",)
#: database (:func:`scheme_of`) -> a function opening a DB-API connection of an ADBC driver
DRIVERS: dict[str, Callable[[str], Any]] = {
    "postgresql": _postgres,
    "sqlite": _sqlite,
}


def _driver_errors() -> tuple[type[BaseException], ...]:
    from adbc_driver_manager import Error

    return (Error, OSError)


def _as_text(cursor: Any, sql: str, typed: Sequence[str]) -> str:
    """SQLite types values, not columns: a column may hold an integer on one row and text
    on the next, which a typed Arrow batch cannot. Every column but ``typed`` ones (the
    cursor, compared in its own type) is read as text, as raw keeps it anyway."""
    cursor.execute(f"SELECT * FROM ({sql}) AS personae_columns LIMIT 0")
    names = [column[0] for column in cursor.description or ()]
    cursor.fetchall()
    columns = ", ".join(
        ident(name) if name in typed else f"CAST({ident(name)} AS TEXT) AS {ident(name)}"
        for name in names
    )
    return f"SELECT {columns} FROM ({sql}) AS personae_text"


@contextmanager
def _adbc_stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str]
) -> Iterator[pa.RecordBatchReader]:
    scheme = scheme_of(url)
    errors = _driver_errors()
    try:
        connection = DRIVERS[scheme](url)
    except errors as exc:
        raise DriverError(_scrub(str(exc), url)) from None
    cursor = connection.cursor()
    try:
        try:
            cursor.adbc_statement.set_options(**_statement_options(scheme, batch_rows))
            if scheme in _DYNAMICALLY_TYPED:
                sql = _as_text(cursor, sql, typed)
            cursor.execute(sql)
            reader = cursor.fetch_record_batch()
        except errors as exc:
            raise DriverError(_scrub(str(exc), url)) from None
        yield _Guarded(reader, url, batch_rows, _is_error(errors)).reader()
    finally:
        with suppress(*errors):  # a lost connection has nothing left to close
            cursor.close()
        with suppress(*errors):
            connection.close()


# --- MySQL and MariaDB

#: MySQL column types (``pymysql.constants.FIELD_TYPE``) a typed cursor is read as
_MYSQL_INTEGERS = {1, 2, 3, 8, 9, 13}  # TINY, SHORT, LONG, LONGLONG, INT24, YEAR
_MYSQL_FLOATS = {4, 5}  # FLOAT, DOUBLE
_MYSQL_DECIMALS = {0, 246}  # DECIMAL, NEWDECIMAL
_MYSQL_TIMES = {7, 12}  # TIMESTAMP, DATETIME
_MYSQL_DATES = {10, 14}  # DATE, NEWDATE
#: the types whose values may be bytes (BLOB, BINARY, BIT, GEOMETRY): read as hex
_MYSQL_BYTES = {16, 249, 250, 251, 252, 253, 254, 255}


def _pymysql() -> Any:
    try:
        import pymysql
    except ImportError:
        raise DriverError(
            "reading MySQL or MariaDB needs PyMySQL (a dependency of personae): pip install pymysql"
        ) from None
    return pymysql


def _mysql_message(exc: BaseException) -> str:
    """``(1045, "Access denied …")`` -> ``ERROR 1045: Access denied …``"""
    args = exc.args
    if len(args) == 2 and isinstance(args[0], int):
        return f"ERROR {args[0]}: {args[1]}"
    return str(exc) or type(exc).__name__


def _mysql_type(type_code: int, scale: int | None) -> pa.DataType:
    """The Arrow type a typed (cursor) column is read as, from its MySQL type."""
    if type_code == 8:  # BIGINT: an unsigned one passes int64
        return pa.decimal128(20, 0)
    if type_code in _MYSQL_INTEGERS:
        return pa.int64()
    if type_code in _MYSQL_FLOATS:
        return pa.float64()
    if type_code in _MYSQL_DECIMALS:
        return pa.decimal128(38, min(max(scale or 0, 0), 30))
    if type_code in _MYSQL_TIMES:
        return pa.timestamp("us")
    if type_code in _MYSQL_DATES:
        return pa.date32()
    return pa.string()


def _mysql_columns(cursor: Any, sql: str) -> list[tuple[str, int, int | None, bool]]:
    """Each column of ``sql``: its name, MySQL type, scale, and whether it holds bytes
    (the binary character set, 63)."""
    cursor.execute(f"SELECT * FROM ({sql}) AS personae_columns LIMIT 0")
    fields = getattr(getattr(cursor, "_result", None), "fields", None) or []
    cursor.fetchall()
    described = cursor.description or ()
    binary = [getattr(field, "charsetnr", 0) == 63 for field in fields] or [False] * len(described)
    return [
        (column[0], column[1], column[5], binary[i] and column[1] in _MYSQL_BYTES)
        for i, column in enumerate(described)
    ]


class _MySQLBatches:
    """Rows of a MySQL result as Arrow batches of ``batch_rows`` rows. The server writes
    each row as one JSON object of the columns' text (``CAST(… AS CHAR)``, bytes as hex):
    PyMySQL, pure Python, then reads one value per row instead of one per column, and
    Arrow's JSON reader parses a batch at once. The ``typed`` columns (the cursor) are
    cast back to their own type, so their order is theirs."""

    def __init__(self, cursor: Any, sql: str, typed: Sequence[str], batch_rows: int) -> None:
        columns = _mysql_columns(cursor, sql)
        self.cursor, self.batch_rows = cursor, batch_rows
        self.names = [name for name, *_ in columns]
        self.types = [
            _mysql_type(code, scale) if name in typed else pa.string()
            for name, code, scale, _ in columns
        ]
        self.schema = pa.schema(list(zip(self.names, self.types, strict=True)))
        self.text = pa.schema([(name, pa.string()) for name in self.names])
        # JSON keys k0, k1…: a column's own name may repeat, or be any text
        pairs = ", ".join(
            f"'k{i}', " + (f"HEX({MYSQL.ident(name)})" if binary else
                          f"CAST({MYSQL.ident(name)} AS CHAR)")
            for i, (name, _, _, binary) in enumerate(columns)
        )  # fmt: skip
        self.keys = pa.schema([(f"k{i}", pa.string()) for i in range(len(columns))])
        self.sql = f"SELECT JSON_OBJECT({pairs}) FROM ({sql}) AS personae_rows"

    def _batch(self, rows: Sequence[Any]) -> pa.RecordBatch:
        from pyarrow import json as arrow_json

        data = "\n".join(row[0] for row in rows).encode()
        table = arrow_json.read_json(
            pa.BufferReader(data),
            read_options=arrow_json.ReadOptions(use_threads=False, block_size=len(data) + 1),
            parse_options=arrow_json.ParseOptions(explicit_schema=self.keys),
        )
        arrays = []
        for i, column in enumerate(table.select(self.keys.names).columns):
            text = column.combine_chunks()
            if self.types[i] != pa.string():
                try:
                    text = text.cast(self.types[i])
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    raise DriverError(
                        f"the cursor column {self.names[i]} holds a value that is not of "
                        f"type {self.types[i]} (such as a zero date): clean it at the source, "
                        "or choose another cursor"
                    ) from None
            arrays.append(text)
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        self.cursor.execute(self.sql)
        while rows := self.cursor.fetchmany(self.batch_rows):
            yield self._batch(rows)


@contextmanager
def _mysql_stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str]
) -> Iterator[pa.RecordBatchReader]:
    pymysql = _pymysql()
    errors = (pymysql.err.MySQLError, OSError)
    parts = urlsplit(url)
    try:
        connection = pymysql.connect(
            host=parts.hostname or "localhost",
            port=parts.port or 3306,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            database=unquote(parts.path.lstrip("/")) or None,
            charset="utf8mb4",
            connect_timeout=10,
            # the server's text as is: no decoder turns it into Python types (the
            # encoders, keyed by Python type, stay)
            conv={k: v for k, v in pymysql.converters.conversions.items() if type(k) is not int},
            cursorclass=pymysql.cursors.SSCursor,  # unbuffered: rows come as they are read
        )
    except errors as exc:
        raise DriverError(_scrub(_mysql_message(exc), url)) from None
    try:
        try:
            cursor = connection.cursor()
            batches = _MySQLBatches(cursor, sql, typed, batch_rows)
            first = iter(batches)
            head = next(first, None)  # the statement runs: its errors come now
        except errors as exc:
            raise DriverError(_scrub(_mysql_message(exc), url)) from None

        def every() -> Iterator[pa.RecordBatch]:
            if head is not None:
                yield head
                yield from first

        reader = pa.RecordBatchReader.from_batches(batches.schema, every())
        is_error = _is_error(errors)
        yield _Guarded(reader, url, batch_rows, is_error, _mysql_message).reader()
    finally:
        _abandon(connection)


def _abandon(connection: Any) -> None:
    """Close the socket without reading the rows left unread: an unbuffered cursor's close
    (also run when it is collected) would read every one of them first."""
    result = getattr(connection, "_result", None)
    if result is not None:
        result.unbuffered_active = False
    with suppress(Exception):
        connection._force_close()


# --- any other database, through SQLAlchemy


def _sqlalchemy() -> Any:
    try:
        import sqlalchemy
    except ImportError:
        raise DriverError(
            "reading this database needs SQLAlchemy and the database's driver: pip install "
            "'personae[sqlalchemy]' and the driver its SQLAlchemy dialect names"
        ) from None
    return sqlalchemy


def _as_text_value(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _partitions_as_batches(
    result: Any, names: list[str], typed: Sequence[str], batch_rows: int
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """Rows fetched ``batch_rows`` at a time, as batches of text but for the ``typed``
    columns (the cursor, compared in its own type), whose type the first batch sets."""
    partitions = iter(result.partitions(batch_rows))

    def batch(rows: Sequence[Any], schema: pa.Schema | None) -> pa.RecordBatch:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        arrays = []
        for i, (name, values) in enumerate(zip(names, columns, strict=True)):
            kind = None if schema is None else schema.field(i).type
            if name in typed:
                array = pa.array(values, type=kind)
                arrays.append(array.cast(pa.string()) if pa.types.is_null(array.type) else array)
            else:
                arrays.append(pa.array([_as_text_value(v) for v in values], pa.string()))
        return pa.RecordBatch.from_arrays(arrays, names=names)

    first = batch(next(partitions, []), None)

    def rest() -> Iterator[pa.RecordBatch]:
        if first.num_rows:
            yield first
        for rows in partitions:
            yield batch(rows, first.schema)

    return first.schema, rest()


@contextmanager
def _sqlalchemy_stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str]
) -> Iterator[pa.RecordBatchReader]:
    sa = _sqlalchemy()
    errors = (sa.exc.SQLAlchemyError, ImportError)
    try:
        engine = sa.create_engine(url)
        connection = engine.connect()
    except errors as exc:
        raise DriverError(_scrub(str(exc).split("\n(Background")[0], url)) from None
    try:
        try:
            options = connection.execution_options(stream_results=True, yield_per=batch_rows)
            result = options.execute(sa.text(sql))
            schema, batches = _partitions_as_batches(result, list(result.keys()), typed, batch_rows)
        except errors as exc:
            raise DriverError(_scrub(str(exc).split("\n(Background")[0], url)) from None
        reader = pa.RecordBatchReader.from_batches(schema, batches)
        yield _Guarded(reader, url, batch_rows, _is_error(errors)).reader()
    finally:
        with suppress(Exception):  # a lost connection has nothing left to close
            connection.close()
        engine.dispose()


#: database (:func:`scheme_of`) -> how its rows are streamed
STREAMS: dict[
    str, Callable[[str, str, int, Sequence[str]], AbstractContextManager[pa.RecordBatchReader]]
] = {
    "postgresql": _adbc_stream,
    "sqlite": _adbc_stream,
    "mysql": _mysql_stream,
}


def _is_error(errors: tuple[type[BaseException], ...]) -> Callable[[BaseException], bool]:
    return lambda exc: isinstance(exc, errors)


class _Guarded:
    """A reader whose batches are at most ``batch_rows`` rows and whose driver errors
    (a connection lost mid-stream) become :class:`DriverError` without the password."""

    def __init__(
        self,
        reader: pa.RecordBatchReader,
        url: str,
        batch_rows: int,
        is_error: Callable[[BaseException], bool],
        message: Callable[[BaseException], str] = str,
    ) -> None:
        self.inner, self.url, self.batch_rows = reader, url, batch_rows
        self.is_error, self.message = is_error, message

    def batches(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self.inner:
                for start in range(0, batch.num_rows, self.batch_rows):
                    yield batch.slice(start, self.batch_rows)
        except BaseException as exc:
            if not self.is_error(exc):
                raise
            raise DriverError(_scrub(self.message(exc), self.url)) from None

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.inner.schema, self.batches())


def open_stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str] = ()
) -> AbstractContextManager[pa.RecordBatchReader]:
    """Run ``sql`` on the database at ``url`` (placeholders resolved) and stream its rows
    as Arrow batches of at most ``batch_rows`` rows. On SQLite every column but the
    ``typed`` ones comes as text, as on any database read through SQLAlchemy (a URL
    whose scheme is not read natively). Raises :class:`DriverError` (no password in it) when
    the database cannot be reached or the statement fails."""
    return STREAMS.get(scheme_of(url), _sqlalchemy_stream)(url, sql, batch_rows, typed)
