"""The guard report ``identity_guards`` and the guard/limit rows of ``identity_history``.

``identity_guards(id_type, id_value, guard, records, reason)`` is rebuilt every run: one
row per blocked, generic or household-split value. ``identity_history`` is append-only;
a blocked or generic value, or a dropped link, is logged the first time it happens, not
again on every run.
"""

from __future__ import annotations

from personae.catalog import IDENTITY_GUARDS as GUARDS
from personae.catalog import IDENTITY_HISTORY as HISTORY
from personae.engine import Engine
from personae.sql import literal
from personae.unify.tables import (
    ROLE_BLOCKED,
    ROLE_GENERIC,
    WORK_COMPONENTS,
    WORK_DROPPED,
    WORK_HOLDS,
    WORK_HOUSEHOLDS,
    WORK_VALUES,
    ensure_history,
)


def write_guard_report(engine: Engine) -> None:
    engine.create_table_as(
        GUARDS,
        f"""
        SELECT id_type, id_value, role AS guard, records, reason FROM {WORK_VALUES}
        WHERE role IN ('{ROLE_BLOCKED}', '{ROLE_GENERIC}')
        UNION ALL
        SELECT v.id_type, v.id_value, 'household' AS guard, v.records,
               'shared by people with different first names and birth dates ('
               || CAST(v.names AS VARCHAR) || ' first names): linked only by matching '
               || 'first name or birth date' AS reason
        FROM {WORK_VALUES} AS v WHERE v.vid IN (SELECT vid FROM {WORK_HOUSEHOLDS})
        """,
    )


def append_history(engine: Engine, at: str, run_id: str, rows: str, *, once: bool) -> int:
    """Append ``rows`` (action, person_id, other_person_id, id_type, id_value, reason).

    With ``once``, rows whose (action, id_type, id_value) is already logged are skipped.
    Returns the number of rows appended.
    """
    ensure_history(engine)
    before = engine.count(HISTORY)
    skip = (
        f"""WHERE NOT EXISTS (
            SELECT 1 FROM {HISTORY} AS h WHERE h.action = n.action
            AND h.id_type = n.id_type AND h.id_value = n.id_value)"""
        if once
        else ""
    )
    engine.execute(
        f"""
        INSERT INTO {HISTORY}
        SELECT {at} AS "at", {literal(run_id)} AS run_id, n.action,
               CAST(n.person_id AS BIGINT), CAST(n.other_person_id AS BIGINT),
               n.id_type, n.id_value, n.reason
        FROM ({rows}) AS n {skip}
        """
    )
    return engine.count(HISTORY) - before


def log_guards(engine: Engine, at: str, run_id: str) -> int:
    """One history row per blocked or generic value (the first time it is seen)."""
    return append_history(
        engine,
        at,
        run_id,
        f"""
        SELECT role AS action, CAST(NULL AS BIGINT) AS person_id,
               CAST(NULL AS BIGINT) AS other_person_id, id_type, id_value, reason
        FROM {WORK_VALUES} WHERE role IN ('{ROLE_BLOCKED}', '{ROLE_GENERIC}')
        """,
        once=True,
    )


def log_dropped_links(engine: Engine, at: str, run_id: str, person_of_comp: str) -> int:
    """One ``drop_link`` row per dropped node: the persons its records ended in.

    ``person_id`` is the smallest person holding the dropped value, ``other_person_id``
    the smallest other one (the person it would have been merged with).
    """
    return append_history(
        engine,
        at,
        run_id,
        f"""
        WITH held AS (
            SELECT DISTINCT d.nid, cp.person_id FROM {WORK_DROPPED} AS d
            JOIN {WORK_HOLDS} AS h ON h.nid = d.nid
            JOIN {WORK_COMPONENTS} AS c ON c.rid = h.rid
            JOIN {person_of_comp} AS cp ON cp.comp = c.comp
        ),
        first_person AS (SELECT nid, min(person_id) AS person_id FROM held GROUP BY nid),
        other_person AS (
            SELECT h.nid, min(h.person_id) AS person_id FROM held AS h
            JOIN first_person AS f ON f.nid = h.nid
            WHERE h.person_id <> f.person_id GROUP BY h.nid
        )
        SELECT 'drop_link' AS action, f.person_id, o.person_id AS other_person_id,
               v.id_type, v.id_value, d.reason
        FROM {WORK_DROPPED} AS d
        JOIN {WORK_VALUES} AS v ON v.vid = d.vid
        LEFT JOIN first_person AS f ON f.nid = d.nid
        LEFT JOIN other_person AS o ON o.nid = d.nid
        """,
        once=True,
    )
