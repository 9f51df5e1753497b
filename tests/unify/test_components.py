"""Connected components in SQL against a union-find in Python, on awkward graphs."""

from __future__ import annotations

import random

import pytest

from helpers.unify import union_find
from personae.engine import Engine
from personae.unify.components import connected_components


def labels(engine: Engine, edges: list[tuple[int, int]]) -> tuple[dict[int, int], int]:
    engine.execute("CREATE OR REPLACE TABLE edges (a BIGINT, b BIGINT)")
    if edges:
        values = ", ".join(f"({a}, {b})" for a, b in edges)
        engine.execute(f"INSERT INTO edges VALUES {values}")
    rounds = connected_components(engine, "SELECT a, b FROM edges", "labels", work="_t")
    found = dict(engine.rows("SELECT node, label FROM labels"))
    nodes = {n for edge in edges for n in edge}
    return {n: int(found.get(n, n)) for n in nodes}, rounds


@pytest.mark.parametrize(
    "name",
    ["empty", "path_up", "path_down", "star", "cycle", "random", "self_loops"],
)
def test_components_match_union_find(engine: Engine, name: str) -> None:
    rng = random.Random(7)
    edges: list[tuple[int, int]] = {
        "empty": [],
        "path_up": [(i, i + 1) for i in range(1, 300)],
        "path_down": [(i + 1, i) for i in range(300, 1, -1)],
        "star": [(1000, i) for i in range(1, 200)],
        "cycle": [(i, i % 150 + 1) for i in range(1, 151)],
        "random": [(rng.randint(1, 400), rng.randint(1, 400)) for _ in range(350)],
        "self_loops": [(5, 5), (5, 6), (6, 6), (8, 9), (9, 8)],
    }[name]
    found, rounds = labels(engine, edges)
    assert found == union_find([(a, b) for a, b in edges])
    assert rounds <= 12
    assert not engine.table_exists("_t_forest")
