"""``personae activate``: send every declared destination its audience.

A destination names a segment, a file, the purpose it serves (and the channel) and how
personal data leaves. Only members with a valid consent for that purpose on that channel
are sent; a destination without a purpose is refused, so nobody reaches a destination
without a consent check.
"""

from __future__ import annotations

from pathlib import Path

from personae.activate.audience import AudienceReport, write_audience
from personae.activate.export import segment_members_sql
from personae.config.destinations import Destination, FileDestination
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, NotFoundError, did_you_mean


def _destination(config: ProjectConfig, name: str) -> Destination:
    if name not in config.destinations:
        declared = list(config.destinations)
        hint = did_you_mean(name, declared, prefix="") or f"declared: {', '.join(declared)}"
        raise NotFoundError(f"no destination {name!r} in personae.yml; {hint or 'none'}")
    return config.destinations[name]


def sync_destination(
    engine: Engine, config: ProjectConfig, root: Path, name: str
) -> AudienceReport:
    """Write destination ``name``'s audience to its file."""
    destination = _destination(config, name)
    path = f"destinations.{name}"
    if destination.purpose is None:
        raise ConfigError(
            "says no purpose, so nobody's consent can be checked; add the purpose it "
            f"serves, one of {', '.join(config.consent.purposes)} (e.g. purpose: "
            "email_marketing)",
            path=f"{path}.purpose",
        )
    if not isinstance(destination, FileDestination):
        raise ConfigError(
            f"type {destination.type!r} is synced through its API, not written to a file",
            path=f"{path}.type",
        )
    sql = segment_members_sql(
        engine, destination.segment, declared=list(config.segments), fields=destination.fields
    )
    return write_audience(
        engine,
        config,
        sql,
        root / destination.path,
        purpose=destination.purpose,
        channel=destination.channel,
        pseudonymise=destination.pseudonymise,
        path=path,
    )


def sync_destinations(
    engine: Engine, config: ProjectConfig, root: Path, names: list[str] | None = None
) -> dict[str, AudienceReport]:
    """Sync the named destinations (default: all), in declaration order."""
    wanted = names if names else list(config.destinations)
    for name in wanted:
        _destination(config, name)
    return {name: sync_destination(engine, config, root, name) for name in wanted}
