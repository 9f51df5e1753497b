"""Sources' loads, the quarantine's reasons and its paginated browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from personae.errors import PersonaeError
from personae.ingest import ingest
from personae.ingest.quarantine_view import quarantine_reasons, quarantine_rows, source_loads
from personae.project import Project

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
    "id,email,first\n"
    "1,ann.martin@orange.fr,Ann\n"
    "2,bob.durand@orange.fr\n"
    "3,cy.petit@orange.fr,Cy,extra\n"
    "4,dee.roux@orange.fr\n"
    "1,ann.martin@orange.fr,Ann\n"
    "5,eve.blanc@orange.fr,Eve\n"
)


def test_loads_reasons_and_pages_of_quarantined_rows(make_project: MakeProject) -> None:
    project = make_project(CONFIG, {"data/crm.csv": CRM})
    engine = project.engine
    assert source_loads(engine, ["crm"]) == []
    ingest(project)
    (loads,) = source_loads(engine, project.config.sources)
    assert (loads.source, loads.files, loads.raw_rows, loads.quarantined) == ("crm", 1, 2, 4)
    assert loads.last_load is not None and loads.last_load.startswith("20")
    reasons = quarantine_reasons(engine)
    assert sum(r.rows for r in reasons) == 4
    assert [r.rows for r in reasons] == sorted((r.rows for r in reasons), reverse=True)
    missing = next(r for r in reasons if r.reason.startswith("missing columns"))
    assert missing.rows == 2 and missing.source == "crm"

    first = quarantine_rows(engine, limit=3)
    assert first.total == 4 and len(first.rows) == 3 and first.has_more
    rest = quarantine_rows(engine, offset=first.next_offset, limit=3)
    assert len(rest.rows) == 1 and not rest.has_more
    every = (*first.rows, *rest.rows)
    malformed = sorted(row.line or 0 for row in every if "columns" in row.reason)
    assert malformed == [3, 4, 5]
    (duplicate,) = [row for row in every if row.reason.startswith("duplicate record id 1")]
    assert duplicate.record_id == "1" and '"first":"Ann"' in (duplicate.raw or "")
    page = quarantine_rows(engine, source="crm", reason=missing.reason)
    assert page.total == 2
    assert {row.raw for row in page.rows} == {"2,bob.durand@orange.fr", "4,dee.roux@orange.fr"}
    assert all(row.file.endswith("crm.csv") and row.reason == missing.reason for row in page.rows)
    assert quarantine_rows(engine, source="orders").total == 0
    with pytest.raises(PersonaeError, match="1 to 1000 rows"):
        quarantine_rows(engine, limit=0)
    with pytest.raises(PersonaeError, match="offset 0 or more"):
        quarantine_rows(engine, offset=-1)


def test_the_demo_quarantine_matches_its_table(small_demo: Project) -> None:
    engine = small_demo.engine
    reasons = quarantine_reasons(engine)
    assert sum(r.rows for r in reasons) == engine.count("quarantine") > 0
    loads = source_loads(engine, small_demo.config.sources)
    assert [s.source for s in loads] == list(small_demo.config.sources)
    assert sum(s.quarantined for s in loads) == engine.count("quarantine")
    assert all(s.raw_rows == engine.count(f"raw_{s.source}") for s in loads)
