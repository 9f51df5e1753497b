"""Which events an aggregate trait or a segment's event condition looks at.

A filter has three optional parts, combined with AND: event name(s), a ``where`` over
event columns and properties (see :mod:`personae.query.expressions`) and a ``within``
window before the end of the reference date (see :mod:`personae.query.asof`).
"""

from __future__ import annotations

from personae.config.fields import FieldType
from personae.config.models import ProjectConfig
from personae.config.sources import PropertySpec
from personae.query.asof import timestamp_sql, window_start
from personae.query.expressions import event_filter_sql
from personae.sql import literal


def event_names(event: str | list[str] | None) -> tuple[str, ...]:
    if event is None:
        return ()
    return (event,) if isinstance(event, str) else tuple(event)


def known_properties(config: ProjectConfig) -> frozenset[str] | None:
    """Property names declared by the event sources, or None when none declares any
    (then any name is accepted as a property)."""
    names = {
        name
        for source in config.sources.values()
        if source.event is not None
        for name in source.event.properties
    }
    return frozenset(names) if names else None


def declared_property_types(config: ProjectConfig) -> dict[str, FieldType]:
    """Property -> field type, for properties every declaring source types the same way
    with an explicit ``type``."""
    seen: dict[str, set[FieldType | None]] = {}
    for source in config.sources.values():
        if source.event is None:
            continue
        for name, spec in source.event.properties.items():
            kind = spec.type if isinstance(spec, PropertySpec) else None
            seen.setdefault(name, set()).add(kind)
    return {
        name: kind
        for name, kinds in seen.items()
        if len(kinds) == 1 and (kind := next(iter(kinds))) is not None
    }


def event_match_sql(
    config: ProjectConfig,
    *,
    event: str | list[str] | None,
    where: str | None,
    within: str | None,
    path: str,
    alias: str = "e",
) -> str | None:
    """The SQL condition selecting the events, or None when every event matches."""
    parts: list[str] = []
    names = event_names(event)
    if names:
        if len(names) == 1:
            parts.append(f"{alias}.event = {literal(names[0])}")
        else:
            parts.append(f"{alias}.event IN ({', '.join(literal(n) for n in names)})")
    if where:
        sql = event_filter_sql(
            where,
            f"{path}.where",
            as_of=config.reference_date(),
            properties=known_properties(config),
            alias=alias,
        )
        parts.append(f"({sql})")
    if within:
        parts.append(f"{alias}.timestamp >= {timestamp_sql(window_start(config, within))}")
    return " AND ".join(parts) if parts else None
