"""The batch/stream parity test on DuckDB: the same collected messages, applied by the
streaming worker and then by a batch run, give the same persons, traits and segment
memberships (the scenario: :mod:`helpers.stream_parity`)."""

from __future__ import annotations

from pathlib import Path

from helpers.collect import ServeFactory
from helpers.stream_parity import check_parity


def test_stream_and_batch_give_the_same_profiles(tmp_path: Path, serve: ServeFactory) -> None:
    check_parity(tmp_path, serve)
