"""Reading a database table or query as a stream of Arrow record batches.

One small interface, :func:`open_stream`, over three families of readers, each yielding
Arrow batches of bounded size, so no table is ever held whole in memory:

* the ADBC drivers (Apache Arrow's database connectivity): ``adbc-driver-postgresql``
  (libpq; results stream over ``COPY`` in binary) and ``adbc-driver-sqlite``, through the
  same DB-API; another ADBC database is one more entry in :data:`DRIVERS`;
* MySQL and MariaDB: PyMySQL's unbuffered cursor (:mod:`personae.ingest.mysql`);
* any other database SQLAlchemy has a dialect for (the ``sqlalchemy`` extra):
  :mod:`personae.ingest.via_sqlalchemy`.

Each database's quoting of identifiers and text is a :class:`Dialect`
(:func:`dialect_of`): PostgreSQL and SQLite quote names with ``"``, MySQL with backticks
(and a backslash in a string is an escape there).

The URL of ``personae.yml`` may hold ``${VARIABLE}`` (an environment variable) and
``${file:path}`` (a secrets file's content) placeholders; they are resolved here, when the
source is read, and no message ever shows the resolved URL's password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from personae.errors import SourceError
from personae.ingest.driver_base import (
    MYSQL,
    STANDARD,
    Dialect,
    DriverError,
    Guarded,
    is_error,
    redact,
    scrub,
)
from personae.ingest.mysql import mysql_stream
from personae.ingest.via_sqlalchemy import sqlalchemy_module, sqlalchemy_stream
from personae.sql import ident

__all__ = ["Dialect", "DriverError", "dialect_of", "open_stream", "redact", "resolve_url", "scrub"]

#: ``${NAME}`` or ``${file:path}``
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
#: the bytes a PostgreSQL batch holds at most before it is handed over
_POSTGRES_BATCH_BYTES = 16 * 1024 * 1024


def resolve_url(source: str, url: str, root: Path, *, setting: str | None = None) -> str:
    """The URL with its placeholders resolved; a SQLite path made absolute from ``root``.
    A placeholder that is the whole URL is used as is, one inside it is percent-encoded
    (a password may hold ``@`` or ``/``). Messages name ``setting`` (by default the
    source's ``sources.<source>.database.url``)."""
    where = setting or f"sources.{source}.database.url"
    whole = _PLACEHOLDER.fullmatch(url.strip()) is not None

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        problem = _unresolvable(where, name, root)
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
    where = f"sources.{source}.database.url"
    found = (_unresolvable(where, m.group(1).strip(), root) for m in _PLACEHOLDER.finditer(url))
    return [problem for problem in found if problem]


def _secrets_file(name: str, root: Path) -> Path:
    path = Path(os.path.expanduser(name[5:].strip()))
    return path if path.is_absolute() else root / path


def _unresolvable(where: str, name: str, root: Path) -> str | None:
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
        found = sqlalchemy_module().engine.make_url(url).get_dialect()()
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
        raise DriverError(scrub(str(exc), url)) from None
    cursor = connection.cursor()
    try:
        try:
            cursor.adbc_statement.set_options(**_statement_options(scheme, batch_rows))
            if scheme in _DYNAMICALLY_TYPED:
                sql = _as_text(cursor, sql, typed)
            cursor.execute(sql)
            reader = cursor.fetch_record_batch()
        except errors as exc:
            raise DriverError(scrub(str(exc), url)) from None
        yield Guarded(reader, url, batch_rows, is_error(errors)).reader()
    finally:
        with suppress(*errors):  # a lost connection has nothing left to close
            cursor.close()
        with suppress(*errors):
            connection.close()


STREAMS: dict[
    str, Callable[[str, str, int, Sequence[str]], AbstractContextManager[pa.RecordBatchReader]]
] = {
    "postgresql": _adbc_stream,
    "sqlite": _adbc_stream,
    "mysql": mysql_stream,
}


def open_stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str] = ()
) -> AbstractContextManager[pa.RecordBatchReader]:
    """Run ``sql`` on the database at ``url`` (placeholders resolved) and stream its rows
    as Arrow batches of at most ``batch_rows`` rows. On SQLite every column but the
    ``typed`` ones comes as text, as on any database read through SQLAlchemy (a URL
    whose scheme is not read natively). Raises :class:`DriverError` (no password in it) when
    the database cannot be reached or the statement fails."""
    return STREAMS.get(scheme_of(url), sqlalchemy_stream)(url, sql, batch_rows, typed)
