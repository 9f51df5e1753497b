"""Aggregate traits: one aggregate over each person's matching events.

All aggregate traits (and the per-person inputs of RFM traits) are computed by one
``GROUP BY person_id`` over the events of live persons up to the end of the reference
date; each trait filters its own events inside its aggregate
(``count(CASE WHEN <filter> THEN 1 END)``), so the events are read once.

What ``of`` reads:

* ``timestamp`` (TIMESTAMP), ``event`` or ``source`` (text): the event column;
* any other name: the event property, as text, except that ``sum``/``avg`` read it as
  DOUBLE, and ``min``/``max``/``first``/``last`` read it as its declared type (a
  ``PropertySpec`` with ``type`` on the event sources) or, when undeclared, as DOUBLE
  when at least half of its non-null values in ``events`` are numbers (the others then
  read as NULL), else as text. One probe query over ``events`` decides for all such
  properties.

Results: ``count``/``distinct_count`` are 0 and ``exists`` is false for persons without
matching events; the other aggregates are NULL. ``first``/``last`` are the value of the
earliest/latest matching event where the value is not null (among events with the same
timestamp, any one of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from personae.catalog import EVENTS
from personae.config.models import ProjectConfig
from personae.config.traits import AggregateTrait
from personae.engine import Engine
from personae.query.events import declared_property_types, event_match_sql
from personae.query.expressions import EVENT_COLUMNS, property_sql
from personae.sql import ident

_TYPES = {"number": "DOUBLE", "date": "DATE", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}
#: aggregates whose result has the type of the value (so the property's type matters)
_TYPED = ("min", "max", "first", "last")


@dataclass(frozen=True)
class AggregateColumn:
    """One aggregate trait, compiled."""

    name: str
    #: aggregate SQL over the person's events (alias ``e``), grouped by person
    aggregate: str
    #: the final value from the aggregate column ``a.<name>`` (NULL for persons without events)
    final: str


def typed_properties(config: ProjectConfig) -> list[str]:
    """Properties whose type must be known to aggregate them."""
    names = {
        trait.of
        for trait in config.traits.values()
        if isinstance(trait, AggregateTrait)
        and trait.aggregate in _TYPED
        and trait.of
        and trait.of not in EVENT_COLUMNS
    }
    return sorted(names)


def property_types(engine: Engine, config: ProjectConfig) -> dict[str, str]:
    """SQL type to read each property in :func:`typed_properties` as."""
    declared = declared_property_types(config)
    types: dict[str, str] = {}
    probe: list[str] = []
    for name in typed_properties(config):
        kind = declared.get(name)
        if kind is None:
            probe.append(name)
        else:
            types[name] = _TYPES.get(kind, "VARCHAR")
    if probe:
        checks = ", ".join(
            f"count({property_sql(n)}), count({property_sql(n, cast='DOUBLE')})" for n in probe
        )
        counts = engine.rows(f"SELECT {checks} FROM {EVENTS} e")[0]
        for i, name in enumerate(probe):
            filled, numeric = counts[2 * i], counts[2 * i + 1]
            types[name] = "DOUBLE" if numeric * 2 >= filled else "VARCHAR"
    return types


def _value_sql(trait: AggregateTrait, types: Mapping[str, str]) -> str:
    of = trait.of or ""
    if of in EVENT_COLUMNS:
        return f"e.{ident(of)}"
    if trait.aggregate in ("sum", "avg"):
        return property_sql(of, cast="DOUBLE")
    if trait.aggregate in _TYPED:
        kind = types.get(of, "VARCHAR")
        return property_sql(of, cast=None if kind == "VARCHAR" else kind)
    return property_sql(of)


def compile_aggregate(
    config: ProjectConfig, name: str, trait: AggregateTrait, types: Mapping[str, str]
) -> AggregateColumn:
    match = event_match_sql(
        config, event=trait.event, where=trait.where, within=trait.within, path=f"traits.{name}"
    )
    col = f"a.{ident(name)}"
    if trait.aggregate in ("count", "exists"):
        counted = f"count(CASE WHEN {match} THEN 1 END)" if match else "count(*)"
        final = f"coalesce({col}, 0)" + (" > 0" if trait.aggregate == "exists" else "")
        return AggregateColumn(name, counted, final)
    value = _value_sql(trait, types)
    kept = f"CASE WHEN {match} THEN {value} END" if match else value
    if trait.aggregate == "distinct_count":
        return AggregateColumn(name, f"count(DISTINCT {kept})", f"coalesce({col}, 0)")
    if trait.aggregate in ("first", "last"):
        cond = f"{match} AND {value} IS NOT NULL" if match else f"{value} IS NOT NULL"
        pick = "arg_min" if trait.aggregate == "first" else "arg_max"
        aggregate = f"{pick}({kept}, CASE WHEN {cond} THEN e.timestamp END)"
        return AggregateColumn(name, aggregate, col)
    return AggregateColumn(name, f"{trait.aggregate}({kept})", col)
