"""Engines run personae's SQL. Pick one by name with :func:`open_engine`."""

from __future__ import annotations

from pathlib import Path

from personae.config.models import EngineConfig, SparkEngineConfig
from personae.engine.base import AUTHORING_DIALECT, Engine, FileRead, ReadOptions, RejectedRow
from personae.engine.duckdb import DuckDBEngine
from personae.engine.spark import SparkEngine

#: engine name -> class; the only place that knows every engine
ENGINES: dict[str, type[Engine]] = {"duckdb": DuckDBEngine, "spark": SparkEngine}


def open_engine(config: EngineConfig, project_dir: Path) -> Engine:
    """Open the engine a project's configuration asks for."""
    if isinstance(config, SparkEngineConfig):
        warehouse = config.warehouse
        if "://" not in warehouse:
            warehouse = str((project_dir / warehouse).resolve())
        return SparkEngine(
            warehouse, master=config.master, conf=config.conf, database=config.database
        )
    return DuckDBEngine(
        project_dir / config.path, threads=config.threads, memory_limit=config.memory_limit
    )


__all__ = [
    "AUTHORING_DIALECT",
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "FileRead",
    "ReadOptions",
    "RejectedRow",
    "SparkEngine",
    "open_engine",
]
