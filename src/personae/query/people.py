"""Who is alive: identity_map resolved to live person ids, and each live person's events.

``identity_map`` maps every source record to a person id. A person id merged away has
``merged_into`` set in ``persons``; records still pointing at it are followed one hop to
the survivor, and only live persons (``merged_into IS NULL``) are kept.
"""

from __future__ import annotations

from personae.catalog import EVENTS, IDENTITY_MAP, PERSONS
from personae.sql import literal

LIVE_PERSONS_SQL = f"SELECT person_id FROM {PERSONS} WHERE merged_into IS NULL"


def live_map_sql() -> str:
    """``(source, record_id, person_id)`` with every person id live."""
    return (
        "SELECT im.source, im.record_id, live.person_id "
        f"FROM {IDENTITY_MAP} im "
        f"JOIN {PERSONS} ip ON ip.person_id = im.person_id "
        f"JOIN {PERSONS} live ON live.person_id = "
        "CASE WHEN ip.merged_into IS NULL THEN im.person_id ELSE ip.merged_into END "
        "AND live.merged_into IS NULL"
    )


def person_events_sql(
    before: str, *, events: tuple[str, ...] | None = None, persons: str | None = None
) -> str:
    """Events of live persons (``person_id, source, record_id, event, timestamp,
    properties``) strictly before the SQL timestamp ``before``, optionally only the
    named events, optionally only of the persons of the relation ``persons`` (a table
    name or a parenthesised query with ``person_id``; the map is restricted before it
    meets the events, so few persons read little)."""
    where = f"e.timestamp < {before}"
    if events:
        names = ", ".join(literal(name) for name in sorted(events))
        where += f" AND e.event IN ({names})"
    live = f"({live_map_sql()})"
    if persons is not None:
        wanted = f"SELECT touched.person_id FROM {persons} touched"
        live = f"(SELECT * FROM {live} lm WHERE lm.person_id IN ({wanted}))"
    return (
        "SELECT m.person_id, e.source, e.record_id, e.event, e.timestamp, e.properties "
        f"FROM {EVENTS} e JOIN {live} m "
        "ON m.source = e.source AND m.record_id = e.record_id "
        f"WHERE {where}"
    )
