"""Segments to SQL: each segment's conditions become one boolean over a person's row.

A person's row joins, for live persons only (``l``):

* ``traits`` as ``t`` and ``profiles`` as ``p`` — a trait condition names a column of
  either (trait names and profile columns never clash, see
  :func:`personae.profile.traits.trait_columns`);
* ``ec``: one aggregate column per event condition (a count, an aggregate of a property,
  the first or last time) over the person's matching events, up to the end of the
  reference date (``within`` counts back from there, as for traits), in one pass;
* ``q<i>``: one relation per sequence condition, of the persons it holds for (see
  :mod:`personae.segment.sequences`).

Conditions:

* ``{trait: NAME, OP: VALUE}`` with OP among ``= != > >= < <=`` (a scalar), ``in``/``not in``
  (a list), ``is``/``is not`` (``true``, ``false`` or ``null``); NAME may also be a column
  of ``consent_flags``, joined as ``c``: ``{trait: consent_email_marketing, is: true}``;
* ``{event: NAME(S), where:, within:, at_least: 1, at_most:}``: the count of matching
  events is in ``[at_least, at_most]``;
* ``{event: NAME(S), sum|avg|min|max|distinct_count: PROPERTY, OP: VALUE, where:,
  within:}``: an aggregate of a property of the matching events compares with VALUE
  (``sum`` and ``distinct_count`` are 0 without events; ``avg``/``min``/``max`` NULL);
* ``{first|last: NAME(S), where:, within:, before:}``: the person's first (last) matching
  event ever is in the window ``[end - within, end - before)``;
* ``{sequence: [A, B, ...], within:, started_within:}`` and ``{sequence: [A, {not: B}],
  ...}``: see :mod:`personae.segment.sequences`;
* ``{segment: NAME, member: true}``: the condition of segment NAME, compiled in place, so
  a reference sees the same run's answer (and a restricted evaluation stays restricted);
  cycles and unknown names are ConfigErrors;
* ``{all: [...]}``, ``{any: [...]}``, ``{not: ...}``.

Restricting to a set of persons (``persons``: a relation with ``person_id``) gives every
person of the set the answer of the full run: each person's answer reads only that
person's rows.

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
    OccurrenceCondition,
    SegmentConfig,
    SegmentReference,
    SequenceCondition,
    TraitCondition,
)
from personae.errors import ConfigError, NotFoundError
from personae.profile.consent import consent_columns
from personae.profile.golden import profile_columns
from personae.profile.traits import trait_columns
from personae.query.asof import as_of_end, timestamp_sql, window_delta, window_start
from personae.query.events import event_match_sql, event_names
from personae.query.expressions import EVENT_COLUMNS, property_sql, unknown_name_error
from personae.query.people import LIVE_PERSONS_SQL, person_events_sql
from personae.segment.sequences import CompiledSequence
from personae.sql import ident, literal


@dataclass(frozen=True)
class EventCount:
    """One event condition: a per-person aggregate column over matching events."""

    column: str
    aggregate: str
    events: tuple[str, ...]


@dataclass(frozen=True)
class SequenceJoin:
    """One sequence condition of a segment, joined as ``alias``."""

    alias: str
    sequence: CompiledSequence
    events: tuple[str, ...]


@dataclass
class CompiledSegment:
    name: str
    #: SQL boolean over ``t`` (traits), ``p`` (profiles), ``c`` (consent), ``ec`` (event
    #: aggregates) and the sequence relations
    condition: str
    event_counts: list[EventCount] = field(default_factory=list)
    sequences: list[SequenceJoin] = field(default_factory=list)
    uses_traits: bool = False
    uses_profiles: bool = False
    uses_consent: bool = False
    #: the segments it refers to, directly or not
    references: list[str] = field(default_factory=list)


def reference_time(config: ProjectConfig, now: dt.datetime | None) -> dt.datetime:
    """The time "has it passed yet" is judged at: ``now`` (naive UTC), but never after
    the end of the reference date (a run ``as_of`` a past day judges at its end)."""
    end = as_of_end(config)
    if now is None:
        return end
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    return min(now, end)


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


def comparison_sql(column: str, op: str, value: Any, where: str) -> str:
    """``column OP value``, two-valued: NULL compares as false."""
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


def _cast_for(value: Any) -> str | None:
    """The SQL type a property is read as to compare it with ``value``."""
    sample = value[0] if isinstance(value, list) and value else value
    if isinstance(sample, bool):
        return "BOOLEAN"
    if isinstance(sample, int | float):
        return "DOUBLE"
    if isinstance(sample, dt.datetime):
        return "TIMESTAMP"
    if isinstance(sample, dt.date):
        return "DATE"
    return None


class _Compiler:
    def __init__(
        self, config: ProjectConfig, name: str, prefix: str, now: dt.datetime | None
    ) -> None:
        self.config = config
        self.name = name
        self.prefix = prefix
        self.reference = reference_time(config, now)
        self.traits = set(trait_columns(config))
        self.profiles = set(profile_columns(config)) - {"person_id"}
        self.consent = set(consent_columns(config))
        self.result = CompiledSegment(name=name, condition="")
        #: the segments being compiled, outermost first (to report cycles)
        self.stack: list[str] = [name]

    def compile(self, segment: SegmentConfig) -> CompiledSegment:
        self.result.condition = self._segment(segment, f"segments.{self.name}")
        return self.result

    def _segment(self, segment: SegmentConfig, base: str) -> str:
        parts: list[str] = []
        if segment.all:
            parts.append(self._all(segment.all, f"{base}.all"))
        if segment.any:
            parts.append(self._any(segment.any, f"{base}.any"))
        return " AND ".join(parts)

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
        if isinstance(condition, OccurrenceCondition):
            return self._occurrence(condition, path)
        if isinstance(condition, SequenceCondition):
            return self._sequence(condition, path)
        if isinstance(condition, SegmentReference):
            return self._reference(condition, path)
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
        return comparison_sql(column, op, value, f"{path}.{op}")

    def _aggregate_column(self, aggregate: str, events: tuple[str, ...]) -> str:
        """A new column of the one pass over the events; its SQL name."""
        column = f"{self.prefix}c{len(self.result.event_counts)}"
        self.result.event_counts.append(EventCount(column, aggregate, events))
        return f"ec.{column}"

    def _event(self, condition: EventCondition, path: str) -> str:
        match = event_match_sql(
            self.config,
            event=condition.event,
            where=condition.where,
            within=condition.within,
            path=path,
        )
        names = event_names(condition.event)
        if condition.aggregate is not None:
            return self._property_aggregate(condition, match, names, path)
        if condition.at_least < 0:
            raise ConfigError("at_least cannot be negative", path=f"{path}.at_least")
        if condition.at_most is not None and condition.at_most < condition.at_least:
            raise ConfigError(
                f"at_most ({condition.at_most}) is below at_least ({condition.at_least})",
                path=f"{path}.at_most",
            )
        column = self._aggregate_column(f"count(CASE WHEN {match} THEN 1 END)", names)
        count = f"coalesce({column}, 0)"
        test = f"{count} >= {condition.at_least}"
        if condition.at_most is not None:
            test += f" AND {count} <= {condition.at_most}"
        return f"({test})"

    def _property_aggregate(
        self, condition: EventCondition, match: str | None, names: tuple[str, ...], path: str
    ) -> str:
        assert condition.aggregate is not None
        kind, name = condition.aggregate
        op, value = condition.operator, condition.value
        where = f"{path}.{op}"
        if kind in ("sum", "avg") and name in EVENT_COLUMNS:
            raise ConfigError(
                f"'{kind}' adds up a number property, not the column {name!r}",
                path=f"{path}.{kind}",
            )
        if name in EVENT_COLUMNS:
            read = f"e.{ident(name)}"
        elif kind in ("sum", "avg"):
            read = property_sql(name, cast="DOUBLE")
        elif kind == "distinct_count":
            read = property_sql(name)
        else:
            read = property_sql(name, cast=_cast_for(value))
        if kind == "distinct_count":
            aggregate = f"count(DISTINCT CASE WHEN {match} THEN {read} END)"
        else:
            aggregate = f"{kind}(CASE WHEN {match} THEN {read} END)"
        column = self._aggregate_column(aggregate, names)
        if kind in ("sum", "distinct_count"):
            column = f"coalesce({column}, 0)"
        return comparison_sql(column, op, value, where)

    def _occurrence(self, condition: OccurrenceCondition, path: str) -> str:
        match = event_match_sql(
            self.config, event=condition.event, where=condition.where, within=None, path=path
        )
        pick = "min" if condition.first is not None else "max"
        column = self._aggregate_column(
            f"{pick}(CASE WHEN {match} THEN e.timestamp END)", event_names(condition.event)
        )
        tests: list[str] = []
        if condition.within is not None:
            start = window_start(self.config, condition.within)
            tests.append(f"{column} >= {timestamp_sql(start)}")
        if condition.before is not None:
            if condition.within is not None and window_delta(condition.before) >= window_delta(
                condition.within
            ):
                raise ConfigError(
                    f"before ({condition.before}) must be shorter than within "
                    f"({condition.within}): the window is [within ago, before ago)",
                    path=f"{path}.before",
                )
            tests.append(f"{column} < {timestamp_sql(window_start(self.config, condition.before))}")
        return f"coalesce({' AND '.join(tests)}, FALSE)"

    def _sequence(self, condition: SequenceCondition, path: str) -> str:
        steps = tuple(
            event_match_sql(
                self.config,
                event=step.event,
                where=step.where,
                within=None,
                path=f"{path}.sequence[{i}]",
            )
            or "TRUE"
            for i, step in enumerate(condition.steps)
        )
        started = (
            window_start(self.config, condition.started_within)
            if condition.started_within is not None
            else None
        )
        sequence = CompiledSequence(
            steps=steps,
            abandoned=condition.abandoned,
            within=window_delta(condition.within) if condition.within is not None else None,
            started=started,
            reference=self.reference,
        )
        alias = f"{self.prefix}q{len(self.result.sequences)}"
        names = tuple(n for step in condition.steps for n in event_names(step.event))
        self.result.sequences.append(SequenceJoin(alias, sequence, names))
        return f"({alias}.person_id IS NOT NULL)"

    def _reference(self, condition: SegmentReference, path: str) -> str:
        name = condition.segment
        segments = self.config.segments
        if name not in segments:
            others = [s for s in segments if s not in self.stack]
            raise unknown_name_error(name, "segment", others, f"{path}.segment")
        if name in self.stack:
            loop = " -> ".join([*self.stack[self.stack.index(name) :], name])
            raise ConfigError(
                f"segment {self.stack[-1]!r} refers to {name!r}, which refers back to it "
                f"({loop}); a segment cannot contain itself: remove one of these references",
                path=f"{path}.segment",
            )
        if name not in self.result.references:
            self.result.references.append(name)
        self.stack.append(name)
        inner = self._segment(segments[name], f"segments.{name}")
        self.stack.pop()
        return f"({inner})" if condition.member else f"(NOT ({inner}))"


def compile_segment(
    config: ProjectConfig, name: str, prefix: str = "", now: dt.datetime | None = None
) -> CompiledSegment:
    """Compile segment ``name``; event aggregate columns are named ``<prefix>c<i>``,
    sequence relations ``<prefix>q<i>``. ``now`` is when the run happens (abandonments
    are judged at :func:`reference_time`; default: the end of the reference date)."""
    if name not in config.segments:
        raise NotFoundError(
            f"no segment {name!r} in personae.yml; segments: {', '.join(config.segments) or 'none'}"
        )
    return _Compiler(config, name, prefix, now).compile(config.segments[name])


def person_events(
    config: ProjectConfig, events: tuple[str, ...], persons: str | None = None
) -> str:
    """The live persons' named events up to the end of the reference date, optionally
    only of the persons of the relation ``persons`` (a parenthesised relation)."""
    return person_events_sql(timestamp_sql(as_of_end(config)), events=events, persons=persons)


def event_counts_sql(
    config: ProjectConfig, counts: list[EventCount], persons: str | None = None
) -> str:
    """Per-person aggregates for the event conditions, in one pass over the events."""
    names = tuple(sorted({n for c in counts for n in c.events}))
    events = person_events(config, names, persons)
    select = ", ".join(f"{c.aggregate} AS {c.column}" for c in counts)
    return f"SELECT e.person_id, {select}\nFROM ({events}) e\nGROUP BY e.person_id"


def sequence_sql(
    config: ProjectConfig,
    join: SequenceJoin,
    persons: str | None = None,
    *,
    events: str | None = None,
) -> str:
    """The ``person_id`` of the persons a sequence condition holds for; ``events``, when
    given, is a relation of the persons' events holding at least the sequence's (a
    table the caller filled once with :func:`person_events`), else they are read here."""
    if events is None:
        events = f"({person_events(config, tuple(sorted(set(join.events))), persons)})"
    return join.sequence.sql(events)


def members_sql(
    compiled: CompiledSegment,
    event_counts: str | None,
    *,
    sequences: dict[str, str] | None = None,
    persons: str | None = None,
) -> str:
    """SELECT of the ``person_id`` of every member; ``event_counts`` is a relation with
    the segment's aggregate columns (a table name or a parenthesised query),
    ``sequences`` the relation of each sequence alias, ``persons`` (a relation with
    ``person_id``) restricts the answer to those persons."""
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
    for join in compiled.sequences:
        if sequences is None or join.alias not in sequences:
            raise ValueError(f"the segment has sequence {join.alias}: give its relation")
        relation = sequences[join.alias]
        joins.append(f"LEFT JOIN {relation} {join.alias} ON {join.alias}.person_id = l.person_id")
    live = LIVE_PERSONS_SQL
    if persons is not None:
        live += f" AND person_id IN (SELECT touched.person_id FROM {persons} touched)"
    return (
        f"SELECT l.person_id\nFROM ({live}) l\n"
        + "".join(f"{j}\n" for j in joins)
        + f"WHERE {compiled.condition}"
    )


def segment_members_sql(
    config: ProjectConfig,
    name: str,
    *,
    now: dt.datetime | None = None,
    persons: str | None = None,
    prefix: str = "",
) -> str:
    """The standalone SQL selecting the members of segment ``name``, optionally only
    among the persons of the relation ``persons`` (a table name or a parenthesised
    query with ``person_id``): each of them gets the answer of the full evaluation."""
    compiled = compile_segment(config, name, prefix=prefix, now=now)
    counts = (
        f"(\n{event_counts_sql(config, compiled.event_counts, persons)}\n)"
        if compiled.event_counts
        else None
    )
    sequences = {j.alias: f"(\n{sequence_sql(config, j, persons)}\n)" for j in compiled.sequences}
    return members_sql(compiled, counts, sequences=sequences, persons=persons)


def segment_sql(config: ProjectConfig, name: str, now: dt.datetime | None = None) -> str:
    """The standalone SQL selecting the members of segment ``name`` (for ``--explain``)."""
    return segment_members_sql(config, name, now=now)
