"""Declared destinations synced as diffs (see :mod:`personae.activate.sync`).

A destination names its audience (a segment, or everyone with a consent), the fields
sent, the purpose it serves (and the channel) and how personal data leaves. Only members
with a valid consent for that purpose on that channel are sent; a destination without a
purpose is refused, so nobody reaches a destination without a consent check.
"""

from __future__ import annotations

from pathlib import Path

from personae.activate.sync import Options, SyncReport, run_destination
from personae.activate.sync.runner import destination_of
from personae.config.models import ProjectConfig
from personae.engine import Engine


def sync_destination(
    engine: Engine,
    config: ProjectConfig,
    root: Path,
    name: str,
    options: Options | None = None,
) -> SyncReport:
    """Sync destination ``name`` once; raise when it fails."""
    return run_destination(engine, config, root, name, options)


def sync_destinations(
    engine: Engine,
    config: ProjectConfig,
    root: Path,
    names: list[str] | None = None,
    options: Options | None = None,
) -> dict[str, SyncReport]:
    """Sync the named destinations (default: all), in declaration order, stopping at
    the first failure (``sync.run_destinations`` runs them all whatever fails)."""
    wanted = names if names else list(config.destinations)
    for name in wanted:
        destination_of(config, name)
    return {name: sync_destination(engine, config, root, name, options) for name in wanted}
