"""Where Splink runs: the engine seam for probabilistic matching.

Splink brings its own SQL and needs a database API of its own (``DuckDBAPI``,
``SparkAPI``…). A :class:`MatchingBackend` wraps one, plus the few statements personae
issues around Splink (load the matching input, sample it, read results back as Arrow).
Each engine gives its backend (``Engine.matching_backend``); the unify stage never asks
which one it got. The backends live in the engines' packages
(:class:`personae.engine.duckdb.DuckDBMatchingBackend`,
:class:`personae.engine.spark.SparkMatchingBackend`). The matching input goes in with
:meth:`MatchingBackend.load_from` and the edges come out with
:meth:`MatchingBackend.save_to`: as Arrow by default, in place when the backend runs in
the engine's own session (Spark), so neither passes through the driver. SQL given to a
backend is written in DuckDB's dialect, like all of personae's SQL.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import pyarrow as pa


class Warehouse(Protocol):
    """What a backend needs of the engine it reads its input from and writes edges to
    (every :class:`personae.engine.base.Engine` is one; this module sits below it)."""

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table: ...

    def write_arrow(
        self, name: str, data: pa.Table, *, mode: Literal["append", "replace"]
    ) -> None: ...


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

    def load_from(self, engine: Warehouse, name: str, sql: str) -> None:
        """Create (or replace) table ``name`` from a query on ``engine``'s warehouse.

        By default the rows cross as Arrow; a backend living in the engine's own session
        reads them in place.
        """
        self.load(name, engine.query(sql))

    def save_to(
        self, engine: Warehouse, table: str, sql: str, *, mode: Literal["append", "replace"]
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
