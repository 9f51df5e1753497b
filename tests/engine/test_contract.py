"""The engine contract on the engines under test (DuckDB unless ``PERSONAE_TEST_ENGINES``
says otherwise; ``tests/spark/test_engine_contract.py`` runs it on Spark), and the
registry: every engine configuration type opens an engine of that name."""

from __future__ import annotations

import inspect
import os
import typing
from pathlib import Path

import duckdb
import pytest

from helpers import engine_contract
from helpers.engine_contract import CHECK_IDS, CHECKS, Check
from personae.config import engine as models
from personae.engine import ENGINES, DuckDBEngine, Engine, engine_names, open_engine
from personae.engine.duckdb import DuckDBMatchingBackend
from personae.errors import EngineError


@pytest.mark.parametrize("check", CHECKS, ids=CHECK_IDS)
def test_contract(engine: Engine, tmp_path: Path, check: Check) -> None:
    check(engine, tmp_path)


def test_every_public_engine_method_is_checked() -> None:
    """A method added to Engine needs a check in ``tests/helpers/engine_contract.py`` (or here)."""
    source = inspect.getsource(engine_contract) + Path(__file__).read_text(encoding="utf-8")
    public = [n for n, _ in inspect.getmembers(Engine, callable) if not n.startswith("_")]
    missing = [n for n in public if f".{n}(" not in source]
    assert public and not missing, f"Engine methods no contract check calls: {missing}"


def _config_types() -> dict[str, type]:
    """``engine.type`` -> configuration class, for every member of ``EngineConfig``."""
    union = typing.get_args(models.EngineConfig)[0]
    found = {}
    for config in typing.get_args(union):
        (name,) = typing.get_args(config.model_fields["type"].annotation)
        found[name] = config
    return found


def test_every_engine_configuration_has_a_registered_engine() -> None:
    configs = _config_types()
    assert set(ENGINES) == set(configs), "an engine config type without an engine (or back)"
    assert engine_names() == list(ENGINES)
    assert engine_names()[0] == models.DuckDBEngineConfig().type  # the default first
    for name, engine in ENGINES.items():
        assert engine.name == name
        assert "from_config" in vars(engine), f"{engine.__name__} does not open itself"


def test_opening_closes_and_reopens(tmp_path: Path) -> None:
    config = models.DuckDBEngineConfig(path="wh/warehouse.duckdb", threads=1, memory_limit="1GB")
    with open_engine(config, tmp_path) as engine:
        assert isinstance(engine, DuckDBEngine)
        assert engine.path == str(tmp_path / "wh" / "warehouse.duckdb")
        assert engine.scalar("SELECT current_setting('threads')") == 1
        engine.create_table_as("kept", "SELECT 1 AS a")
    # the with block closed it: the file can be opened again, with the table in it
    engine = DuckDBEngine.from_config(config, tmp_path)
    assert engine.rows("SELECT a FROM kept") == [(1,)]
    engine.close()
    with pytest.raises(duckdb.Error):
        engine.con.execute("SELECT 1")


def test_an_engine_refuses_another_engines_section(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="duckdb cannot open a spark engine section"):
        DuckDBEngine.from_config(models.SparkEngineConfig(type="spark"), tmp_path)


def test_duckdb_takes_an_eighth_of_the_memory_by_default(tmp_path: Path) -> None:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with DuckDBEngine(tmp_path / "w.duckdb") as engine:
        limit = engine.scalar("SELECT current_setting('memory_limit')")
        # DuckDB reports the limit in GiB/MiB, e.g. "2.7 GiB"
        number, unit = str(limit).split()
        in_bytes = float(number) * {"GiB": 2**30, "MiB": 2**20}[unit]
        assert in_bytes <= max(total / 8, 1e9) * 1.01


def test_duckdb_matches_in_a_private_database(tmp_path: Path) -> None:
    with DuckDBEngine(tmp_path / "w.duckdb", memory_limit="1GB") as engine:
        engine.create_table_as("people", "SELECT range AS uid FROM range(3)")
        with engine.matching_backend() as backend:
            assert isinstance(backend, DuckDBMatchingBackend)
            assert backend.connection is not engine.con
            # an in-memory database beside the warehouse: same instance, same memory limit
            assert backend.query("SELECT current_setting('memory_limit') AS m").to_pylist() == [
                {"m": engine.scalar("SELECT current_setting('memory_limit')")}
            ]
            backend.load_from(engine, "match_input", "SELECT uid FROM people")
            backend.create_table("splink_scratch", "SELECT uid FROM match_input")
            # the warehouse sees neither table, in SQL or through the engine
            assert not engine.table_exists("match_input")
            assert not engine.table_exists("splink_scratch")
            with pytest.raises(EngineError):
                engine.count("splink_scratch")
            backend.save_to(engine, "edges", "SELECT uid FROM splink_scratch", mode="replace")
            backend.save_to(engine, "edges", "SELECT uid FROM match_input", mode="append")
        assert engine.count("edges") == 6
    # the scratch tables were in memory only: the warehouse file never held them
    with DuckDBEngine(tmp_path / "w.duckdb", read_only=True) as engine:
        # a read-only warehouse cannot attach one: Splink gets a private DuckDB
        with engine.matching_backend() as backend:
            backend.load_from(engine, "match_input", "SELECT uid FROM people")
            assert backend.count("match_input") == 3
        assert engine.rows("SELECT table_name FROM duckdb_tables() ORDER BY 1") == [
            ("edges",),
            ("people",),
        ]


def test_rekey_is_offered_only_by_engines_that_support_encryption(tmp_path: Path) -> None:
    """The full re-encryption runs in tests/protect; here, the seam: an engine without
    ``supports_encryption`` refuses, DuckDB has nothing to do without a warehouse file."""
    from personae.protect.encryption import Keyring

    keys = Keyring(os.urandom(32))
    configs = _config_types()
    for name, engine_class in ENGINES.items():
        config = configs[name](type=name)
        if engine_class.supports_encryption:
            assert engine_class.rekey(config, tmp_path, None, keys) is False
        else:
            with pytest.raises(EngineError, match="cannot encrypt"):
                engine_class.rekey(config, tmp_path, None, keys)
