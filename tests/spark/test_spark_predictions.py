"""Predictions on Spark: the features and the affinity are SQL, so Spark must find the same
customer summaries, the same top items, and (the fits being the same Python on the same
inputs) the same predicted traits as DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pymc_marketing")

from helpers.btyd import OPEN, ORDER, VIEW, shop_history
from helpers.tables import load_event_rows
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.engine.duckdb import DuckDBEngine
from personae.engine.spark import SparkEngine
from personae.profile import compute_traits
from personae.profile.predict.affinity import top_items
from personae.profile.predict.build import compute_predictions
from personae.profile.predict.features import customer_features
from personae.query.asof import as_of_end

CONFIG = ProjectConfig.model_validate(
    {
        "as_of": "2026-06-30",
        "traits": {"order_count": {"aggregate": "count", "event": ORDER}},
        "predictions": {
            "orders": [{"event": ORDER, "amount": "revenue", "product": "product_id"}],
            "churn": {"engagement": [OPEN], "window": 90},
            "affinity": {"browse_events": [VIEW], "top": 3},
        },
    }
)


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Engine]]:
    duck = DuckDBEngine()
    spark = SparkEngine(str(tmp_path_factory.mktemp("predictions-warehouse")), master="local[1]")
    for engine in (duck, spark):
        load_event_rows(engine, shop_history(seed=5))
    yield duck, spark
    duck.close()


def _rows(table: Any) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda r: r["person_id"])


def test_features_and_affinity_agree(engines: tuple[Engine, Engine]) -> None:
    duck, spark = engines
    predictions = CONFIG.predictions
    assert predictions is not None
    end = as_of_end(CONFIG)
    expected = _rows(customer_features(duck, predictions, end))
    found = _rows(customer_features(spark, predictions, end))
    assert len(found) == len(expected) > 300
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.keys() == theirs.keys()
        for key, value in theirs.items():
            assert mine[key] == pytest.approx(value), key
    for duck_items, spark_items in zip(
        top_items(duck, predictions, end), top_items(spark, predictions, end), strict=True
    ):
        assert _rows(spark_items) == _rows(duck_items)


def test_predicted_traits_agree(engines: tuple[Engine, Engine], tmp_path: Path) -> None:
    results = []
    for engine in engines:
        compute_traits(engine, CONFIG)
        compute_predictions(engine, CONFIG, tmp_path)
        results.append(_rows(engine.query("SELECT * FROM traits")))
    duck, spark = results
    assert len(spark) == len(duck)
    for mine, theirs in zip(spark, duck, strict=True):
        for key, value in theirs.items():
            if isinstance(value, float):
                assert mine[key] == pytest.approx(value, rel=1e-3, abs=1e-3), key
            else:
                assert mine[key] == value, key
