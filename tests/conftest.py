"""Shared fixtures. Engine-level tests are parametrized over every engine in ENGINES."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from personae.engine import ENGINES, Engine
from personae.project import Project


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An empty in-memory warehouse on each engine."""
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
