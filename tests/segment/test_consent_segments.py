"""Segments filter on consent columns like on traits."""

from __future__ import annotations

from typing import Any

import pytest

from personae.errors import ConfigError
from personae.pipeline import run, validate

CONFIG = """
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {email: email, country: country}
    consent:
      - {column: optin, purpose: email_marketing}
segments:
  reachable_fr:
    all:
      - {trait: country, "=": FR}
      - {trait: consent_email_marketing, is: true}
  not_reachable:
    all:
      - {trait: consent_email_marketing, is: false}
"""
CRM = """\
id,email,country,optin
1,ann@corp.fr,FR,yes
2,bob@corp.fr,FR,no
3,cat@corp.fr,FR,
4,dan@corp.fr,BE,yes
"""


def members(project: Any, segment: str) -> list[str]:
    rows = project.engine.rows(
        "SELECT p.email FROM segment_membership m JOIN profiles p USING (person_id) "
        f"WHERE m.segment = '{segment}' ORDER BY 1"
    )
    return [r[0] for r in rows]


def test_segments_filter_on_consent(make_project: Any) -> None:
    project = make_project(CONFIG, {"crm.csv": CRM})
    validate(project.config, project.root)
    run(project)
    assert members(project, "reachable_fr") == ["ann@corp.fr"]
    assert members(project, "not_reachable") == ["bob@corp.fr", "cat@corp.fr"]


def test_an_unknown_consent_column_is_named(make_project: Any) -> None:
    project = make_project(
        CONFIG.replace("consent_email_marketing, is: true", "consent_emial_marketing, is: true"),
        {"crm.csv": CRM},
    )
    with pytest.raises(ConfigError, match="consent_emial_marketing"):
        validate(project.config, project.root)
