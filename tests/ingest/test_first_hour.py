"""Issue 16: real files never end in an engine dump; a changed file re-read does not
quarantine its bad lines twice; a mapped column that is missing is named clearly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from personae.clean.stage import CLEAN
from personae.errors import SourceError
from personae.ingest import ingest
from personae.project import Project
from personae.stage import RunContext

MakeProject = Callable[..., Project]

CRM = """
sources:
  crm:
    kind: people
    path: data/crm.csv
    record_id: id
    fields:
      email: email
      first_name: first
"""
HEADER = b"id,email,first\r\n"


def _project(make_project: MakeProject, content: bytes) -> Project:
    project = make_project(CRM, {})
    path = project.root / "data" / "crm.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return project


def _quarantine(project: Project) -> list[tuple[int, str]]:
    return [
        (int(line), str(reason))
        for line, reason in project.engine.rows("SELECT line, reason FROM quarantine ORDER BY line")
    ]


def _loaded_ids(project: Project) -> list[str]:
    return [r[0] for r in project.engine.rows("SELECT id FROM raw_crm ORDER BY id")]


def test_crlf_rows_then_appended_lf_rows_all_load(make_project: MakeProject) -> None:
    content = HEADER + b"1,a@b.fr,Ann\r\n2,b@b.fr,Bob\r\n3,c@b.fr,Cy\n4,d@b.fr,Dee\n"
    project = _project(make_project, content)
    report = ingest(project)
    assert report.rows_loaded == 4 and report.rows_quarantined == 0
    assert _loaded_ids(project) == ["1", "2", "3", "4"]
    assert project.engine.rows("SELECT first FROM raw_crm WHERE id = '2'") == [("Bob",)]
    CLEAN.run(RunContext.start(project))  # and clean reads them


def test_a_byte_order_mark_is_not_part_of_the_first_column(make_project: MakeProject) -> None:
    project = _project(make_project, b"\xef\xbb\xbfid,email,first\n1,a@b.fr,Ann\n")
    assert ingest(project).rows_loaded == 1
    assert _loaded_ids(project) == ["1"]


def test_a_truncated_last_line_is_quarantined(make_project: MakeProject) -> None:
    project = _project(make_project, b"id,email,first\n1,a@b.fr,Ann\n2,b@b")
    report = ingest(project)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    [(line, reason)] = _quarantine(project)
    assert line == 3 and reason.startswith("missing columns: fewer columns than the header")


def test_a_nul_byte_does_not_stop_the_run(make_project: MakeProject) -> None:
    project = _project(
        make_project, b"id,email,first\n1,a@b.fr,Ann\n2,b@b\x00.fr,Bob\n3,c@b.fr,Cy\n"
    )
    report = ingest(project)
    assert report.rows_loaded + report.rows_quarantined == 3
    assert {"1", "3"} <= set(_loaded_ids(project))
    CLEAN.run(RunContext.start(project))


@pytest.mark.parametrize("mixed", [False, True])
def test_a_10_mb_line_is_quarantined_and_the_rest_loads(
    make_project: MakeProject, mixed: bool
) -> None:
    end = b"\r\n" if mixed else b"\n"
    content = (
        b"id,email,first"
        + end
        + b"1,a@b.fr,Ann\n2,b@b.fr,"
        + b"x" * 10_000_000
        + b"\n3,c@b.fr,Cy\n"
    )
    project = _project(make_project, content)
    report = ingest(project)
    assert (report.rows_loaded, report.rows_quarantined) == (2, 1)
    assert _loaded_ids(project) == ["1", "3"]
    [(line, reason)] = _quarantine(project)
    assert line == 3
    assert reason == (
        "line size over maximum: a line of 10.0 MB, longer than the reader's maximum of 2.1 MB"
    )


def test_a_file_that_is_one_10_mb_line_says_so(make_project: MakeProject) -> None:
    project = _project(make_project, b"y" * 10_000_000 + b"\n")
    with pytest.raises(SourceError) as caught:
        ingest(project)
    message = str(caught.value)
    assert message.endswith(
        "crm.csv: line 1 (the header) cannot be read: line size over maximum: a line of "
        "10.0 MB, longer than the reader's maximum of 2.1 MB; check the source's 'encoding' "
        "and 'delimiter'"
    )
    assert "DuckDB" not in message and "Possible fixes" not in message


def test_a_changed_file_does_not_quarantine_the_same_bad_line_twice(
    make_project: MakeProject,
) -> None:
    first = b"id,email,first\n1,a@b.fr,Ann\n2,b@b.fr\n,nobody@b.fr,No\n"
    project = _project(make_project, first)
    assert ingest(project).rows_quarantined == 2
    (project.root / "data" / "crm.csv").write_bytes(first + b"3,c@b.fr,Cy\n")
    again = ingest(project)
    assert (again.rows_loaded, again.rows_quarantined) == (1, 0)
    assert again.sources[0].rows_unchanged == 3  # row 1 and the two known bad lines
    assert len(_quarantine(project)) == 2


def test_a_mapping_edited_after_the_load_names_the_missing_column(
    make_project: MakeProject,
) -> None:
    project = _project(make_project, b"id,email,first,ordered_at\n1,a@b.fr,Ann,2026-01-01\n")
    ingest(project)
    edited = project.config.model_copy(deep=True)
    fields = edited.sources["crm"].fields
    fields["last_name"] = "order_date"  # type: ignore[index]
    with pytest.raises(SourceError) as caught:
        ingest(Project(root=project.root, config=edited, _engine=project.engine))
    assert str(caught.value) == (
        "sources.crm.fields.last_name: column 'order_date' is not in the files loaded from "
        "data/crm.csv; did you mean 'ordered_at'?; the file's columns are: id, email, first, "
        "ordered_at"
    )
