"""A branch's, a wait's or an exit's test as SQL: which persons of a relation pass it.

The relation (aliased ``x``) has ``person_id``, ``entered_at`` (when the person entered
the journey) and ``since_at`` (from when events count). Event tests read the live
persons' events (``query.people``), segment tests ``segment_membership``, and conditions
are compiled by the segment compiler, as segments are, as of the clock's day.
"""

from __future__ import annotations

import datetime as dt

from personae.catalog import ACTIVATION_MESSAGES, EVENTS, SEGMENT_MEMBERSHIP
from personae.config.journeys import Test
from personae.config.models import ProjectConfig
from personae.config.segments import SegmentConfig
from personae.engine import Engine
from personae.errors import ConfigError
from personae.query.asof import timestamp_sql
from personae.query.events import event_match_sql, event_names
from personae.query.expressions import property_sql
from personae.query.people import person_events_sql
from personae.segment.compile import segment_members_sql
from personae.sql import literal


def describe(test: Test) -> str:
    """A test in words, for paths and reasons."""
    if test.segment is not None:
        return f"{'in' if test.member else 'not in'} segment {test.segment}"
    if test.event is not None:
        names = " or ".join(event_names(test.event))
        return f"did {names}" + (f" for {test.message_of}" if test.message_of else "")
    return "condition held"


def passing_sql(
    config: ProjectConfig,
    journey: str,
    test: Test,
    relation: str,
    now: dt.datetime,
    path: str,
    *,
    events_exist: bool = True,
    live_events: str | None = None,
) -> str:
    """SELECT of the ``person_id`` of the rows of ``relation`` that pass ``test``;
    ``live_events`` (a relation shaped as :func:`person_events_sql`'s rows): events the
    streaming worker saw since the last run, which event tests read too."""
    source = f"({relation}) x"
    if test.segment is not None:
        exists = (
            f"EXISTS (SELECT 1 FROM {SEGMENT_MEMBERSHIP} m WHERE m.person_id = x.person_id "
            f"AND m.segment = {literal(test.segment)})"
        )
        return f"SELECT x.person_id FROM {source} WHERE {'' if test.member else 'NOT '}{exists}"
    if test.condition is not None:
        name = f"journeys.{journey}.{path}"
        probe = config.model_copy(
            update={
                "segments": {**config.segments, name: SegmentConfig(all=[test.condition])},
                "as_of": now.date(),
            }
        )
        try:
            members = segment_members_sql(probe, name, now=now, prefix="jc")
        except ConfigError as error:
            raise _renamed(error, f"segments.{name}.all[0]", f"{name}.condition") from error
        return f"SELECT x.person_id FROM {source} WHERE x.person_id IN ({members})"
    if not events_exist and live_events is None:
        return f"SELECT x.person_id FROM {source} WHERE FALSE"
    match = event_match_sql(config, event=test.event, where=test.where, within=None, path=path)
    before = timestamp_sql(now + dt.timedelta(microseconds=1))
    names = event_names(test.event)
    parts = [person_events_sql(before, events=names)] if events_exist else []
    if live_events is not None:
        listed = ", ".join(literal(n) for n in names)
        parts.append(
            "SELECT person_id, source, record_id, event, timestamp, properties "
            f"FROM {live_events} WHERE timestamp < {before}"
            + (f" AND event IN ({listed})" if names else "")
        )
    events = " UNION ALL ".join(parts)
    sql = (
        f"SELECT DISTINCT x.person_id FROM {source} JOIN ({events}) e "
        "ON e.person_id = x.person_id AND e.timestamp >= x.since_at"
    )
    if test.message_of is not None:
        sql += (
            f" JOIN {ACTIVATION_MESSAGES} am ON am.journey = {literal(journey)} "
            f"AND am.step = {literal(test.message_of)} AND am.person_id = x.person_id "
            "AND am.status = 'sent' AND am.decided_at >= x.entered_at "
            f"AND {property_sql('message_id', 'e')} = am.message_id"
        )
    return sql + (f" WHERE {match}" if match else "")


def _renamed(error: ConfigError, old: str, new: str) -> ConfigError:
    """The compiler's error about the probe segment, placed where the user wrote it."""
    message = str(error).removeprefix(f"{error.file}: {error.path}: ")
    return ConfigError(message, file=error.file, path=error.path.replace(old, new, 1))


def passing(
    engine: Engine,
    config: ProjectConfig,
    journey: str,
    test: Test,
    relation: str,
    now: dt.datetime,
    path: str,
    live_events: str | None = None,
) -> set[int]:
    """The person ids of ``relation`` that pass ``test``."""
    sql = passing_sql(
        config,
        journey,
        test,
        relation,
        now,
        path,
        events_exist=engine.table_exists(EVENTS),
        live_events=live_events,
    )
    return {int(row[0]) for row in engine.rows(sql)}
