"""DuckDB's matching backend: Splink in a private in-memory DuckDB."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from personae.engine.matching import MatchingBackend


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
