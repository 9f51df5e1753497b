"""Per-source retention: older raw rows go on every ingest, counted."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import MakeProject
from personae.config.sources import retention_days
from personae.errors import ConfigError
from personae.ingest import ingest
from personae.ingest.privacy import removal_counts

CONFIG = """
sources:
  orders:
    kind: events
    path: orders.csv
    record_id: id
    retention: {retention}
    fields: {{email: email}}
    event:
      name: Order
      timestamp: {{column: at}}
  crm:
    kind: people
    path: crm.csv
    record_id: id
    retention: 90d
    fields: {{email: email}}
"""


def _orders() -> str:
    today = dt.date.today()
    old = today - dt.timedelta(days=400)
    recent = today - dt.timedelta(days=10)
    return f"id,email,at\n1,a@x.org,{old}\n2,b@x.org,{recent}\n3,c@x.org,not a date\n"


def test_rows_older_than_the_retention_go_and_are_counted(make_project: MakeProject) -> None:
    project = make_project(
        CONFIG.format(retention="1y"),
        {"orders.csv": _orders(), "crm.csv": "id,email\n1,a@x.org\n"},
    )
    report = ingest(project)
    orders = next(s for s in report.sources if s.source == "orders")
    assert orders.rows_expired == 1
    # an unreadable date ages by load time; people without updated_at by load time too
    assert project.engine.rows("SELECT id FROM raw_orders ORDER BY id") == [("2",), ("3",)]
    assert project.engine.count("raw_crm") == 1
    assert ("orders", "retention", 1) in removal_counts(project.engine)


def test_retention_is_days_months_or_years(make_project: MakeProject) -> None:
    assert [retention_days(t) for t in ("90d", "18m", "3Y")] == [90, 540, 1095]
    with pytest.raises(ConfigError, match="90d, 18m or 3y"):
        make_project(CONFIG.format(retention="3 years"), {})
