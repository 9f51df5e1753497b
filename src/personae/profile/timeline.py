"""One person's timeline across channels: every event and every people record, newest
first, for the customer 360 page (and anything else that shows a person's history).

The person's records come from ``identity_map`` (a retired id is followed to the live
person it was merged into), filtered first; ``events`` and ``records`` are then joined on
(source, record_id) to that short list, so a page costs one pass over the person's
records, not a scan ordered by time. Pages are keyset-paginated: ``next_cursor`` of one
page is ``before`` of the next, and stays right while new events arrive.

    page = person_timeline(engine, 42, sources=["orders"], limit=20)
    for item in page.items:
        print(item.at, item.source, item.name, item.summary)
    more = person_timeline(engine, 42, sources=["orders"], before=page.next_cursor)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from personae.catalog import EVENTS, IDENTITY_MAP, PERSONS, RECORDS
from personae.engine import Engine
from personae.errors import PersonaeError
from personae.query.tables import require_tables
from personae.sql import ident
from personae.unify.stable_ids import resolve_person_id

#: the most properties (or record fields) an item's summary keeps
SUMMARY_FIELDS = 12
#: the longest text value a summary keeps (longer ones end with "…")
SUMMARY_CHARS = 120
#: the most items a page may hold
MAX_LIMIT = 500
#: records' columns that are not values of the person (keys, flags, lineage)
_RECORD_META = ("source", "record_id", "source_kind", "observed_at", "phone_valid", "phone_mobile")
#: stands for a missing time in the sort order: such items come last
_NO_TIME = dt.datetime(1, 1, 1)

JsonValue = str | int | float | bool | None


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened to the person.

    ``kind`` is ``event`` (a row of ``events``: ``name`` is the event's name) or
    ``record`` (a people record: ``name`` is the source's kind, ``people``). ``at`` is
    ISO 8601 text, naive UTC (None when the source gave no time). ``summary`` holds the
    event's properties, or the canonical fields the record holds, as typed JSON values."""

    at: str | None
    source: str
    record_id: str
    kind: str
    name: str
    summary: dict[str, JsonValue]


@dataclass(frozen=True)
class TimelinePage:
    """A page of a person's timeline, newest first. ``person_id`` is the live person
    (``requested_id`` was merged into it when they differ); ``next_cursor`` is the
    ``before`` of the next page, None on the last page."""

    person_id: int
    requested_id: int
    items: tuple[TimelineItem, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class TimelineFacets:
    """What a person's timeline holds, for its filters: items per source (events and
    records) and events per event name, most first."""

    person_id: int
    sources: dict[str, int]
    events: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.sources.values())


def person_timeline(
    engine: Engine,
    person_id: int,
    *,
    sources: Sequence[str] | None = None,
    events: Sequence[str] | None = None,
    before: str | None = None,
    limit: int = 50,
) -> TimelinePage:
    """One page of ``person_id``'s timeline, newest first.

    ``sources`` keeps items of these sources; ``events`` keeps these events only (then
    no records). ``before`` is the ``next_cursor`` of the previous page. Raises
    NotFoundError for an unknown person, PersonaeError for a cursor this function did
    not give, and MissingTableError before ``personae resolve`` ran."""
    if not 1 <= limit <= MAX_LIMIT:
        raise PersonaeError(f"a timeline page holds 1 to {MAX_LIMIT} items, not {limit}")
    live = _live(engine, person_id)
    with_items, params = _items_sql(engine, live, sources, events)
    where = ""
    if before is not None:
        at, source, record_id, kind = _decode(before)
        where = (
            "WHERE sort_at < ? OR (sort_at = ? AND (source < ? OR (source = ? AND "
            "(record_id < ? OR (record_id = ? AND kind < ?)))))"
        )
        params += [at, at, source, source, record_id, record_id, kind]
    rows = engine.rows(
        f"{with_items} SELECT sort_at, source, record_id, kind, name, properties FROM items "
        f"{where} ORDER BY sort_at DESC, source DESC, record_id DESC, kind DESC "
        f"LIMIT {limit + 1}",
        params,
    )
    page = rows[:limit]
    fields = _record_fields(engine, [(str(r[1]), str(r[2])) for r in page if r[3] == "record"])
    items = tuple(
        TimelineItem(
            at=None if sort_at == _NO_TIME else _iso(sort_at),
            source=str(source),
            record_id=str(record_id),
            kind=str(kind),
            name=str(name),
            summary=(
                _event_summary(properties)
                if kind == "event"
                else fields.get((str(source), str(record_id)), {})
            ),
        )
        for sort_at, source, record_id, kind, name, properties in page
    )
    cursor = _encode(page[-1]) if len(rows) > limit else None
    return TimelinePage(live, int(person_id), items, cursor)


def timeline_facets(engine: Engine, person_id: int) -> TimelineFacets:
    """Items per source and events per name in ``person_id``'s whole timeline."""
    live = _live(engine, person_id)
    with_items, params = _items_sql(engine, live, None, None)
    sources: dict[str, int] = {}
    names: dict[str, int] = {}
    for source, kind, name, n in engine.rows(
        f"{with_items} SELECT source, kind, name, count(*) FROM items GROUP BY source, kind, name",
        params,
    ):
        sources[str(source)] = sources.get(str(source), 0) + int(n)
        if kind == "event":
            names[str(name)] = names.get(str(name), 0) + int(n)
    return TimelineFacets(live, _most_first(sources), _most_first(names))


