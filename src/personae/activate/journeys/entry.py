"""Who enters a journey at a tick: members who entered its segment, or persons who did
its event within the lookback, unless they are in it already or the re-entry rule says
no (``never``; ``always``: a new entry after their last one; a cool-down: a new entry at
least that long after their last one)."""

from __future__ import annotations

import datetime as dt

from personae.catalog import JOURNEY_STATE, SEGMENT_MEMBERSHIP
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


def entrants_sql(
    config: ProjectConfig, name: str, journey: Journey, now: dt.datetime, events_exist: bool
) -> str | None:
    """``person_id``: who enters ``name`` now."""
    if journey.entry.event is not None and not events_exist:
        return None
    triggers = triggers_sql(config, name, journey, now)
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
