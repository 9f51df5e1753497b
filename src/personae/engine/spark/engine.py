"""Apache Spark: the engine for data that outgrows one machine (``pip install 'personae[spark]'``).

Every SQL string personae runs is authored once in DuckDB's dialect; this engine
transpiles it to Spark SQL (:mod:`personae.engine.spark.transpile`, where each construct
that differs has a named rewrite).

Tables live as Parquet under ``spark.sql.warehouse.dir`` (a local path or any
Hadoop-compatible URI); writing a table materialises it, which also cuts the lineage of
iterative steps. pyspark is imported lazily (:mod:`personae.engine.spark.session`):
without it, asking for this engine says what to install.

Source files are parsed by the DuckDB reader on the driver (same rows, line numbers and
quarantine as the DuckDB engine) and written to Spark; see :meth:`SparkEngine.read_file`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import pyarrow as pa
import sqlglot

from personae.config.engine import EngineConfig, SparkEngineConfig
from personae.engine.base import Engine, FileRead, ReadOptions
from personae.engine.duckdb.engine import DuckDBEngine
from personae.engine.matching import MatchingBackend
from personae.engine.spark.arrow import to_arrow
from personae.engine.spark.files import STAGING, HadoopFiles, Staging
from personae.engine.spark.matching import SparkMatchingBackend
from personae.engine.spark.session import spark_session
from personae.engine.spark.transpile import NEXT, SPARK_DIALECT, to_spark_sql
from personae.errors import EngineError
from personae.protect.encryption import Keyring
from personae.sql import literal

log = logging.getLogger(__name__)


class SparkEngine(Engine):
    """Tables are Parquet directories ``<warehouse>/<table>``, registered in a Spark
    database of their own whose location is the warehouse.

    The warehouse folder is the source of truth: opening it registers every table found
    there, so a later process (or a new session) sees what an earlier one wrote, with no
    metastore to run. Several projects can share one session: each has its database.
    """

    name: ClassVar[str] = "spark"
    dialect: ClassVar[str] = SPARK_DIALECT

    def __init__(
        self,
        warehouse: str,
        *,
        master: str = "local[2]",
        conf: dict[str, str] | None = None,
        session: Any | None = None,
        database: str | None = None,
    ) -> None:
        self.session = session or spark_session(master, warehouse, conf)
        self.warehouse = warehouse.rstrip("/")
        self.database = database or database_name(self.warehouse)
        self.session.sql(
            f"CREATE DATABASE IF NOT EXISTS {self.database} LOCATION {literal(self.warehouse)}"
        )
        self._use()
        self._register_warehouse_tables()

    @classmethod
    def from_config(
        cls,
        config: EngineConfig,
        project_dir: Path,
        *,
        keys: Keyring | None = None,
        read_only: bool = False,
    ) -> Self:
        """The section's ``master``, ``conf`` and ``database``; a ``warehouse`` without a
        URI scheme is a folder relative to the project. Encryption at rest is not
        supported (``protect.encryption`` is refused when the project loads).
        ``read_only`` changes nothing: Parquet folders take no lock."""
        if not isinstance(config, SparkEngineConfig):
            raise EngineError(f"{cls.name} cannot open a {config.type} engine section")
        if keys is not None:
            raise EngineError(
                "the spark engine cannot encrypt its warehouse: set protect.encryption: "
                "false, or use the duckdb engine (see docs/privacy.md, Encryption at rest)"
            )
        warehouse = config.warehouse
        if "://" not in warehouse:
            warehouse = str((project_dir / warehouse).resolve())
        return cls(warehouse, master=config.master, conf=config.conf, database=config.database)

    # --- statements

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._use()
        for statement in self._translate(sql, params):
            self._run(statement, sql)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        self._use()
        statements = self._translate(sql, params)
        for statement in statements[:-1]:
            self._run(statement, sql)
        frame = self._run(statements[-1], sql)
        return to_arrow(frame)

    def _use(self) -> None:
        """Make this project's database current (a session may serve several)."""
        if self.session.catalog.currentDatabase() != self.database:
            self.session.catalog.setCurrentDatabase(self.database)

    def _translate(self, sql: str, params: Sequence[Any] | None) -> list[str]:
        try:
            statements = to_spark_sql(sql, params, self.columns)
        except sqlglot.errors.SqlglotError as exc:
            raise EngineError(f"cannot translate to Spark SQL: {exc}", sql=sql) from exc
        if not statements:
            raise EngineError("no statement to run", sql=sql)
        return statements

    def _run(self, statement: str, original: str) -> Any:
        dropped = _DROP_TABLE.fullmatch(statement)
        if dropped:
            self.drop_table(dropped.group(1))
            return None
        try:
            return self.session.sql(statement)
        except Exception as exc:  # pyspark raises several unrelated exception types
            raise EngineError(f"Spark failed: {exc}", sql=original) from exc

    # --- tables

    def table_exists(self, name: str) -> bool:
        return bool(self.session.catalog.tableExists(f"{self.database}.{name}"))

    def tables(self) -> list[str]:
        return sorted(t.name for t in self.session.catalog.listTables(self.database))

    def columns(self, name: str) -> list[str]:
        return list(self.session.table(f"{self.database}.{name}").columns)

    def drop_table(self, name: str) -> None:
        """Drop the table and its directory (a table registered from the warehouse is
        external to Spark, which would keep the files)."""
        qualified = f"{self.database}.{name}"
        try:
            self.session.sql(f"DROP TABLE IF EXISTS {qualified}")
        except Exception as exc:
            raise EngineError(f"Spark failed to drop {name}: {exc}") from exc
        self._files.delete(self._table_path(name))

    def drop_relation(self, name: str) -> None:
        if not self.table_exists(name):
            return
        table = self.session.catalog.getTable(f"{self.database}.{name}")
        if table.tableType in ("VIEW", "TEMPORARY") or table.isTemporary:
            self._run(f"DROP VIEW {name}", f"DROP VIEW {name}")
        else:
            self.drop_table(name)

    def write_arrow(self, name: str, data: pa.Table, *, mode: Literal["append", "replace"]) -> None:
        if mode == "replace":
            self.drop_table(name)
        with self.staging() as staging:
            frame = staging.frame(data)
            frame.write.format("parquet").mode("append").saveAsTable(f"{self.database}.{name}")

    def staging(self, under: str | None = None) -> Staging:
        """Files handed to Spark as Parquet under ``under`` (by default the warehouse's
        staging folder), removed when the block ends."""
        return Staging(self.session, under or f"{self.warehouse}/{STAGING}")

    # --- the warehouse folder

    @property
    def _files(self) -> HadoopFiles:
        return HadoopFiles(self.session)

    def _table_path(self, name: str) -> str:
        return f"{self.warehouse}/{name.lower()}"

    def _register_warehouse_tables(self) -> None:
        """Register the tables found in the warehouse folder and not in the catalog.

        A directory without ``_SUCCESS`` was never written completely (its first write
        failed): it is removed. ``t__next`` is the new version of ``t`` built by a
        replace that stopped before the swap: it becomes ``t`` when ``t`` was already
        dropped, and is removed otherwise (``t`` is then still the current version).
        """
        files = self._files
        known = {t.name.lower() for t in self.session.catalog.listTables(self.database)}
        found = set(files.directories(self.warehouse))
        for name in sorted(found):
            if not name.endswith(NEXT):
                continue
            path, target = self._table_path(name), name[: -len(NEXT)]
            if target in found or target in known or not files.exists(f"{path}/_SUCCESS"):
                files.delete(path)
            else:
                files.rename(path, self._table_path(target))
                found.add(target)
            found.discard(name)
        for name in sorted(found - known):
            path = self._table_path(name)
            if not _TABLE_NAME.fullmatch(name):
                continue
            if not files.exists(f"{path}/_SUCCESS"):
                log.warning("removing %s: an incomplete table directory", path)
                files.delete(path)
                continue
            self.session.sql(
                f"CREATE TABLE {self.database}.{name} USING parquet LOCATION {literal(path)}"
            )

    # --- files

    def read_parquet(self, table: str, files: Sequence[str]) -> None:
        """Read by the executors, in parallel (the files must be where they reach)."""
        from pyspark.sql.functions import input_file_name

        self.drop_table(table)
        frame = self.session.read.parquet(*files).withColumn("_file", input_file_name())
        frame.write.format("parquet").saveAsTable(f"{self.database}.{table}")

    def read_file(self, path: Path, options: ReadOptions, table: str) -> FileRead:
        """Parse the file with the DuckDB reader on the driver, then write it to Spark.

        The same parser on both engines gives the same rows, line numbers and quarantined
        lines (parity by construction). It reads files the driver can open; reading
        sources on HDFS or S3 in parallel is not built yet.
        """
        self.drop_table(table)
        with DuckDBEngine() as reader, self.staging() as staging:
            found = reader.read_file(path, options, table)
            frame = staging.frame_from(
                lambda local: reader.export(f"SELECT * FROM {table}", local, "parquet")
            )
            frame.write.format("parquet").saveAsTable(f"{self.database}.{table}")
        return found

    def export(self, sql: str, path: Path, file_format: Literal["csv", "parquet"]) -> int:
        data = self.query(sql)
        path.parent.mkdir(parents=True, exist_ok=True)
        if file_format == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(data, path)
        else:
            import pyarrow.csv as pcsv

            pcsv.write_csv(data, path)
        return int(data.num_rows)

    def describe(self) -> str:
        master = self.session.sparkContext.master
        return (
            f"{self.name} (master {master}, warehouse {self.warehouse}, database {self.database})"
        )

    def matching_backend(self) -> MatchingBackend:
        """Splink's Spark backend in this session (:mod:`personae.engine.spark.matching`)."""
        return SparkMatchingBackend(self, self.session, self.warehouse)

    # --- lifecycle

    def close(self) -> None:
        """The session is shared by the process; it stays up for the next engine."""


_DROP_TABLE = re.compile(r"DROP TABLE IF EXISTS (\w+)")
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def database_name(warehouse: str) -> str:
    """The Spark database of a warehouse location: one per location, stable."""
    return "personae_" + hashlib.sha1(warehouse.encode("utf-8")).hexdigest()[:12]
