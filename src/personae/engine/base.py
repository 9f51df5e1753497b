"""The engine seam: stages write SQL once, in DuckDB's dialect; an engine runs it.

Stages never ask which engine is running. When something must differ they call an
engine method whose implementation lives in the engine's own package.

Each engine class has a ``name`` (the ``type`` of its section in ``personae.yml``) and
opens itself from that section with :meth:`Engine.from_config`; :mod:`personae.engine.registry`
maps names to classes.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import pyarrow as pa

from personae.config.engine import EngineConfig
from personae.engine.matching import MatchingBackend
from personae.errors import EngineError
from personae.protect.encryption import Keyring

#: the dialect every SQL string in personae is written in
AUTHORING_DIALECT = "duckdb"


@dataclass
class RejectedRow:
    """A row the reader could not parse, quarantined with its reason."""

    file: str
    line: int | None
    reason: str
    raw: str | None = None


@dataclass
class FileRead:
    """The result of reading one file into a staging table."""

    table: str
    columns: list[str]
    rows: int
    rejected: list[RejectedRow] = field(default_factory=list)


@dataclass(frozen=True)
class ReadOptions:
    format: Literal["csv", "tsv", "json", "jsonl", "parquet"]
    delimiter: str | None = None
    encoding: str = "utf-8"
    header: bool = True


class Engine(abc.ABC):
    """Runs personae's SQL. One instance per project warehouse."""

    #: the engine's name: the ``type`` of its section in ``personae.yml``
    name: ClassVar[str]
    #: sqlglot dialect name of the engine
    dialect: ClassVar[str]
    #: whether the engine keeps its tables encrypted when given keys (``protect.encryption``)
    supports_encryption: ClassVar[bool] = False
    #: the keys of encryption at rest, which also seal files kept beside the warehouse
    #: (the matching model's term frequencies); None when ``protect.encryption`` is off
    keys: Keyring | None = None

    @classmethod
    @abc.abstractmethod
    def from_config(
        cls,
        config: EngineConfig,
        project_dir: Path,
        *,
        keys: Keyring | None = None,
        read_only: bool = False,
    ) -> Self:
        """Open the engine a project's ``engine:`` section (of this engine's type) asks
        for; relative paths in it are relative to ``project_dir``. With ``keys``, every
        table is encrypted at rest (only where :attr:`supports_encryption`). With
        ``read_only`` the engine only reads, and other readers may open the warehouse at
        the same time (the web UI reads this way between runs)."""

    @classmethod
    def rekey(
        cls, config: EngineConfig, project_dir: Path, old: Keyring | None, new: Keyring
    ) -> bool:
        """Re-encrypt the warehouse under ``new`` (from ``old``, or from plaintext when
        ``old`` is None), so that a crash at any moment leaves it readable under one of
        the two keys; returns False when it already was under ``new``. Engines that do not
        :attr:`supports_encryption` refuse."""
        raise EngineError(f"the {cls.name} engine cannot encrypt its warehouse")

    # --- statements

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement written in DuckDB's dialect."""

    @abc.abstractmethod
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query written in DuckDB's dialect and return its rows as Arrow."""

    def batches(self, sql: str, batch_rows: int = 100_000) -> pa.RecordBatchReader:
        """A query's rows as a stream of Arrow batches of at most ``batch_rows`` rows, for
        results too large to hold whole (an export to a database). Read it before the
        next statement. This default holds the whole result; an engine that can stream
        overrides it."""
        table = self.query(sql)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(batch_rows))

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        table = self.query(sql, params)
        columns = [col.to_pylist() for col in table.columns]
        return list(zip(*columns, strict=True)) if columns else []

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        result = self.rows(sql, params)
        return result[0][0] if result else None

    # --- tables

    def create_table_as(self, name: str, sql: str) -> None:
        """Create or replace ``name`` with the result of ``sql``."""
        self.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")

    @abc.abstractmethod
    def table_exists(self, name: str) -> bool: ...

    @abc.abstractmethod
    def columns(self, name: str) -> list[str]: ...

    @abc.abstractmethod
    def tables(self) -> list[str]:
        """The names of every table and view of the warehouse, sorted."""

    @abc.abstractmethod
    def write_arrow(self, name: str, data: pa.Table, *, mode: Literal["append", "replace"]) -> None:
        """Write an Arrow table into ``name``, creating it when needed."""

    def drop_table(self, name: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {name}")

    @abc.abstractmethod
    def drop_relation(self, name: str) -> None:
        """Drop ``name`` whether it is a table or a view (no error when absent)."""

    def describe(self) -> str:
        """One line saying which engine runs and where its warehouse is."""
        return self.name

    def count(self, name: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {name}"))

    # --- files

    @abc.abstractmethod
    def read_parquet(self, table: str, files: Sequence[str]) -> None:
        """Create (or replace) ``table`` with the rows of the Parquet ``files`` (one
        schema), plus ``_file``: the path or URI of the file each row came from."""

    @abc.abstractmethod
    def read_file(self, path: Path, options: ReadOptions, table: str) -> FileRead:
        """Read one file, every column as text exactly as written, into staging ``table``.

        The table also has ``_line``: the 1-based number of the data row in the file.

        Rows that cannot be parsed are returned as ``rejected`` instead of failing the read.
        Raises SourceError when the file cannot be read at all.
        """

    @abc.abstractmethod
    def export(self, sql: str, path: Path, file_format: Literal["csv", "parquet"]) -> int:
        """Write the result of ``sql`` to a file and return the number of rows."""

    # --- probabilistic matching

    @abc.abstractmethod
    def matching_backend(self) -> MatchingBackend:
        """Where Splink runs for this engine (see :mod:`personae.engine.matching`).

        DuckDB's is a private in-memory DuckDB fed with Arrow
        (:class:`personae.engine.duckdb.DuckDBMatchingBackend`); it also works beside any
        engine whose matching input fits in memory. Spark's runs in the engine's session.
        """

    # --- lifecycle

    def checkpoint(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Make everything written durable and give freed space back; engines may no-op."""

    def compact(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Rewrite the warehouse's storage so that deleted rows leave no bytes behind (an
        erasure); a no-op where a delete already rewrites the files (Spark's Parquet)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
