"""Who enters a journey at a tick: members who entered its segment, or persons who did
its event within the lookback, unless they are in it already or the re-entry rule says
no (``never``; ``always``: a new entry after their last one; a cool-down: a new entry at
least that long after their last one).

The streaming worker's triggers (:mod:`personae.activate.triggers`) let a person in
before the next run has seen the entry: an ``entered`` trigger for the journey's segment,
or an ``event`` trigger for its event (without ``where``). Only for journeys a person
enters once (``reentry: never``): the run later shows the same entry with its own time,
which a journey taking re-entries could not tell from a new one. Persons the warehouse
does not know yet (the stream's provisional persons) enter after the next run."""

from __future__ import annotations

import datetime as dt

from personae.catalog import JOURNEY_STATE, PERSONS, SEGMENT_MEMBERSHIP
from personae.config.journeys import Journey
from personae.config.models import ProjectConfig
from personae.query.asof import timestamp_sql, window_delta
from personae.query.events import event_match_sql, event_names
from personae.query.people import person_events_sql
from personae.sql import literal


def triggers_sql(
    config: ProjectConfig, name: str, journey: Journey, now: dt.datetime
) -> str | None:
    """``(person_id, at)``: each person's latest trigger (segment entry, event) up to now;
    None when there can be none (no events at all)."""
    entry = journey.entry
    if entry.segment is not None:
        return (
            f"SELECT person_id, since AS at FROM {SEGMENT_MEMBERSHIP} "
            f"WHERE segment = {literal(entry.segment)} AND since <= {timestamp_sql(now)}"
        )
    before = timestamp_sql(now + dt.timedelta(microseconds=1))
    events = person_events_sql(before, events=event_names(entry.event))
    match = event_match_sql(
        config, event=entry.event, where=entry.where, within=None, path=f"journeys.{name}.entry"
    )
    start = timestamp_sql(now - window_delta(entry.lookback))
    where = f"e.timestamp >= {start}" + (f" AND {match}" if match else "")
    return (
        f"SELECT e.person_id, max(e.timestamp) AS at FROM ({events}) e WHERE {where} "
        "GROUP BY e.person_id"
    )


def live_triggers_sql(journey: Journey, now: dt.datetime, live: str) -> str | None:
    """``(person_id, at)`` from the stream's triggers in the relation ``live`` (``person_id,
    kind, name, at``), or None when they cannot let anyone in (see the module)."""
    entry = journey.entry
    if journey.reentry != "never":
        return None
    if entry.segment is not None:
        wanted = f"l.kind = 'entered' AND l.name = {literal(entry.segment)}"
    elif entry.where is None:
        names = ", ".join(literal(n) for n in event_names(entry.event))
        start = timestamp_sql(now - window_delta(entry.lookback))
        wanted = f"l.kind = 'event' AND l.name IN ({names}) AND l.at >= {start}"
    else:
        return None
    return (
        f"SELECT l.person_id, max(l.at) AS at FROM {live} l "
        f"JOIN {PERSONS} p ON p.person_id = l.person_id AND p.merged_into IS NULL "
        f"WHERE {wanted} AND l.at <= {timestamp_sql(now)} GROUP BY l.person_id"
    )


def entrants_sql(
    config: ProjectConfig,
    name: str,
    journey: Journey,
    now: dt.datetime,
    events_exist: bool,
    live: str | None = None,
) -> str | None:
    """``person_id``: who enters ``name`` now; ``live``: the stream's triggers (a
    relation), which may let persons in too."""
    streamed = live_triggers_sql(journey, now, live) if live is not None else None
    triggers: str | None = None
    if journey.entry.event is None or events_exist:
        triggers = triggers_sql(config, name, journey, now)
    if streamed is not None:
        both = f"{triggers} UNION ALL {streamed}" if triggers else streamed
        triggers = f"SELECT u.person_id, max(u.at) AS at FROM ({both}) u GROUP BY u.person_id"
    if triggers is None:
        return None
    if journey.reentry == "never":
        again = "FALSE"
    elif journey.reentry == "always":
        again = "t.at > s.entered_at"
    else:
        cool = timestamp_sql(now - window_delta(journey.reentry))
        again = f"t.at > s.entered_at AND s.entered_at <= {cool}"
    return (
        f"SELECT t.person_id FROM ({triggers}) t LEFT JOIN {JOURNEY_STATE} s "
        f"ON s.journey = {literal(name)} AND s.person_id = t.person_id "
        f"WHERE s.person_id IS NULL OR (s.status IN ('done', 'exited') AND {again})"
    )
