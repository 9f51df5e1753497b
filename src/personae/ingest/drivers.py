"""Reading a database table or query as a stream of Arrow record batches.

One small interface, :func:`open_stream`, over the ADBC drivers (Apache Arrow's database
connectivity): ``adbc-driver-postgresql`` (libpq; results stream over ``COPY`` in binary)
and ``adbc-driver-sqlite``. Both speak the same DB-API, return Arrow natively and read
in batches of bounded size, so no table is ever held whole in memory. Another database
is one more entry in :data:`DRIVERS`.

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
from personae.sql import ident

#: ``${NAME}`` or ``${file:path}``
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
#: the bytes a PostgreSQL batch holds at most before it is handed over
_POSTGRES_BATCH_BYTES = 16 * 1024 * 1024


class DriverError(Exception):
    """A database refused a connection or a statement, or the connection was lost;
    the message never holds a password."""


def resolve_url(source: str, url: str, root: Path, *, setting: str | None = None) -> str:
    """The URL with its placeholders resolved; a SQLite path made absolute from ``root``.
    A placeholder that is the whole URL is used as is, one inside it is percent-encoded
    (a password may hold ``@`` or ``/``). Messages name ``setting`` (by default the
    source's ``sources.<source>.database.url``)."""
    where = setting or f"sources.{source}.database.url"
    whole = _PLACEHOLDER.fullmatch(url.strip()) is not None

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith("file:"):
            path = Path(os.path.expanduser(name[5:].strip()))
            path = path if path.is_absolute() else root / path
            if not path.is_file():
                raise SourceError(
                    f"{where}: the secrets file {path} named by "
                    f"${{{name}}} does not exist; create it (readable by personae only) or "
                    "fix the path"
                )
            found = path.read_text(encoding="utf-8").strip()
        else:
            if name not in os.environ:
                raise SourceError(
                    f"{where}: the environment variable {name} is not "
                    f"set; export {name}=... before running personae (or write "
                    "${file:/path/to/secret} to read it from a secrets file)"
                )
            found = os.environ[name]
        return found if whole else quote(found, safe="")

    resolved = _PLACEHOLDER.sub(value, url)
    scheme, _, rest = resolved.partition("://")
    if scheme.lower() == "sqlite":
        path = Path(rest[1:] if rest.startswith("/") else rest)
        path = path if path.is_absolute() else root / path
        return f"sqlite:///{path}"
    return resolved


def redact(url: str) -> str:
    """The URL without its password: ``postgresql://crm:***@host/db``."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        userinfo, _, host = authority.rpartition("@")
        user = userinfo.split(":", 1)[0]
        authority = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    return f"{scheme}{sep}{authority}{slash}{tail.split('?', 1)[0]}"


def scrub(message: str, url: str) -> str:
    """A driver's message with any password of ``url`` (raw or percent-encoded) removed."""
    authority = url.partition("://")[2].partition("/")[0]
    userinfo = authority.rpartition("@")[0]
    secret = userinfo.split(":", 1)[1] if ":" in userinfo else ""
    cleaned = message.replace(url, redact(url))
    if secret:
        from urllib.parse import unquote

        for form in {secret, unquote(secret)}:
            cleaned = cleaned.replace(form, "***")
    return " ".join(cleaned.split())


def _postgres(url: str) -> Any:
    import adbc_driver_postgresql.dbapi as postgresql

    return postgresql.connect(url)


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
#: URL scheme -> a function opening a DB-API connection of an ADBC driver
DRIVERS: dict[str, Callable[[str], Any]] = {
    "postgresql": _postgres,
    "postgres": _postgres,
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
def _stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str]
) -> Iterator[pa.RecordBatchReader]:
    scheme = url.partition("://")[0].lower()
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
        yield _Guarded(reader, url, batch_rows).reader()
    finally:
        with suppress(*errors):  # a lost connection has nothing left to close
            cursor.close()
        with suppress(*errors):
            connection.close()


class _Guarded:
    """A reader whose batches are at most ``batch_rows`` rows and whose driver errors
    (a connection lost mid-stream) become :class:`DriverError` without the password."""

    def __init__(self, reader: pa.RecordBatchReader, url: str, batch_rows: int) -> None:
        self.inner, self.url, self.batch_rows = reader, url, batch_rows

    def batches(self) -> Iterator[pa.RecordBatch]:
        errors = _driver_errors()
        try:
            for batch in self.inner:
                for start in range(0, batch.num_rows, self.batch_rows):
                    yield batch.slice(start, self.batch_rows)
        except errors as exc:
            raise DriverError(scrub(str(exc), self.url)) from None

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.inner.schema, self.batches())


def open_stream(
    url: str, sql: str, batch_rows: int, typed: Sequence[str] = ()
) -> AbstractContextManager[pa.RecordBatchReader]:
    """Run ``sql`` on the database at ``url`` (placeholders resolved) and stream its rows
    as Arrow batches of at most ``batch_rows`` rows. On SQLite every column but the
    ``typed`` ones comes as text. Raises :class:`DriverError` (no password in it) when
    the database cannot be reached or the statement fails."""
    if url.partition("://")[0].lower() not in DRIVERS:
        raise DriverError(f"no driver for {redact(url)}; supported: {', '.join(DRIVERS)}")
    return _stream(url, sql, batch_rows, typed)
