"""Segments to SQL: each segment's conditions become one boolean over a person's row.

A person's row joins, for live persons only (``l``):

* ``traits`` as ``t`` and ``profiles`` as ``p`` — a trait condition names a column of
  either (trait names and profile columns never clash, see
  :func:`personae.profile.traits.trait_columns`);
* ``ec``: one count per event condition of the person's matching events, up to the end
  of the reference date (``within`` counts back from there, as for traits).

Conditions:

* ``{trait: NAME, OP: VALUE}`` with OP among ``= != > >= < <=`` (a scalar), ``in``/``not in``
  (a list), ``is``/``is not`` (``true``, ``false`` or ``null``); NAME may also be a column
  of ``consent_flags``, joined as ``c``: ``{trait: consent_email_marketing, is: true}``;
* ``{event: NAME(S), where:, within:, at_least: 1, at_most:}``: the count of matching
  events is in ``[at_least, at_most]``;
* ``{all: [...]}``, ``{any: [...]}``, ``{not: ...}``.

A segment's top-level ``all`` and ``any`` must both hold when both are given. Every
trait or event condition is two-valued: a comparison with NULL is false (never
unknown), so ``not`` is the exact complement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from personae.catalog import CONSENT_FLAGS, PROFILES, TRAITS
from personae.config.models import ProjectConfig
from personae.config.segments import (
    AllOf,
    AnyOf,
    Condition,
    EventCondition,
    NotCondition,
    SegmentConfig,
    TraitCondition,
)
from personae.errors import ConfigError, NotFoundError
from personae.profile.consent import consent_columns
from personae.profile.golden import profile_columns
from personae.profile.traits import trait_columns
from personae.query.asof import as_of_end, timestamp_sql
from personae.query.events import event_match_sql, event_names
from personae.query.expressions import unknown_name_error
from personae.query.people import LIVE_PERSONS_SQL, person_events_sql
from personae.sql import ident, literal

_COMPARISONS = ("=", "!=", ">", ">=", "<", "<=")


@dataclass(frozen=True)
class EventCount:
    """One event condition: a per-person count column of matching events."""

    column: str
    aggregate: str
    events: tuple[str, ...]


@dataclass
class CompiledSegment:
    name: str
    #: SQL boolean over ``t`` (traits), ``p`` (profiles) and ``ec`` (event counts)
    condition: str
    event_counts: list[EventCount] = field(default_factory=list)
    uses_traits: bool = False
    uses_profiles: bool = False
    uses_consent: bool = False


def value_sql(value: Any, path: str) -> str:
    """A YAML value as a SQL literal."""
    if isinstance(value, dt.datetime):
        return timestamp_sql(value)
    if isinstance(value, dt.date):
        return f"CAST('{value.isoformat()}' AS DATE)"
    if value is None or isinstance(value, bool | int | float | str):
        return literal(value)
    raise ConfigError(f"cannot compare with {value!r}: use a number, text or date", path=path)


def _is_keyword(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if value is None:
        return "NULL"
    if isinstance(value, str) and value.lower() in ("true", "false", "null"):
        return value.upper()
    raise ConfigError(f"'is' and 'is not' take true, false or null, not {value!r}", path=path)


class _Compiler:
    def __init__(self, config: ProjectConfig, name: str, prefix: str) -> None:
        self.config = config
        self.name = name
        self.prefix = prefix
        self.traits = set(trait_columns(config))
        self.profiles = set(profile_columns(config)) - {"person_id"}
        self.consent = set(consent_columns(config))
        self.result = CompiledSegment(name=name, condition="")

    def compile(self, segment: SegmentConfig) -> CompiledSegment:
        base = f"segments.{self.name}"
        parts: list[str] = []
        if segment.all:
            parts.append(self._all(segment.all, f"{base}.all"))
        if segment.any:
            parts.append(self._any(segment.any, f"{base}.any"))
        self.result.condition = " AND ".join(parts)
        return self.result

    def _all(self, conditions: list[Condition], path: str) -> str:
        return self._join(" AND ", conditions, path)

    def _any(self, conditions: list[Condition], path: str) -> str:
        return self._join(" OR ", conditions, path)

    def _join(self, glue: str, conditions: list[Condition], path: str) -> str:
        parts = [self._one(c, f"{path}[{i}]") for i, c in enumerate(conditions)]
        return "(" + glue.join(parts) + ")"

    def _one(self, condition: Condition, path: str) -> str:
        if isinstance(condition, TraitCondition):
            return self._trait(condition, path)
        if isinstance(condition, EventCondition):
            return self._event(condition, path)
        if isinstance(condition, AllOf):
            return self._all(condition.all, f"{path}.all")
        if isinstance(condition, AnyOf):
            return self._any(condition.any, f"{path}.any")
        if isinstance(condition, NotCondition):
            return f"(NOT {self._one(condition.not_, f'{path}.not')})"
        raise ConfigError(f"unknown condition {condition!r}", path=path)  # pragma: no cover

    def _column(self, name: str, path: str) -> str:
        if name in self.traits:
            self.result.uses_traits = True
            return f"t.{ident(name)}"
        if name in self.profiles:
            self.result.uses_profiles = True
            return f"p.{ident(name)}"
        if name in self.consent:
            self.result.uses_consent = True
            return f"c.{ident(name)}"
        raise unknown_name_error(
            name,
            "trait, profile field or consent column",
            [*self.traits, *self.profiles, *self.consent],
            f"{path}.trait",
        )

    def _trait(self, condition: TraitCondition, path: str) -> str:
        column = self._column(condition.trait, path)
        op, value = condition.operator, condition.value
        where = f"{path}.{op}"
        if op in ("is", "is not"):
            return f"({column} {op.upper()} {_is_keyword(value, where)})"
        if op in ("in", "not in"):
            values = value if isinstance(value, list) else [value]
            if any(v is None for v in values):
                raise ConfigError(f"'{op}' cannot list null; add {{is: null}}", path=where)
            if not values:
                return "FALSE" if op == "in" else "TRUE"
            listed = ", ".join(value_sql(v, where) for v in values)
            return f"coalesce({column} {op.upper()} ({listed}), FALSE)"
        if value is None:
            hint = "is" if op == "=" else "is not"
            raise ConfigError(f"compare with null using '{hint}: null', not '{op}'", path=where)
        if isinstance(value, list):
            raise ConfigError(f"'{op}' takes one value; use 'in' for a list", path=where)
        sql_op = "<>" if op == "!=" else op
        return f"coalesce({column} {sql_op} {value_sql(value, where)}, FALSE)"

    def _event(self, condition: EventCondition, path: str) -> str:
        if condition.at_least < 0:
            raise ConfigError("at_least cannot be negative", path=f"{path}.at_least")
        if condition.at_most is not None and condition.at_most < condition.at_least:
            raise ConfigError(
                f"at_most ({condition.at_most}) is below at_least ({condition.at_least})",
                path=f"{path}.at_most",
            )
        match = event_match_sql(
            self.config,
            event=condition.event,
            where=condition.where,
            within=condition.within,
            path=path,
        )
        column = f"{self.prefix}c{len(self.result.event_counts)}"
        self.result.event_counts.append(
            EventCount(column, f"count(CASE WHEN {match} THEN 1 END)", event_names(condition.event))
        )
        count = f"coalesce(ec.{column}, 0)"
        test = f"{count} >= {condition.at_least}"
        if condition.at_most is not None:
            test += f" AND {count} <= {condition.at_most}"
        return f"({test})"


def compile_segment(config: ProjectConfig, name: str, prefix: str = "") -> CompiledSegment:
    """Compile segment ``name``; event count columns are named ``<prefix>c<i>``."""
    if name not in config.segments:
        raise NotFoundError(
            f"no segment {name!r} in personae.yml; segments: {', '.join(config.segments) or 'none'}"
        )
    return _Compiler(config, name, prefix).compile(config.segments[name])


def event_counts_sql(config: ProjectConfig, counts: list[EventCount]) -> str:
    """Per-person counts for the event conditions, in one pass over the events."""
    names = tuple(sorted({n for c in counts for n in c.events}))
    events = person_events_sql(timestamp_sql(as_of_end(config)), events=names)
    select = ", ".join(f"{c.aggregate} AS {c.column}" for c in counts)
    return f"SELECT e.person_id, {select}\nFROM ({events}) e\nGROUP BY e.person_id"


def members_sql(compiled: CompiledSegment, event_counts: str | None) -> str:
    """SELECT of the ``person_id`` of every member; ``event_counts`` is a relation with
    the segment's count columns (a table name or a parenthesised query)."""
    joins = []
    if compiled.uses_traits:
        joins.append(f"LEFT JOIN {TRAITS} t ON t.person_id = l.person_id")
    if compiled.uses_profiles:
        joins.append(f"LEFT JOIN {PROFILES} p ON p.person_id = l.person_id")
    if compiled.uses_consent:
        joins.append(f"LEFT JOIN {CONSENT_FLAGS} c ON c.person_id = l.person_id")
    if compiled.event_counts:
        if event_counts is None:
            raise ValueError("the segment has event conditions: give the event counts")
        joins.append(f"LEFT JOIN {event_counts} ec ON ec.person_id = l.person_id")
    return (
        f"SELECT l.person_id\nFROM ({LIVE_PERSONS_SQL}) l\n"
        + "".join(f"{j}\n" for j in joins)
        + f"WHERE {compiled.condition}"
    )


def segment_sql(config: ProjectConfig, name: str) -> str:
    """The standalone SQL selecting the members of segment ``name`` (for ``--explain``)."""
    compiled = compile_segment(config, name)
    counts = (
        f"(\n{event_counts_sql(config, compiled.event_counts)}\n)"
        if compiled.event_counts
        else None
    )
    return members_sql(compiled, counts)
