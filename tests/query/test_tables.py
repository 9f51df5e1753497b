"""A step that needs a table nobody built yet names the command that builds it."""

from __future__ import annotations

import pytest

from personae.catalog import IDENTITY_MAP, PROFILES, RECORDS
from personae.engine import Engine
from personae.errors import NotFoundError, ProjectError
from personae.query.tables import require_tables


def test_missing_tables_name_the_commands_in_pipeline_order(engine: Engine) -> None:
    with pytest.raises(ProjectError) as raised:
        require_tables(engine, [PROFILES, RECORDS])
    message = str(raised.value)
    assert "no table profiles, records yet" in message
    assert "run `personae clean` then `personae profiles`" in message
    assert isinstance(raised.value, NotFoundError)


def test_present_tables_pass(engine: Engine) -> None:
    engine.execute(f"CREATE TABLE {IDENTITY_MAP} (source VARCHAR, record_id VARCHAR)")
    require_tables(engine, [IDENTITY_MAP])
