"""Who may do what in the web UI: four roles, each a set of permissions."""

from __future__ import annotations

from typing import Final

#: what each permission lets a user do
PERMISSIONS: Final[dict[str, str]] = {
    "profiles": "search persons and open their customer 360",
    "pii": "see personal data unmasked (names, e-mails, phones, addresses)",
    "identity": "split, merge and review identity (overrides)",
    "segments": "build, preview and save segments",
    "journeys": "see journeys and destinations",
    "dashboards": "see data quality, runs, identity health and collection",
    "privacy": "run access and erasure requests",
    "users": "manage users of the UI",
}

ROLES: Final[dict[str, frozenset[str]]] = {
    "admin": frozenset(PERMISSIONS),
    "marketer": frozenset({"profiles", "pii", "segments", "journeys", "dashboards"}),
    "analyst": frozenset({"profiles", "segments", "journeys", "dashboards"}),
    "dpo": frozenset({"profiles", "pii", "privacy", "dashboards"}),
}


def allowed(role: str, permission: str) -> bool:
    return permission in ROLES.get(role, frozenset())
