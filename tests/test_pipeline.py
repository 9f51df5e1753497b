"""The stage list, the catalog and ARCHITECTURE.md agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from personae import catalog
from personae.errors import PersonaeError
from personae.pipeline import STAGES, stage_named
from personae.stage import command_of

ROOT = Path(__file__).resolve().parents[1]


def test_stages_run_in_catalog_order_and_live_in_their_package() -> None:
    assert tuple(s.name for s in STAGES) == catalog.STAGE_ORDER
    for stage in STAGES:
        assert type(stage).__module__ == f"personae.{stage.name}.stage"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_a_stage_writes_exactly_the_tables_it_owns(stage: object) -> None:
    writes = stage.writes  # type: ignore[attr-defined]
    assert set(writes) == set(catalog.tables_of(stage.name))  # type: ignore[attr-defined]


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_a_stage_reads_only_what_stages_before_it_write(stage: object) -> None:
    before = catalog.STAGE_ORDER[: catalog.STAGE_ORDER.index(stage.name)]  # type: ignore[attr-defined]
    for table in stage.reads:  # type: ignore[attr-defined]
        assert table.owner in before, f"{stage.name} reads {table}, owned by {table.owner}"  # type: ignore[attr-defined]


def test_stages_are_found_by_name_or_command() -> None:
    assert stage_named("unify") is stage_named("resolve")
    assert command_of(stage_named("profile")) == "profiles"
    with pytest.raises(PersonaeError, match="the stages are ingest, clean, unify"):
        stage_named("stitch")


def test_architecture_md_documents_every_shared_table() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    missing = [t.name for t in catalog.TABLES if f"`{t.name}`" not in text]
    assert not missing, f"ARCHITECTURE.md does not describe {missing}"
