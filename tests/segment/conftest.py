"""Fixtures of the segment tests."""

from __future__ import annotations

import pytest

from helpers.segments import load_warehouse
from personae.engine import Engine


@pytest.fixture
def warehouse(engine: Engine) -> Engine:
    load_warehouse(engine)
    return engine
