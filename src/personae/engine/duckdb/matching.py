"""DuckDB's matching backend: Splink in an in-memory database of its own.

By default (:meth:`DuckDBMatchingBackend.beside`) that database is attached to the
warehouse's DuckDB instance: Splink's tables stay in memory and never touch the warehouse
file, but Splink shares the warehouse's ``memory_limit``, ``threads`` and spill
directory, and the matching input and the edges move between the two by SQL, in place,
instead of being copied through Arrow. ``DuckDBMatchingBackend(connection)`` runs Splink
on a connection of its own (a private in-memory DuckDB when none is given).
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

import duckdb
import pyarrow as pa

from personae.engine.matching import MatchingBackend, Warehouse
from personae.sql import ident

#: numbers the in-memory databases attached to one process's warehouses
_ATTACHED = itertools.count(1)


class DuckDBMatchingBackend(MatchingBackend):
    """Splink on a DuckDB connection whose tables never touch the warehouse file."""

    def __init__(self, connection: Any | None = None) -> None:
        self.connection = connection if connection is not None else duckdb.connect(":memory:")
        #: the warehouse sharing this DuckDB instance, its catalog, and the attached one
        self._owner: Warehouse | None = None
        self._warehouse_catalog = ""
        self._catalog = ""

    @classmethod
    def beside(cls, owner: Warehouse, connection: Any) -> DuckDBMatchingBackend:
        """A backend in an in-memory database attached to ``connection``'s instance (the
        warehouse ``owner``'s), so both share one memory limit and one thread pool."""
        # the warehouse's catalog as the connection sees it (a new cursor starts in the
        # instance's default one, which is not the warehouse when it is attached encrypted)
        warehouse = str(connection.execute("SELECT current_database()").fetchall()[0][0])
        cursor = connection.cursor()
        catalog = f"personae_match_{next(_ATTACHED)}"
        cursor.execute(f"ATTACH ':memory:' AS {catalog}")
        cursor.execute(f"USE {catalog}")
        backend = cls(cursor)
        backend._owner = owner
        backend._warehouse_catalog = warehouse
        backend._catalog = catalog
        return backend

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

    def load_from(self, engine: Warehouse, name: str, sql: str) -> None:
        """In place when ``engine`` is the warehouse this backend is attached to."""
        if engine is not self._owner:
            super().load_from(engine, name, sql)
            return
        # ``sql`` names warehouse tables: run it where the warehouse is the default
        reader = self.connection.cursor()
        try:
            reader.execute(f"USE {ident(self._warehouse_catalog)}")
            reader.execute(f"CREATE OR REPLACE TABLE {self._catalog}.main.{name} AS {sql}")
        finally:
            reader.close()

    def save_to(
        self, engine: Warehouse, table: str, sql: str, *, mode: Literal["append", "replace"]
    ) -> None:
        """In place when ``engine`` is the warehouse this backend is attached to."""
        if engine is not self._owner:
            super().save_to(engine, table, sql, mode=mode)
            return
        target = f"{ident(self._warehouse_catalog)}.main.{ident(table)}"
        if mode == "replace":
            self.connection.execute(f"CREATE OR REPLACE TABLE {target} AS {sql}")
        else:
            self.connection.execute(f"INSERT INTO {target} BY NAME {sql}")

    def create_table(self, name: str, sql: str) -> None:
        self.connection.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")

    def drop_table(self, name: str) -> None:
        self.connection.execute(f"DROP TABLE IF EXISTS {name}")

    def query(self, sql: str) -> pa.Table:
        result: pa.Table = self.connection.sql(sql).to_arrow_table()
        return result

    def close(self) -> None:
        if self._catalog:
            # the attached database goes, and with it every table Splink made
            self.connection.execute(f"USE {ident(self._warehouse_catalog)}")
            self.connection.execute(f"DETACH {self._catalog}")
            self._catalog = ""
        self.connection.close()
