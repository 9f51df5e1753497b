"""The default engine: DuckDB embedded in one file under the project's ``.personae/``."""

from __future__ import annotations

from personae.engine.duckdb.engine import (
    DEFAULT_MEMORY_SHARE,
    DuckDBEngine,
    default_memory_limit,
)
from personae.engine.duckdb.matching import DuckDBMatchingBackend

__all__ = [
    "DEFAULT_MEMORY_SHARE",
    "DuckDBEngine",
    "DuckDBMatchingBackend",
    "default_memory_limit",
]
