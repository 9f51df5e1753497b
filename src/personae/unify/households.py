"""Step 4 of stitching: household-safe identifiers (by default email and phone).

Members of a household often share a phone or an email. A shared value is **in
conflict** when two of its records carry names that really differ and birth dates that
are not equal (different, or one missing). Names (first and last name keys) are
*compatible* — the same person written differently — when:

* the first names are within Levenshtein distance 1 (a typo), or
* the parts are swapped (first ~ the other's last and last ~ the other's first), or
* the parts are cut differently (``nathalie dossantos`` / ``nathaliedos santos``).

A value in conflict does not link its records directly. It is replaced by sub-nodes:
each record holding it links to ``fn:<first_name_key>`` and, when it has a birth date, to
``bd:<birth_date>`` of that value, so typo variants with the same birth date rejoin;
first-name sub-nodes of compatible names of the same value are linked together; records
with neither a first name nor a birth date attach to ``?``.

Two people with the same birth date sharing a value are not told apart (twins would be
merged), which is the price of re-joining typo variants.
"""

from __future__ import annotations

from personae.engine import Engine
from personae.unify.rules import IdentityType, in_list
from personae.unify.tables import (
    ROLE_LINK,
    WORK_HOUSEHOLDS,
    WORK_LINKS,
    WORK_RAW,
    WORK_SUBHOLDS,
    WORK_SUBNODES,
    WORK_VALUES,
)

_SUBS = "_unify_subs"
#: this module's own working tables (dropped as it goes, and by the stage on failure)
LOCAL_TABLES = (_SUBS,)


def compatible_names_sql(a: str, b: str) -> str:
    """SQL: rows ``a`` and ``b`` (columns fn, ln; fn not NULL) name the same person."""
    return f"""(
        levenshtein({a}.fn, {b}.fn) <= 1
        OR ({a}.ln IS NOT NULL AND {b}.ln IS NOT NULL AND (
            (levenshtein({a}.fn, {b}.ln) <= 1 AND levenshtein({a}.ln, {b}.fn) <= 1)
            OR {a}.fn || {a}.ln = {b}.fn || {b}.ln)))"""


def split_households(engine: Engine, types: list[IdentityType]) -> int:
    """Find the values in conflict and build their sub-nodes; returns how many were split.

    Writes ``_unify_households(vid, names)``, ``_unify_subnodes(nid, vid, id_type, kind,
    key)``, ``_unify_subholds(rid, nid, vid, id_type)`` and ``_unify_links(a, b, id_type)``.
    Sub-node ids start after the largest value id, so they never collide with a value.
    """
    household_types = [t.name for t in types if t.rule.household_safe]
    engine.create_table_as(
        WORK_HOUSEHOLDS,
        f"""
        WITH held AS (
            SELECT DISTINCT i.vid, p.fn, p.ln, p.bd FROM {WORK_RAW} AS i
            JOIN {WORK_RAW} AS p ON p.rid = i.rid AND p.id_type IS NULL
            WHERE p.fn IS NOT NULL AND i.vid IN (
                SELECT vid FROM {WORK_VALUES}
                WHERE role = '{ROLE_LINK}' AND names >= 2
                  AND id_type IN {in_list(household_types)})
        )
        SELECT v.vid, v.names FROM {WORK_VALUES} AS v
        WHERE v.vid IN (
            SELECT a.vid FROM held AS a
            JOIN held AS b ON b.vid = a.vid AND a.fn < b.fn
            WHERE NOT {compatible_names_sql("a", "b")}
              AND (a.bd IS NULL OR b.bd IS NULL OR a.bd <> b.bd))
        """,
    )
    engine.create_table_as(
        _SUBS,
        f"""
        WITH held AS (
            SELECT i.rid, i.vid, i.id_type, p.fn, p.ln, p.bd FROM {WORK_RAW} AS i
            JOIN {WORK_RAW} AS p ON p.rid = i.rid AND p.id_type IS NULL
            WHERE i.vid IN (SELECT vid FROM {WORK_HOUSEHOLDS})
        )
        SELECT rid, vid, id_type, 'fn' AS kind, fn AS key, ln FROM held WHERE fn IS NOT NULL
        UNION ALL
        SELECT rid, vid, id_type, 'bd' AS kind, CAST(bd AS VARCHAR) AS key, ln FROM held
        WHERE bd IS NOT NULL
        UNION ALL
        SELECT rid, vid, id_type, '?' AS kind, '' AS key, ln FROM held
        WHERE fn IS NULL AND bd IS NULL
        """,
    )
    engine.create_table_as(
        WORK_SUBNODES,
        f"""
        SELECT (SELECT coalesce(max(vid), 0) FROM {WORK_VALUES})
               + row_number() OVER (ORDER BY vid, kind, key) AS nid,
               vid, id_type, kind, key
        FROM (SELECT DISTINCT vid, id_type, kind, key FROM {_SUBS}) AS s
        """,
    )
    engine.create_table_as(
        WORK_SUBHOLDS,
        f"""
        SELECT s.rid, n.nid, s.vid, s.id_type FROM {_SUBS} AS s
        JOIN {WORK_SUBNODES} AS n ON n.vid = s.vid AND n.kind = s.kind AND n.key = s.key
        """,
    )
    engine.create_table_as(
        WORK_LINKS,
        f"""
        WITH names AS (
            SELECT DISTINCT vid, id_type, key AS fn, ln FROM {_SUBS} WHERE kind = 'fn'
        )
        SELECT DISTINCT na.nid AS a, nb.nid AS b, a.id_type FROM names AS a
        JOIN names AS b ON b.vid = a.vid AND a.fn < b.fn
        JOIN {WORK_SUBNODES} AS na ON na.vid = a.vid AND na.kind = 'fn' AND na.key = a.fn
        JOIN {WORK_SUBNODES} AS nb ON nb.vid = b.vid AND nb.kind = 'fn' AND nb.key = b.fn
        WHERE {compatible_names_sql("a", "b")}
        """,
    )
    engine.drop_table(_SUBS)
    return engine.count(WORK_HOUSEHOLDS)
