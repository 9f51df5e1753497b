"""overrides.yml: written from code, merged by the loader, exported into personae.yml."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from personae.config import load_config
from personae.config.override_file import (
    Override,
    add_override,
    export_overrides,
    read_overrides,
    remove_override,
)
from personae.config.starter import write_starter_project
from personae.errors import ConfigError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_starter_project(tmp_path)
    return tmp_path


def test_added_overrides_are_merged_into_the_config(root: Path) -> None:
    add_override(root, "cannot_link", ["orders:A-2", "crm:2"])
    add_override(root, "split_persons", {"person": 1, "records": ["orders:A-1"]})
    overrides = load_config(root).identity.overrides
    assert overrides.cannot_link == [("crm:2", "orders:A-2")]  # pairs are kept sorted
    assert overrides.split_persons[0].person == 1
    assert overrides.split_persons[0].records == ["orders:A-1"]
    text = (root / "overrides.yml").read_text()
    assert text.startswith("# overrides.yml: identity overrides written by the personae web UI")
    assert "personae overrides export" in text
    assert stat.S_IMODE((root / "overrides.yml").stat().st_mode) == 0o600


def test_the_same_override_twice_is_written_once(root: Path) -> None:
    first = add_override(root, "must_link", ["crm:1", "orders:A-2"])
    again = add_override(root, "must_link", ["orders:A-2", "crm:1"])
    assert first == again == Override("must_link", ["crm:1", "orders:A-2"], "overrides.yml")
    assert len(read_overrides(root)) == 1


def test_a_malformed_override_says_how_to_write_it(root: Path) -> None:
    with pytest.raises(ConfigError, match=r"'C2' is not a record name.*source:record_id"):
        add_override(root, "must_link", ["crm:1", "C2"])
    with pytest.raises(ConfigError, match="unknown override kind 'merge'; use one of"):
        add_override(root, "merge", [1, 2])
    assert not (root / "overrides.yml").exists()


def test_a_contradiction_is_refused_naming_what_to_remove(root: Path) -> None:
    add_override(root, "must_link", ["crm:1", "orders:A-2"])
    add_override(root, "must_link", ["orders:A-2", "crm:2"])
    with pytest.raises(ConfigError) as caught:
        add_override(root, "cannot_link", ["crm:1", "crm:2"])
    message = str(caught.value)
    assert "contradicts must_link overrides that join these records" in message
    assert "must_link crm:1 orders:A-2 (in overrides.yml)" in message
    assert "must_link crm:2 orders:A-2 (in overrides.yml)" in message
    assert len(read_overrides(root)) == 2  # nothing written

    add_override(root, "cannot_link", ["crm:1", "orders:A-1"])
    with pytest.raises(ConfigError, match=r"contradicts cannot_link crm:1 orders:A-1"):
        add_override(root, "must_link", ["orders:A-1", "crm:1"])


def test_a_contradiction_between_the_two_files_names_both(root: Path) -> None:
    add_override(root, "cannot_link", ["crm:1", "orders:A-1"])
    config = root / "personae.yml"
    config.write_text(
        config.read_text().replace(
            "identity:\n",
            'identity:\n  overrides:\n    must_link: [["crm:1", "orders:A-1"]]\n',
        )
    )
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    message = str(caught.value)
    assert message.startswith("overrides.yml: contradicts identity.overrides of personae.yml")
    assert "personae overrides remove" in message
    # and adding from code says it too, pointing at personae.yml's override
    (root / "overrides.yml").unlink()
    with pytest.raises(ConfigError, match=r"must_link crm:1 orders:A-1 \(in personae.yml\)"):
        add_override(root, "cannot_link", ["crm:1", "orders:A-1"])


def test_remove_takes_one_override_out(root: Path) -> None:
    add_override(root, "merge_persons", [2, 1])
    add_override(root, "cannot_link", ["crm:1", "orders:A-1"])
    removed = remove_override(root, "merge_persons", [1, 2])
    assert removed.value == [1, 2]
    assert [o.kind for o in read_overrides(root)] == ["cannot_link"]
    with pytest.raises(ConfigError, match="no override merge_persons 1 2"):
        remove_override(root, "merge_persons", [1, 2])


def test_an_override_of_personae_yml_is_not_removed_from_code(root: Path) -> None:
    config = root / "personae.yml"
    config.write_text(
        config.read_text().replace(
            "identity:\n", "identity:\n  overrides:\n    merge_persons: [[1, 2]]\n"
        )
    )
    assert read_overrides(root) == [Override("merge_persons", [1, 2], "personae.yml")]
    with pytest.raises(ConfigError, match=r"declared in personae.yml.*delete it from"):
        remove_override(root, "merge_persons", [1, 2])


def test_export_moves_them_into_personae_yml_keeping_its_comments(root: Path) -> None:
    before = (root / "personae.yml").read_text()
    add_override(root, "must_link", ["crm:1", "orders:A-2"])
    add_override(root, "split_persons", {"person": 3, "records": ["orders:A-1"]})
    moved = export_overrides(root)
    assert [o.kind for o in moved] == ["must_link", "split_persons"]
    after = (root / "personae.yml").read_text()
    for line in before.splitlines():
        if line.lstrip().startswith("#"):
            assert line in after  # every comment kept
    assert after.index("\nsources:") < after.index("\nidentity:") < after.index("\nprofiles:")
    assert "overrides:" in after
    # the next section's heading stays above it
    assert "# profiles: which value wins in the golden record.\nprofiles:" in after
    add_override(root, "cannot_link", ["crm:2", "orders:A-1"])
    export_overrides(root)
    again = (root / "personae.yml").read_text()
    assert "# profiles: which value wins in the golden record.\nprofiles:" in again
    assert all(o.file == "personae.yml" for o in read_overrides(root))
    overrides = load_config(root).identity.overrides
    assert overrides.must_link == [("crm:1", "orders:A-2")]
    assert overrides.cannot_link == [("crm:2", "orders:A-1")]
    assert overrides.split_persons[0].records == ["orders:A-1"]
    assert "must_link" not in (root / "overrides.yml").read_text()
    assert export_overrides(root) == []


def test_an_invalid_override_file_names_the_file_and_key(root: Path) -> None:
    (root / "overrides.yml").write_text("must_links: []\n")
    with pytest.raises(ConfigError, match=r"^overrides.yml: must_links: unknown key; did you"):
        load_config(root)


def test_export_does_not_write_an_override_personae_yml_already_holds(root: Path) -> None:
    add_override(root, "merge_persons", [1, 2])
    add_override(root, "cannot_link", ["crm:1", "orders:A-2"])
    config = root / "personae.yml"
    config.write_text(
        config.read_text().replace(
            "identity:\n", "identity:\n  overrides:\n    merge_persons: [[2, 1]]\n"
        )
    )
    assert len(export_overrides(root)) == 2
    text = config.read_text()
    assert text.count("merge_persons") == 1 and "[2, 1]" in text
    assert "- [crm:1, orders:A-2]" in text
    assert [o.file for o in read_overrides(root)] == ["personae.yml", "personae.yml"]
