"""What every database reader shares: :class:`DriverError`, a URL shown without its
password (:func:`redact`, :func:`scrub`), each database's quoting (:class:`Dialect`), and
:class:`Guarded`, the reader that turns a driver's errors into :class:`DriverError`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

import pyarrow as pa


class DriverError(Exception):
    """A database refused a connection or a statement, or the connection was lost;
    the message never holds a password."""


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


def is_error(errors: tuple[type[BaseException], ...]) -> Callable[[BaseException], bool]:
    return lambda exc: isinstance(exc, errors)


class Guarded:
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
            raise DriverError(scrub(self.message(exc), self.url)) from None

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.inner.schema, self.batches())
