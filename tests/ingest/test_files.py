from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from personae.errors import SourceError
from personae.ingest import ingest
from personae.project import Project

MakeProject = Callable[..., Project]

CRM = """
sources:
  crm:
    kind: people
    path: data/crm*.csv
    record_id: id
    {extra}
    fields:
      email: email
      first_name: first
"""


def _config(extra: str = "") -> str:
    return CRM.replace("{extra}", extra)


def test_loads_every_original_column_with_bookkeeping(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/crm.csv": "id,email,first,note\n1,a@b.fr,Jean,x\n"})
    report = ingest(project)
    assert (report.sources[0].rows_read, report.rows_loaded, report.rows_quarantined) == (1, 1, 0)
    row = project.engine.query("SELECT * FROM raw_crm").to_pylist()[0]
    assert row["note"] == "x" and row["email"] == "a@b.fr"
    assert row["_source"] == "crm" and row["_record_id"] == "1"
    assert row["_load_id"] and row["_loaded_at"] and row["_file"].endswith("crm.csv")


def test_rerun_on_unchanged_files_loads_nothing(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/crm.csv": "id,email,first\n1,a@b.fr,Jean\n"})
    ingest(project)
    again = ingest(project)
    assert again.rows_loaded == 0 and again.sources[0].files_loaded == 0
    assert project.engine.count("raw_crm") == 1


def test_appended_and_changed_rows_load_only_what_is_new(
    make_project: MakeProject, tmp_path: Path
) -> None:
    project = make_project(
        _config(), {"data/crm.csv": "id,email,first\n1,a@b.fr,Jean\n2,c@d.fr,Paul\n"}
    )
    ingest(project)
    (tmp_path / "data/crm.csv").write_text(
        "id,email,first\n1,a@b.fr,Jean\n2,new@d.fr,Paul\n3,e@f.fr,Léa\n", encoding="utf-8"
    )
    report = ingest(project).sources[0]
    assert (report.rows_loaded, report.rows_unchanged) == (2, 1)
    versions = project.engine.rows("SELECT email FROM raw_crm WHERE _record_id = '2' ORDER BY 1")
    assert versions == [("c@d.fr",), ("new@d.fr",)]  # raw keeps both versions


def test_new_file_matching_the_glob_is_loaded(make_project: MakeProject, tmp_path: Path) -> None:
    project = make_project(_config(), {"data/crm_1.csv": "id,email,first\n1,a@b.fr,Jean\n"})
    ingest(project)
    (tmp_path / "data/crm_2.csv").write_text("id,email,first\n2,c@d.fr,Paul\n", encoding="utf-8")
    assert ingest(project).rows_loaded == 1
    assert project.engine.count("raw_crm") == 2


def test_missing_file_is_a_clear_error(make_project: MakeProject) -> None:
    project = make_project(_config().replace("data/crm*.csv", "data/nowhere.csv"))
    with pytest.raises(SourceError, match=r"sources\.crm\.path: file not found: .*nowhere\.csv"):
        ingest(project)


def test_glob_matching_nothing_is_a_clear_error(make_project: MakeProject) -> None:
    project = make_project(_config())
    with pytest.raises(SourceError, match="no file matches"):
        ingest(project)


def test_mapped_column_absent_names_the_columns(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/crm.csv": "id,mail,first\n1,a@b.fr,Jean\n"})
    with pytest.raises(SourceError) as err:
        ingest(project)
    assert "sources.crm.fields.email: column 'email' is not in crm.csv" in str(err.value)
    assert "id, mail, first" in str(err.value)


def test_wrong_delimiter_suggests_the_right_one(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/crm.csv": "id;email;first\n1;a@b.fr;Jean\n"})
    with pytest.raises(SourceError, match=r"is the delimiter ';'\?"):
        ingest(project)


def test_latin1_declared_as_utf8_quarantines_the_bad_rows(make_project: MakeProject) -> None:
    content = "id,email,first\n1,a@b.fr,Jean\n2,c@d.fr,Hélène\n".encode("latin-1")
    project = make_project(_config(), {"data/crm.csv": content})
    report = ingest(project).sources[0]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    reason = project.engine.scalar("SELECT reason FROM quarantine")
    assert "encoding: latin-1" in reason


def test_latin1_declared_as_latin1_loads(make_project: MakeProject) -> None:
    content = "id,email,first\n2,c@d.fr,Hélène\n".encode("latin-1")
    project = make_project(_config("encoding: latin-1"), {"data/crm.csv": content})
    ingest(project)
    assert project.engine.scalar("SELECT first FROM raw_crm") == "Hélène"


def test_malformed_line_is_quarantined_with_its_line(make_project: MakeProject) -> None:
    project = make_project(
        _config(), {"data/crm.csv": "id,email,first\n1,a@b.fr,Jean\n2,x,y,z,extra\n3,c@d.fr,Li\n"}
    )
    report = ingest(project).sources[0]
    assert (report.rows_loaded, report.rows_quarantined) == (2, 1)
    line, reason, raw = project.engine.rows("SELECT line, reason, raw FROM quarantine")[0]
    assert line == 3 and "too many columns" in reason and raw == "2,x,y,z,extra"


def test_empty_file_is_a_clear_error(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/crm.csv": ""})
    with pytest.raises(SourceError, match=r"is empty \(0 bytes\)"):
        ingest(project)


def test_header_only_file_loads_nothing(make_project: MakeProject) -> None:
    project = make_project(_config(), {"data/crm.csv": "id,email,first\n"})
    assert ingest(project).rows_loaded == 0


def test_duplicated_record_id_and_missing_id_are_quarantined(make_project: MakeProject) -> None:
    project = make_project(
        _config(),
        {"data/crm.csv": "id,email,first\n1,a@b.fr,Jean\n1,other@b.fr,Jean\n,c@d.fr,Paul\n"},
    )
    report = ingest(project).sources[0]
    assert (report.rows_loaded, report.rows_quarantined) == (1, 2)
    reasons = [r[0] for r in project.engine.rows("SELECT reason FROM quarantine ORDER BY line")]
    assert reasons[0] == "duplicate record id 1 in this file (first at line 2)"
    assert reasons[1].startswith("missing record id")
    assert project.engine.scalar("SELECT email FROM raw_crm") == "a@b.fr"


def test_jsonl_with_a_broken_line(make_project: MakeProject) -> None:
    config = """
    sources:
      web:
        kind: events
        path: data/web.jsonl
        record_id: id
        fields: {anonymous_id: anon}
        event:
          name_column: event
          timestamp: {column: ts}
          properties: {path: properties.path}
    """
    project = make_project(
        config,
        {
            "data/web.jsonl": (
                '{"id": "m1", "anon": "a1", "event": "Page Viewed", "ts": "2026-01-01T10:00:00Z",'
                ' "properties": {"path": "/shoes"}}\n'
                "{not json\n"
            )
        },
    )
    report = ingest(project).sources[0]
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert project.engine.scalar("SELECT properties FROM raw_web") == '{"path":"/shoes"}'
