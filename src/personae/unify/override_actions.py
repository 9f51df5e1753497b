"""Identity overrides written from the web UI and the CLI, each recorded in the audit log.

The identity actions of the UI (split a record off a person, merge two persons, mark a
pair "not the same", confirm a match) and ``personae overrides`` / ``personae review``
call these: they edit ``overrides.yml`` (:mod:`personae.config.override_file`), which
every later run applies, and append an entry to ``.personae/audit.jsonl``. The entry
holds the kind of override, how many records it names and the person ids it names,
never a record's id (the audit log outlives an erasure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from personae.config.override_file import (
    Override,
    add_override,
    export_overrides,
    read_overrides,
    remove_override,
)
from personae.protect.audit import record

#: the audit log's actions
ADD_ACTION = "identity.overrides.add"
REMOVE_ACTION = "identity.overrides.remove"
EXPORT_ACTION = "identity.overrides.export"

__all__ = ["Override", "add", "export", "overrides", "remove"]


def overrides(project_dir: Path) -> list[Override]:
    """Every override of the project, ``overrides.yml``'s first (each says its file)."""
    return read_overrides(project_dir)


def add(project_dir: Path, kind: str, value: Any, *, actor: str | None = None) -> Override:
    """Add an override to ``overrides.yml`` (see
    :func:`~personae.config.override_file.add_override`) and record it; ``actor`` is
    who asked (``user:NAME``; the OS user by default). An override the project already
    has is returned as it is, and not recorded again."""
    before = len(read_overrides(project_dir))
    override = add_override(project_dir, kind, value)
    if len(read_overrides(project_dir)) != before:
        record(project_dir, ADD_ACTION, _details(override), actor)
    return override


def remove(project_dir: Path, kind: str, value: Any, *, actor: str | None = None) -> Override:
    """Remove an override from ``overrides.yml`` and record it."""
    override = remove_override(project_dir, kind, value)
    record(project_dir, REMOVE_ACTION, _details(override), actor)
    return override


def export(project_dir: Path, *, actor: str | None = None) -> list[Override]:
    """Move ``overrides.yml``'s overrides into ``personae.yml`` and record how many."""
    moved = export_overrides(project_dir)
    if moved:
        kinds: dict[str, int] = {}
        for override in moved:
            kinds[override.kind] = kinds.get(override.kind, 0) + 1
        record(project_dir, EXPORT_ACTION, {"overrides": len(moved), "kinds": kinds}, actor)
    return moved


def _details(override: Override) -> dict[str, Any]:
    """What the audit log keeps of an override: its kind, counts and person ids."""
    value = override.value
    if override.kind == "merge_persons":
        return {"kind": override.kind, "person_ids": list(value)}
    if override.kind == "split_persons":
        return {
            "kind": override.kind,
            "person_ids": [value["person"]],
            "records": len(value["records"]),
        }
    return {"kind": override.kind, "records": len(value)}
