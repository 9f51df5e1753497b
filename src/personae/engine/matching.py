"""Where Splink runs: the engine seam for probabilistic matching.

Splink brings its own SQL and needs a database API of its own (``DuckDBAPI``,
``SparkAPI``…). A :class:`MatchingBackend` wraps one, plus the few statements personae
issues around Splink (load the matching input, sample it, read results back as Arrow).
Each engine gives its backend (``Engine.matching_backend``); the unify stage never asks
which one it got. SQL given to a backend is written in DuckDB's dialect, like all of
personae's SQL.
"""

from __future__ import annotations

import abc
from typing import Any

import pyarrow as pa


class MatchingBackend(abc.ABC):
    """A database Splink runs in, with the statements personae needs around it."""

    @abc.abstractmethod
    def db_api(self) -> Any:
        """The Splink database API bound to this backend."""

    def frame(self, data: pa.Table) -> Any:
        """``data`` as an input Splink's database API accepts (e.g. a lookup table)."""
        return data

    @abc.abstractmethod
    def load(self, name: str, data: pa.Table) -> None:
        """Create (or replace) table ``name`` holding ``data``."""

    @abc.abstractmethod
    def create_table(self, name: str, sql: str) -> None:
        """Create (or replace) table ``name`` from a query."""

    @abc.abstractmethod
    def drop_table(self, name: str) -> None: ...

    @abc.abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run a query and return its rows as Arrow."""

    def count(self, name: str) -> int:
        return int(self.query(f"SELECT count(*) AS n FROM {name}").column(0)[0].as_py())

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> MatchingBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBMatchingBackend(MatchingBackend):
    """A private in-memory DuckDB, so Splink's tables never touch the warehouse file."""

    def __init__(self, connection: Any | None = None) -> None:
        import duckdb

        self.connection = connection if connection is not None else duckdb.connect(":memory:")

    def db_api(self) -> Any:
        from splink import DuckDBAPI

        return DuckDBAPI(connection=self.connection)

    def load(self, name: str, data: pa.Table) -> None:
        view = f"__arrow_{name}"
        self.connection.register(view, data)
        try:
            self.connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
        finally:
            self.connection.unregister(view)

    def create_table(self, name: str, sql: str) -> None:
        self.connection.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")

    def drop_table(self, name: str) -> None:
        self.connection.execute(f"DROP TABLE IF EXISTS {name}")

    def query(self, sql: str) -> pa.Table:
        result: pa.Table = self.connection.sql(sql).to_arrow_table()
        return result

    def close(self) -> None:
        self.connection.close()
