"""Ingest drops the rows of suppressed persons before they land, and counts them."""

from __future__ import annotations

from conftest import MakeProject
from personae.ingest import ingest
from personae.protect.suppression import suppress

CONFIG = """
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields:
      email: email
      phone: {column: phone, region: FR}
"""


def test_suppressed_rows_never_land(make_project: MakeProject) -> None:
    crm = "id,email,phone\n1, Ann@Example.org ,\n2,bob@example.org,06 12 34 56 78\n3,c@x.org,\n"
    project = make_project(CONFIG, {"crm.csv": crm})
    suppress(project.state_dir, [("email", "ann@example.org"), ("phone", "+33612345678")])
    report = ingest(project)
    assert report.rows_suppressed == 2
    assert project.engine.rows("SELECT id FROM raw_crm") == [("3",)]
    assert report.sources[0].rows_unchanged == 0
