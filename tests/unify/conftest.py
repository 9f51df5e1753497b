"""Fixtures of the unify tests: a runner of the stage over a hand-written ``records``."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers.unify import T0, Run
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.unify import ResolveReport, resolve_identities


@pytest.fixture
def run(engine: Engine) -> Run:
    """Run the unify stage: ``run(config=None, run_id='r1', now=T0)``."""

    def go(
        config: ProjectConfig | None = None, run_id: str = "r1", now: dt.datetime = T0
    ) -> ResolveReport:
        return resolve_identities(engine, config or ProjectConfig(), run_id, now)

    return go
