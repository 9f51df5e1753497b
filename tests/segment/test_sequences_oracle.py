"""Sequences against a brute-force oracle (``helpers.sequence_oracle``): random events
with many ties, every chain tried in Python, the same members as the SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers.segment_cases import END, membership
from helpers.sequence_oracle import CASES, NOW, expected, load, oracle_config, random_events
from personae.engine import Engine
from personae.segment import evaluate_segments
from personae.segment.compile import segment_members_sql


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sequences_match_the_oracle(engine: Engine, seed: int) -> None:
    events = random_events(seed)
    load(engine, events)
    config = oracle_config()
    evaluate_segments(engine, config, END + dt.timedelta(hours=8))
    found = membership(engine)
    assert {name: found.get(name, []) for name in CASES} == {
        name: expected(events, case, END) for name, case in CASES.items()
    }
    # judged two hours before the end of the reference date
    for name, case in CASES.items():
        sql = segment_members_sql(config, name, now=NOW)
        assert sorted(int(r[0]) for r in engine.rows(sql)) == expected(events, case, NOW), name
