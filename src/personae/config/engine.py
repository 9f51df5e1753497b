"""``engine:``: which engine runs the project's SQL, and its settings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from personae.config.base import Strict


class DuckDBEngineConfig(Strict):
    type: Literal["duckdb"] = "duckdb"
    #: warehouse file, relative to the project folder
    path: str = ".personae/warehouse.duckdb"
    #: worker threads (default: one per core)
    threads: int | None = None
    #: DuckDB's memory cap, e.g. ``8GB`` (default: an eighth of the machine's memory)
    memory_limit: str | None = None


class SparkEngineConfig(Strict):
    type: Literal["spark"]
    #: Spark master URL: ``local[2]``, ``spark://host:7077``, ``yarn``…
    master: str = "local[2]"
    #: where tables are written as Parquet: a path relative to the project folder, or any
    #: Hadoop-compatible URI (``s3a://bucket/personae``, ``hdfs://…``)
    warehouse: str = ".personae/spark-warehouse"
    #: the Spark database (schema) the tables are registered in; default: one named after
    #: the warehouse location. The warehouse folder is the source of truth: tables found
    #: there are registered when the engine opens, so no metastore is needed
    database: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    #: extra Spark settings, e.g. ``spark.driver.memory: 8g``
    conf: dict[str, str] = Field(default_factory=dict)


EngineConfig = Annotated[DuckDBEngineConfig | SparkEngineConfig, Field(discriminator="type")]
