"""Segments saved into personae.yml from code (the web UI's segment builder)."""

from __future__ import annotations

import stat
from functools import partial
from pathlib import Path

import pytest

from personae.catalog import SEGMENT_MEMBERSHIP
from personae.config import load_config
from personae.config.editing import save_segment, segment_yaml
from personae.config.starter import write_starter_project
from personae.errors import ConfigError
from personae.pipeline import run, validate
from personae.project import Project

BIG = {
    "description": "Spent at least 100",
    "all": [{"trait": "revenue", ">=": 100}, {"event": "Order Completed", "within": "3650d"}],
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_starter_project(tmp_path)
    (tmp_path / "personae.yml").chmod(0o640)
    return tmp_path


def test_a_saved_segment_runs_and_has_members(root: Path) -> None:
    before = (root / "personae.yml").read_text()
    shown = save_segment(root, "big_spenders", BIG, check=partial(validate, root=root))
    assert shown == segment_yaml(BIG)
    assert "description: Spent at least 100" in shown
    assert "- {trait: revenue, '>=': 100}" in shown
    after = (root / "personae.yml").read_text()
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert all(line in after for line in comments)
    # the next section's heading stays above it
    assert "# destinations: where segments go (files for now).\ndestinations:" in after
    assert after.index("\n  buyers:") < after.index("\n  big_spenders:")
    assert stat.S_IMODE((root / "personae.yml").stat().st_mode) == 0o640  # mode kept
    assert load_config(root).segments["big_spenders"].description == "Spent at least 100"

    with Project.load(root) as project:
        run(project)
        members = project.engine.rows(
            f"SELECT person_id FROM {SEGMENT_MEMBERSHIP} WHERE segment = 'big_spenders'"
        )
        buyers = project.engine.rows(
            f"SELECT person_id FROM {SEGMENT_MEMBERSHIP} WHERE segment = 'buyers'"
        )
    assert len(members) == 1 and len(buyers) == 2  # Paul spent 120, Jeanne 59.90


def test_an_existing_name_is_replaced_only_when_asked(root: Path) -> None:
    one = {"all": [{"trait": "order_count", ">=": 2}]}
    with pytest.raises(ConfigError, match="segment 'buyers' already exists"):
        save_segment(root, "buyers", one)
    shown = save_segment(root, "buyers", one, replace=True)
    assert shown == "all:\n  - {trait: order_count, '>=': 2}\n"
    config = load_config(root)
    assert config.segments["buyers"].description is None
    assert list(config.segments) == ["buyers"]


def test_nothing_is_written_when_the_segment_is_wrong(root: Path) -> None:
    before = (root / "personae.yml").read_text()
    with pytest.raises(ConfigError, match=r"segments.empty: .*needs 'all' or 'any'"):
        save_segment(root, "empty", {"description": "no conditions"})
    with pytest.raises(ConfigError, match="unknown trait or profile field 'revenu'"):
        save_segment(
            root,
            "typo",
            {"all": [{"trait": "revenu", ">": 1}]},
            check=partial(validate, root=root),
        )
    with pytest.raises(ConfigError, match="segment name 'a b' is not usable"):
        save_segment(root, "a b", BIG)
    assert (root / "personae.yml").read_text() == before


def test_the_first_segment_creates_the_section(tmp_path: Path) -> None:
    (tmp_path / "personae.yml").write_text("# my project\nname: x\n")
    save_segment(tmp_path, "all_fr", {"all": [{"trait": "country", "=": "FR"}]})
    text = (tmp_path / "personae.yml").read_text()
    assert text.startswith("# my project\nname: x\nsegments:\n  all_fr:\n")
    assert load_config(tmp_path).segments["all_fr"].all is not None
