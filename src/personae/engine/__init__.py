"""Engines run personae's SQL. Pick one by name with :func:`open_engine`.

Layout: :mod:`.base` (the :class:`Engine` seam), :mod:`.matching` (where Splink runs),
:mod:`.registry` (every engine by name), one package per engine (:mod:`.duckdb`,
:mod:`.spark`; pyspark is imported only when a Spark engine is opened).
"""

from __future__ import annotations

from personae.engine.base import AUTHORING_DIALECT, Engine, FileRead, ReadOptions, RejectedRow
from personae.engine.duckdb import DuckDBEngine
from personae.engine.matching import MatchingBackend
from personae.engine.registry import ENGINES, engine_names, open_engine
from personae.engine.spark import SparkEngine

__all__ = [
    "AUTHORING_DIALECT",
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "FileRead",
    "MatchingBackend",
    "ReadOptions",
    "RejectedRow",
    "SparkEngine",
    "engine_names",
    "open_engine",
]
