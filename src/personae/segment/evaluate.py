"""Evaluate every segment into ``segment_membership`` and log changes in ``segment_history``.

One run:

1. the event conditions of all segments are aggregated in one pass over the events
   (a temporary table), and each distinct sequence condition is evaluated once (a
   temporary table each); a segment referring to another compiles that segment's
   condition in place, so it sees this run's answer;
2. the current members of every segment are selected (a temporary table); only live
   persons can be members, so a person id merged away since the previous run leaves;
3. compared with the previous ``segment_membership``: new members are appended to
   ``segment_history`` as ``enter`` at ``now``, members who left (including members of
   segments no longer in ``personae.yml``) as ``exit`` at ``now``;
4. ``segment_membership`` is replaced: members who stayed keep their ``since``, new
   members get ``now``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from personae.catalog import (
    CONSENT_FLAGS,
    EVENTS,
    IDENTITY_MAP,
    PERSONS,
    PROFILES,
    TRAITS,
)
from personae.catalog import SEGMENT_HISTORY as HISTORY
from personae.catalog import SEGMENT_MEMBERSHIP as MEMBERSHIP
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.query.asof import timestamp_sql
from personae.query.tables import require_tables
from personae.segment.compile import (
    CompiledSegment,
    compile_segment,
    event_counts_sql,
    members_sql,
    person_events,
    sequence_sql,
)
from personae.sql import literal

_COUNTS = "_segment_event_counts"
_CURRENT = "_segment_current"
_NEXT = "_segment_next"
_SEQUENCE = "_segment_sequence_{}"
_SEQUENCE_EVENTS = "_segment_sequence_events"
_NO_MEMBERS = (
    "SELECT CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS VARCHAR) AS segment WHERE FALSE"
)


@dataclass
class SegmentResult:
    segment: str
    size: int = 0
    entered: int = 0
    exited: int = 0


@dataclass
class SegmentsReport:
    segments: list[SegmentResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> SegmentResult:
        for result in self.segments:
            if result.segment == name:
                return result
        raise KeyError(name)


def _ensure_tables(engine: Engine) -> None:
    engine.execute(
        f"CREATE TABLE IF NOT EXISTS {MEMBERSHIP} "
        "(person_id BIGINT, segment VARCHAR, since TIMESTAMP)"
    )
    engine.execute(
        f"CREATE TABLE IF NOT EXISTS {HISTORY} "
        '(person_id BIGINT, segment VARCHAR, action VARCHAR, "at" TIMESTAMP)'
    )


def _check_inputs(engine: Engine, compiled: list[CompiledSegment]) -> None:
    required = [PERSONS]
    if any(c.uses_traits for c in compiled):
        required.append(TRAITS)
    if any(c.uses_profiles for c in compiled):
        required.append(PROFILES)
    if any(c.uses_consent for c in compiled):
        required.append(CONSENT_FLAGS)
    if any(c.event_counts or c.sequences for c in compiled):
        required += [IDENTITY_MAP, EVENTS]
    require_tables(engine, required)


def evaluate_segments(engine: Engine, config: ProjectConfig, now: dt.datetime) -> SegmentsReport:
    """Recompute every segment's members as of ``now`` and record entries and exits."""
    compiled = [
        compile_segment(config, name, prefix=f"s{i}_", now=now)
        for i, name in enumerate(config.segments)
    ]
    _check_inputs(engine, compiled)
    _ensure_tables(engine)
    at = timestamp_sql(now)

    counts = [count for c in compiled for count in c.event_counts]
    temporary = [_CURRENT, _NEXT]
    try:
        if counts:
            temporary.append(_COUNTS)
            engine.execute(
                f"CREATE OR REPLACE TEMP TABLE {_COUNTS} AS {event_counts_sql(config, counts)}"
            )
        # one table per distinct sequence (a segment and the segments referring to it
        # share theirs)
        tables: dict[str, str] = {}
        relations: list[dict[str, str]] = []
        named = sorted({n for c in compiled for join in c.sequences for n in join.events})
        if named:
            # the sequences' events, matched to live persons once: each step reads them
            temporary.append(_SEQUENCE_EVENTS)
            engine.execute(
                f"CREATE OR REPLACE TEMP TABLE {_SEQUENCE_EVENTS} AS "
                f"{person_events(config, tuple(named))}"
            )
        for c in compiled:
            relations.append({})
            for join in c.sequences:
                sql = sequence_sql(config, join, events=_SEQUENCE_EVENTS)
                if sql not in tables:
                    tables[sql] = _SEQUENCE.format(len(tables))
                    temporary.append(tables[sql])
                    engine.execute(f"CREATE OR REPLACE TEMP TABLE {tables[sql]} AS {sql}")
                relations[-1][join.alias] = tables[sql]
        selects = [
            f"SELECT m.person_id, {literal(c.name)} AS segment FROM (\n"
            f"{members_sql(c, _COUNTS if c.event_counts else None, sequences=r)}\n) m"
            for c, r in zip(compiled, relations, strict=True)
        ] or [
            "SELECT CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS VARCHAR) AS segment WHERE FALSE"
        ]
        engine.execute(
            f"CREATE OR REPLACE TEMP TABLE {_CURRENT} AS " + "\nUNION ALL\n".join(selects)
        )
        sizes = engine.rows(
            "SELECT coalesce(c.segment, m.segment) AS segment, count(c.person_id) AS size, "
            "count(CASE WHEN m.person_id IS NULL THEN 1 END) AS entered, "
            "count(CASE WHEN c.person_id IS NULL THEN 1 END) AS exited "
            f"FROM {_CURRENT} c FULL OUTER JOIN {MEMBERSHIP} m "
            "ON m.person_id = c.person_id AND m.segment = c.segment "
            "GROUP BY coalesce(c.segment, m.segment)"
        )
        engine.execute(
            f"CREATE OR REPLACE TEMP TABLE {_NEXT} AS "
            f"SELECT c.person_id, c.segment, coalesce(m.since, {at}) AS since "
            f"FROM {_CURRENT} c LEFT JOIN {MEMBERSHIP} m "
            "ON m.person_id = c.person_id AND m.segment = c.segment"
        )
        engine.execute(
            f'INSERT INTO {HISTORY} (person_id, segment, action, "at") '
            f"SELECT c.person_id, c.segment, 'enter', {at} "
            f"FROM {_CURRENT} c LEFT JOIN {MEMBERSHIP} m "
            "ON m.person_id = c.person_id AND m.segment = c.segment "
            "WHERE m.person_id IS NULL "
            "UNION ALL "
            f"SELECT m.person_id, m.segment, 'exit', {at} "
            f"FROM {MEMBERSHIP} m LEFT JOIN {_CURRENT} c "
            "ON c.person_id = m.person_id AND c.segment = m.segment "
            "WHERE c.person_id IS NULL"
        )
        engine.create_table_as(
            MEMBERSHIP, f"SELECT person_id, segment, since FROM {_NEXT} ORDER BY segment, person_id"
        )
    finally:
        for table in temporary:
            engine.drop_table(table)

    found = {row[0]: SegmentResult(row[0], int(row[1]), int(row[2]), int(row[3])) for row in sizes}
    ordered = [found.pop(name, SegmentResult(name)) for name in config.segments]
    return SegmentsReport(ordered + [found[name] for name in sorted(found)])
