"""Splink on Spark: the Spark engine's :class:`MatchingBackend`.

Blocking, comparisons, expectation maximisation and scoring run as Spark jobs in the
engine's session, through Splink's ``SparkAPI``. Its working tables are temporary views;
Splink breaks their lineage by writing the large ones as Parquet under
``<warehouse>/splink-checkpoints`` (removed when the backend closes). The string
similarity functions (Jaro-Winkler…) come from the jar Splink ships, which
:func:`personae.engine.spark.session.spark_session` puts on the session's class path.

SQL given to the backend is written in DuckDB's dialect, like all of personae's SQL, and
transpiled the way the engine transpiles it.
"""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa

from personae.engine.base import Engine
from personae.engine.matching import MatchingBackend, Warehouse
from personae.engine.spark.arrow import to_arrow
from personae.engine.spark.files import HadoopFiles, Staging
from personae.engine.spark.transpile import to_spark_sql

#: under the warehouse; not a table name, so opening the warehouse never registers it
CHECKPOINTS = "splink-checkpoints"


class SparkMatchingBackend(MatchingBackend):
    """Splink's ``SparkAPI`` in the session of ``engine`` (a Spark engine whose
    ``session`` and ``warehouse`` are given), so its tables are read and written in place."""

    def __init__(self, engine: Engine, session: Any, warehouse: str) -> None:
        self.engine = engine
        self.session = session
        self.checkpoints = f"{warehouse}/{CHECKPOINTS}"
        self._files = HadoopFiles(self.session)
        self._views: set[str] = set()
        self._staging = Staging(self.session, self.checkpoints)
        # Splink's "parquet" lineage breaking writes under the checkpoint directory
        self.session.sparkContext.setCheckpointDir(self.checkpoints)

    def db_api(self) -> Any:
        from splink.backends.spark import SparkAPI

        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=self.session,
            break_lineage_method="parquet",
            num_partitions_on_repartition=_partitions(self.session),
        )

    def frame(self, data: pa.Table) -> Any:
        """Read from a Parquet file under the checkpoint folder, kept until :meth:`close`."""
        return self._staging.frame(data)

    def load(self, name: str, data: pa.Table) -> None:
        """A view over the staged Parquet file: already materialised, no lineage."""
        self.frame(data).createOrReplaceTempView(name)
        self._views.add(name)

    def create_table(self, name: str, sql: str) -> None:
        self._materialise(name, self.session.sql(self._spark_sql(sql)))

    def _materialise(self, name: str, frame: Any) -> None:
        """Write ``frame`` as Parquet and expose it as the temporary view ``name``."""
        path = f"{self.checkpoints}/personae_{name}"
        frame.write.mode("overwrite").parquet(path)
        self.session.read.parquet(path).createOrReplaceTempView(name)
        self._views.add(name)

    def load_from(self, engine: Warehouse, name: str, sql: str) -> None:
        """Read in place: the warehouse's tables are in this session."""
        if engine is not self.engine:
            super().load_from(engine, name, sql)
            return
        self.create_table(name, sql)

    def save_to(
        self, engine: Warehouse, table: str, sql: str, *, mode: Literal["append", "replace"]
    ) -> None:
        """Written by the executors: this backend's views are in the engine's session."""
        if engine is not self.engine:
            super().save_to(engine, table, sql, mode=mode)
        elif mode == "replace" or not self.engine.table_exists(table):
            self.engine.create_table_as(table, sql)
        else:
            self.engine.execute(f"INSERT INTO {table} {sql}")

    def drop_table(self, name: str) -> None:
        self.session.catalog.dropTempView(name)
        self._views.discard(name)
        self._files.delete(f"{self.checkpoints}/personae_{name}")

    def query(self, sql: str) -> pa.Table:
        return to_arrow(self.session.sql(self._spark_sql(sql)))

    def _spark_sql(self, sql: str) -> str:
        (statement,) = to_spark_sql(sql)
        return statement

    def close(self) -> None:
        """Drop the views personae and Splink made, and the checkpoint files."""
        for table in self.session.catalog.listTables():
            if table.isTemporary and (
                table.name in self._views or table.name.startswith("__splink__")
            ):
                self.session.catalog.dropTempView(table.name)
        self._views.clear()
        self._staging.close()
        self._files.delete(self.checkpoints)


def _partitions(session: Any) -> int:
    """Splink repartitions its large tables to this many partitions: the SQL shuffle
    partitions of the session (at least 2)."""
    try:
        return max(2, int(session.conf.get("spark.sql.shuffle.partitions")))
    except (TypeError, ValueError):
        return 8
