"""Where Splink runs: the engine seam for probabilistic matching.

Splink brings its own SQL and needs a database API of its own (``DuckDBAPI``,
``SparkAPI``…). A :class:`MatchingBackend` wraps one, plus the few statements personae
issues around Splink (load the matching input, sample it, read results back as Arrow).
Each engine gives its backend (``Engine.matching_backend``); the unify stage never asks
which one it got. The matching input goes in with :meth:`MatchingBackend.load_from` and
the edges come out with :meth:`MatchingBackend.save_to`: as Arrow by default, in place
when the backend runs in the engine's own session (Spark), so neither passes through the
driver. SQL given to a backend is written in DuckDB's dialect, like all of
personae's SQL.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

if TYPE_CHECKING:
    from personae.engine.base import Engine


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

    def load_from(self, engine: Engine, name: str, sql: str) -> None:
        """Create (or replace) table ``name`` from a query on ``engine``'s warehouse.

        By default the rows cross as Arrow; a backend living in the engine's own session
        reads them in place.
        """
        self.load(name, engine.query(sql))

    def save_to(
        self, engine: Engine, table: str, sql: str, *, mode: Literal["append", "replace"]
    ) -> None:
        """Write the result of ``sql`` (a query of this backend) into ``engine``'s
        ``table``. By default the rows cross as Arrow."""
        engine.write_arrow(table, self.query(sql), mode=mode)

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
