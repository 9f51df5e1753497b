"""The whole pipeline on DuckDB and on Spark, on the same demo data: the same results.

Person ids may differ between engines; everything is compared through the partition of
source records into persons.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("splink")

from personae.demo.generator import generate_demo
from personae.engine import Engine
from personae.pipeline import run
from personae.project import Project

PEOPLE = 300


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Project]]:
    base = tmp_path_factory.mktemp("parity")
    generate_demo(PEOPLE, base / "duckdb", seed=7)
    shutil.copytree(base / "duckdb", base / "spark")
    config = base / "spark" / "personae.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("as_of:", "engine:\n  type: spark\n  master: local[2]\nas_of:", 1),
        encoding="utf-8",
    )
    opened = {name: Project.load(base / name) for name in ("duckdb", "spark")}
    for project in opened.values():
        run(project)
    yield opened
    for project in opened.values():
        project.close()


def persons(engine: Engine) -> dict[int, frozenset[tuple[str, str]]]:
    """person id -> its records."""
    found: dict[int, set[tuple[str, str]]] = {}
    for source, record_id, person in engine.rows(
        "SELECT source, record_id, person_id FROM identity_map"
    ):
        found.setdefault(int(person), set()).add((str(source), str(record_id)))
    return {person: frozenset(records) for person, records in found.items()}


def keyed(engine: Engine, table: str) -> dict[frozenset[tuple[str, str]], dict[str, Any]]:
    """Rows of a per-person table, keyed by the person's records."""
    of = persons(engine)
    data = engine.query(f"SELECT * FROM {table}").to_pylist()
    return {of[int(row.pop("person_id"))]: row for row in data}


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return sorted(map(str, a)) == sorted(map(str, b))
    return bool(a == b)


def test_same_partition_of_records_into_persons(projects: dict[str, Project]) -> None:
    duck, spark = (set(persons(p.engine).values()) for p in projects.values())
    assert len(duck) > PEOPLE / 2
    assert duck == spark


def test_same_quarantined_rows(projects: dict[str, Project]) -> None:
    sql = "SELECT source, line, record_id, reason FROM quarantine"
    duck, spark = (set(p.engine.rows(sql)) for p in projects.values())
    assert duck  # the demo ships broken rows
    assert duck == spark


@pytest.mark.parametrize("table", ["profiles", "traits"])
def test_same_golden_values_and_traits(projects: dict[str, Project], table: str) -> None:
    duck, spark = (keyed(p.engine, table) for p in projects.values())
    assert duck.keys() == spark.keys()
    differences = [
        (column, duck[key][column], spark[key].get(column))
        for key in duck
        for column in duck[key]
        if not same_value(duck[key][column], spark[key].get(column))
    ]
    assert not differences, differences[:10]


def test_same_segment_memberships(projects: dict[str, Project]) -> None:
    def members(engine: Engine) -> set[tuple[str, frozenset[tuple[str, str]]]]:
        of = persons(engine)
        return {
            (str(segment), of[int(person)])
            for person, segment in engine.rows("SELECT person_id, segment FROM segment_membership")
        }

    duck, spark = (members(p.engine) for p in projects.values())
    assert duck
    assert duck == spark
