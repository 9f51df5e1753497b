"""The batch/stream parity test with the batch runs on Spark: the store a Spark run
publishes (its JSON documents, its column types) is what the streaming worker updates,
and the next Spark run agrees with what it streamed."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.collect import ServeFactory

pytest.importorskip("pyspark")

from helpers.stream_parity import check_parity

SPARK = "engine:\n  type: spark\n  master: local[2]\n"


def test_stream_and_a_spark_batch_give_the_same_profiles(
    tmp_path: Path, serve: ServeFactory
) -> None:
    check_parity(tmp_path, serve, engine=SPARK)
