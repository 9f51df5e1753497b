"""Every pipeline run leaves one line in ``.personae/runs.jsonl``, also when a stage fails."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from personae.errors import PersonaeError
from personae.pipeline import RUNS_FILE, STAGE_NAMES, run, run_history, stage_tables
from personae.project import Project
from personae.unify.stage import UNIFY

MakeProject = Callable[..., Project]

CONFIG = """
sources:
  crm:
    kind: people
    path: data/crm.csv
    record_id: id
    fields:
      email: email
      first_name: first
"""
CRM = (
    "id,email,first\n1,ann.martin@orange.fr,Ann\n2,bob.durand@orange.fr,Bob\n"
    "3,ann.martin@orange.fr,Ann\n"
)


def test_each_run_is_recorded_newest_first_with_headline_counts(
    make_project: MakeProject,
) -> None:
    project = make_project(CONFIG, {"data/crm.csv": CRM})
    assert run_history(project.root) == []
    first = run(project, ["ingest", "clean"])
    second = run(project)
    history = run_history(project.root)
    assert [r.run_id for r in history] == [second.run_id, first.run_id]
    newest = history[0]
    assert newest.status == "ok" and newest.error is None
    assert newest.started_at <= newest.finished_at
    assert [s.name for s in newest.stages] == ["ingest", "clean", "unify", "profile", "segment"]
    unify = newest.stages[2]
    assert unify.status == "ok" and unify.seconds >= 0
    assert unify.counts["records"] == 3 and unify.counts["persons"] == 2
    ingest = history[1].stages[0]
    assert ingest.counts["rows_loaded"] == 3
    assert history[1].stages[1].counts["records"] == 3
    assert run_history(project.root, limit=1) == history[:1]
    assert (project.state_dir / RUNS_FILE).stat().st_mode & 0o077 == 0


def test_a_failed_stage_is_recorded_with_its_error(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(CONFIG, {"data/crm.csv": CRM})

    def broken(context: object) -> None:
        raise PersonaeError("the identity graph is on fire")

    monkeypatch.setattr(UNIFY, "run", broken)
    with pytest.raises(PersonaeError, match="on fire"):
        run(project)
    (failed,) = run_history(project.root)
    assert failed.status == "failed"
    assert failed.error == "the identity graph is on fire"
    assert [(s.name, s.status) for s in failed.stages] == [
        ("ingest", "ok"),
        ("clean", "ok"),
        ("unify", "failed"),
    ]
    assert json.loads((project.state_dir / RUNS_FILE).read_text())["status"] == "failed"


def test_a_line_cut_short_by_a_crash_is_skipped(make_project: MakeProject) -> None:
    project = make_project(CONFIG, {"data/crm.csv": CRM})
    done = run(project, ["ingest"])
    with (project.state_dir / RUNS_FILE).open("a") as out:
        out.write('{"run_id": "cut')
    assert [r.run_id for r in run_history(project.root)] == [done.run_id]


def test_stage_tables_lists_what_each_stage_built(make_project: MakeProject) -> None:
    project = make_project(CONFIG, {"data/crm.csv": CRM})
    before = stage_tables(project.engine)
    assert [s.name for s in before] == list(STAGE_NAMES)
    assert all(s.built == {} and s.declared > 0 for s in before)
    run(project, ["ingest", "clean"])
    clean = stage_tables(project.engine)[1]
    assert clean.command == "clean" and clean.built["records"] == 3
    assert stage_tables(project.engine)[2].built == {}