# --------------------------------------------------------------------------- SQL


def _live(engine: Engine, person_id: int) -> int:
    require_tables(engine, [PERSONS, IDENTITY_MAP, RECORDS])
    return resolve_person_id(engine, int(person_id))


def _items_sql(
    engine: Engine,
    person_id: int,
    sources: Sequence[str] | None,
    events: Sequence[str] | None,
) -> tuple[str, list[Any]]:
    """A WITH clause defining ``items`` (sort_at, source, record_id, kind, name,
    properties): the person's events and people records, and its parameters. The
    person's records are picked from identity_map once (``mine``); events and records
    join that short list."""
    params: list[Any] = [person_id]
    source_filter = ""
    if sources is not None:
        source_filter = f" AND source IN ({_marks(sources)})"
        params += list(sources)
    mine = (
        f"mine AS (SELECT source, record_id FROM {IDENTITY_MAP} WHERE person_id = ?{source_filter})"
    )
    parts: list[str] = []
    no_time = "TIMESTAMP '0001-01-01 00:00:00'"
    if engine.table_exists(EVENTS):
        event_filter = ""
        if events is not None:
            event_filter = f" WHERE e.event IN ({_marks(events)})"
            params += list(events)
        parts.append(
            f"SELECT coalesce(e.timestamp, {no_time}) AS sort_at, e.source, e.record_id, "
            "'event' AS kind, e.event AS name, e.properties "
            f"FROM mine AS m JOIN {EVENTS} e "
            f"ON e.source = m.source AND e.record_id = m.record_id{event_filter}"
        )
    if events is None:
        parts.append(
            f"SELECT coalesce(r.observed_at, {no_time}) AS sort_at, r.source, r.record_id, "
            "'record' AS kind, r.source_kind AS name, CAST(NULL AS VARCHAR) AS properties "
            f"FROM mine AS m JOIN {RECORDS} r "
            "ON r.source = m.source AND r.record_id = m.record_id WHERE r.source_kind = 'people'"
        )
    if not parts:  # events asked for, and no events table
        parts.append(
            f"SELECT {no_time} AS sort_at, '' AS source, '' AS record_id, '' AS kind, "
            "'' AS name, CAST(NULL AS VARCHAR) AS properties FROM mine WHERE false"
        )
    return f"WITH {mine}, items AS ({' UNION ALL '.join(parts)})", params


def _marks(values: Sequence[str]) -> str:
    if isinstance(values, str):
        raise PersonaeError(f"give a list of names, not the string {values!r}")
    return ", ".join("?" for _ in values) if values else "NULL"


def _record_fields(
    engine: Engine, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, JsonValue]]:
    """The canonical fields each of these records holds (keys of names left out)."""
    if not keys:
        return {}
    columns = [
        c
        for c in engine.columns(RECORDS)
        if c not in _RECORD_META and not c.endswith("_key") and not c.startswith("_")
    ]
    pairs = " OR ".join("(source = ? AND record_id = ?)" for _ in keys)
    table = engine.query(
        f"SELECT source, record_id, {', '.join(ident(c) for c in columns)} FROM {RECORDS} "
        f"WHERE {pairs}",
        [value for key in keys for value in key],
    )
    found: dict[tuple[str, str], dict[str, JsonValue]] = {}
    for row in table.to_pylist():
        summary = {c: _json_value(row[c]) for c in columns if row[c] is not None}
        found[(str(row["source"]), str(row["record_id"]))] = dict(
            list(summary.items())[:SUMMARY_FIELDS]
        )
    return found


# --------------------------------------------------------------------------- values


def _event_summary(properties: object) -> dict[str, JsonValue]:
    if not properties:
        return {}
    try:
        parsed = json.loads(str(properties))
    except ValueError:
        return {"properties": _short(str(properties))}
    if not isinstance(parsed, dict):
        return {"properties": _json_value(parsed)}
    return {str(k): _json_value(v) for k, v in list(parsed.items())[:SUMMARY_FIELDS]}


def _json_value(value: object) -> JsonValue:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _short(json.dumps(value, ensure_ascii=False, default=str))
    return _short(str(value))


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else str(value)


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


# --------------------------------------------------------------------------- cursor


def _encode(row: tuple[Any, ...]) -> str:
    sort_at, source, record_id, kind = row[:4]
    data = json.dumps([_iso(sort_at), str(source), str(record_id), str(kind)])
    return base64.urlsafe_b64encode(data.encode("utf-8")).decode("ascii").rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime, str, str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, source, record_id, kind = json.loads(base64.urlsafe_b64decode(padded))
        return dt.datetime.fromisoformat(at), str(source), str(record_id), str(kind)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise PersonaeError(
            f"timeline cursor {cursor[:40]!r} is not one a timeline page gave; "
            "leave 'before' out to start from the newest item"
        ) from exc
