"""``personae overrides``: overrides.yml written from the CLI holds across runs."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from personae.catalog import IDENTITY_MAP
from personae.cli.main import app
from personae.project import Project
from personae.protect.audit import AUDIT_FILE, AuditLog

runner = CliRunner()


def invoke(root: Path, *args: str) -> str:
    result = runner.invoke(app, ["--project", str(root), *args])
    out = result.output + (result.stderr if result.stderr_bytes else "")
    assert result.exit_code == 0, out
    return out


def persons(root: Path) -> dict[str, int]:
    with Project.load(root) as project:
        rows = project.engine.rows(f"SELECT source, record_id, person_id FROM {IDENTITY_MAP}")
    return {f"{s}:{r}": int(p) for s, r, p in rows}


def test_overrides_from_the_file_hold_across_runs(tmp_path: Path) -> None:
    invoke(tmp_path, "init", str(tmp_path))
    invoke(tmp_path, "run")
    before = persons(tmp_path)
    jeanne = before["crm:1"]
    assert before["orders:A-1"] == jeanne and before["orders:A-2"] == before["crm:2"]

    out = invoke(tmp_path, "overrides", "add", "split_persons", str(jeanne), "orders:A-1")
    assert f"Added split_persons {jeanne}: orders:A-1 to overrides.yml" in out
    invoke(tmp_path, "overrides", "add", "cannot_link", "orders:A-2", "crm:2")
    for _ in range(2):  # a re-run keeps them
        invoke(tmp_path, "run")
        after = persons(tmp_path)
        assert after["crm:1"] == jeanne  # the record left; the person keeps its id
        assert after["orders:A-1"] != jeanne
        assert after["orders:A-2"] != after["crm:2"]

    lines = invoke(tmp_path, "overrides", "list", "--json").splitlines()
    listed = [json.loads(line) for line in lines]
    assert [o["kind"] for o in listed] == ["cannot_link", "split_persons"]
    actions = [e["action"] for e in AuditLog(tmp_path).entries()]
    assert actions.count("identity.overrides.add") == 2
    add = next(AuditLog(tmp_path).entries(action="identity.overrides.add"))
    assert add["details"] == {"kind": "split_persons", "person_ids": [jeanne], "records": 1}
    # no record id in the audit log, from the command's options either
    assert "A-1" not in (tmp_path / AUDIT_FILE).read_text()

    out = invoke(tmp_path, "overrides", "export")
    assert "Moved 2 override(s) into personae.yml" in out
    assert "cannot_link" in (tmp_path / "personae.yml").read_text()
    invoke(tmp_path, "run")
    assert persons(tmp_path)["orders:A-2"] != persons(tmp_path)["crm:2"]

    out = invoke(tmp_path, "overrides", "list")
    assert "(personae.yml)" in out and "(overrides.yml)" not in out


def test_remove_and_errors(tmp_path: Path) -> None:
    invoke(tmp_path, "init", str(tmp_path))
    invoke(tmp_path, "overrides", "add", "merge_persons", "2", "1")
    out = invoke(tmp_path, "overrides", "remove", "merge_persons", "1", "2")
    assert "Removed merge_persons 1 2 from overrides.yml" in out
    result = runner.invoke(app, ["--project", str(tmp_path), "overrides", "add", "must_link", "x"])
    assert result.exit_code == 1
    assert "must_link takes two records" in result.output
