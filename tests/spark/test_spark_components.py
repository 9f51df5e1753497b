"""Connected components on Spark: the answer of a union-find, in few rounds, and every
round read from materialised Parquet, so no plan grows with the rounds."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from helpers.unify import union_find
from personae.engine.spark import SparkEngine
from personae.unify.components import connected_components


def test_long_paths_and_random_graphs_on_spark(tmp_path: Path) -> None:
    engine = SparkEngine(str(tmp_path / "warehouse"), master="local[2]")
    rng = random.Random(11)
    path = [(i, i + 1) for i in range(1, 3000)]
    rng.shuffle(path)
    edges = path + [(rng.randint(5000, 9000), rng.randint(5000, 9000)) for _ in range(3000)]
    a, b = zip(*edges, strict=True)
    engine.write_arrow(
        "edges",
        pa.table({"a": pa.array(a, pa.int64()), "b": pa.array(b, pa.int64())}),
        mode="replace",
    )
    rounds = connected_components(engine, "SELECT a, b FROM edges", "labels", work="_cc")
    found = dict(engine.rows("SELECT node, label FROM labels"))
    nodes = {n for edge in edges for n in edge}
    assert {n: int(found.get(n, n)) for n in nodes} == union_find(edges)
    assert rounds <= 12
    # the result is a plain scan of its Parquet files: no lineage carried over
    plan = engine.session.table(f"{engine.database}.labels")._jdf.queryExecution().analyzed()
    assert "Join" not in plan.toString()
