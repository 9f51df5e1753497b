"""Shared fixtures. Engine-level tests are parametrized over the engines under test.

The stage tests run on DuckDB by default: on Spark every small statement is a job, so the
whole suite would take far longer than CI allows. Spark has its own suite in
``tests/spark`` (engine contract and whole-pipeline parity with DuckDB);
``PERSONAE_TEST_ENGINES=duckdb,spark`` runs these tests on both.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from helpers.collect import BASE_CONFIG, Served, ServeFactory, new_key, write_project
from personae.collect.app import create_app
from personae.collect.collector import Collector
from personae.config import load_config
from personae.engine import ENGINES, Engine
from personae.project import Project

TESTED_ENGINES = sorted(os.environ.get("PERSONAE_TEST_ENGINES", "duckdb").split(","))


@pytest.fixture(params=TESTED_ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty warehouse on each engine under test."""
    if request.param == "spark":
        pytest.importorskip("pyspark")
        instance: Engine = ENGINES["spark"](str(tmp_path / "warehouse"))
    else:
        instance = ENGINES[request.param]()
    yield instance
    instance.close()


MakeProject = Callable[..., Project]


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[MakeProject]:
    """Write personae.yml and data files into a temporary folder and load the project."""
    opened: list[Project] = []

    def make(config: str, files: dict[str, str | bytes] | None = None) -> Project:
        (tmp_path / "personae.yml").write_text(textwrap.dedent(config), encoding="utf-8")
        for name, content in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content), encoding="utf-8")
        project = Project.load(tmp_path)
        opened.append(project)
        return project

    yield make
    for project in opened:
        project.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeFactory]:
    opened: list[TestClient] = []

    def make(config: str = BASE_CONFIG) -> Served:
        root = write_project(tmp_path, config)
        collector = Collector(root, load_config(root).collect)
        client = TestClient(create_app(collector), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return Served(root, client, collector, new_key(root))

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """A 1,500-person demo project, run and activated (destinations synced, journeys
    ticked) once per test session: read it, never write it (copy it to change it)."""
    from helpers.small_demo import build_small_demo

    project = build_small_demo(tmp_path_factory.mktemp("small-demo"))
    yield project
    project.close()
