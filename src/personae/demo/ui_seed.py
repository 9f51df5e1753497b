"""The demo's way into the web UI: the serving store published, an admin account seeded
(its password printed once), and a demo customer worth opening (records in most sources)."""

from __future__ import annotations

from dataclasses import dataclass

from personae.catalog import IDENTITY_MAP, PERSONS
from personae.project import Project
from personae.ui.accounts import Accounts
from personae.ui.workspace import Workspace

ADMIN = "admin"


@dataclass(frozen=True)
class SeededUi:
    #: the admin's password, or None when the project already had users
    password: str | None
    #: a customer whose 360 shows records from many sources
    person_id: int | None


def showcase_person(project: Project) -> int | None:
    """The live person with records in the most sources (then the most records)."""
    rows = project.engine.rows(
        f"""
        SELECT m.person_id FROM {IDENTITY_MAP} m
        JOIN {PERSONS} p ON p.person_id = m.person_id AND p.merged_into IS NULL
        GROUP BY m.person_id
        ORDER BY count(DISTINCT m.source) DESC, count(*) DESC, m.person_id LIMIT 1
        """
    )
    return int(rows[0][0]) if rows else None


def seed_ui(project: Project) -> SeededUi:
    """Publish the serving store the UI reads (when no run did) and create the ``admin``
    user (when the project has no user yet)."""
    Workspace(project.root).publish_if_missing(project)
    person = showcase_person(project)
    accounts = Accounts(project.root)
    password = None if accounts.users() else accounts.add(ADMIN, "admin")
    return SeededUi(password, person)
