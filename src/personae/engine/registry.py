"""Every engine, by name: the one place that lists them.

An engine's name is the ``type`` of its section in ``personae.yml``
(:mod:`personae.config.models`); the class opens itself from that section
(:meth:`personae.engine.base.Engine.from_config`).
"""

from __future__ import annotations

from pathlib import Path

from personae.config.engine import EngineConfig
from personae.engine.base import Engine
from personae.engine.duckdb.engine import DuckDBEngine
from personae.engine.spark.engine import SparkEngine
from personae.protect.encryption import Keyring

#: engine name -> class, the default engine first
ENGINES: dict[str, type[Engine]] = {engine.name: engine for engine in (DuckDBEngine, SparkEngine)}


def engine_names() -> list[str]:
    """The names of every engine (``personae.yml``'s ``engine.type``), the default first."""
    return list(ENGINES)


def open_engine(
    config: EngineConfig,
    project_dir: Path,
    *,
    keys: Keyring | None = None,
    read_only: bool = False,
) -> Engine:
    """Open the engine a project's configuration asks for; with ``keys``, encrypted;
    with ``read_only``, for reading only, beside other readers."""
    return ENGINES[config.type].from_config(config, project_dir, keys=keys, read_only=read_only)
