"""The engine contract (``tests/engine_contract.py``) on Spark: the same checks the
DuckDB engine passes, on one Spark session shared by the module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

from helpers.engine_contract import CHECK_IDS, CHECKS, Check
from personae.config.engine import SparkEngineConfig
from personae.engine import SparkEngine, open_engine


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkEngine]:
    engine = SparkEngine(str(tmp_path_factory.mktemp("contract-warehouse")), master="local[1]")
    yield engine
    engine.close()


@pytest.mark.parametrize("check", CHECKS, ids=CHECK_IDS)
def test_contract(spark: SparkEngine, tmp_path: Path, check: Check) -> None:
    check(spark, tmp_path)


def test_opening_from_config_finds_what_was_written(spark: SparkEngine, tmp_path: Path) -> None:
    """``from_config`` resolves the warehouse under the project; a second engine on the
    same folder (in the shared session) sees the tables the first wrote."""
    config = SparkEngineConfig(type="spark", warehouse="wh", database="contract_reopen")
    with open_engine(config, tmp_path) as first:
        assert isinstance(first, SparkEngine)
        assert first.warehouse == str((tmp_path / "wh").resolve())
        first.create_table_as("kept", "SELECT 1 AS a")
    with open_engine(config, tmp_path) as again:
        assert again.rows("SELECT a FROM kept") == [(1,)]
