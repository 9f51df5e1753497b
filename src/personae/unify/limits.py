"""Step 6 of stitching: per-type limits with priorities, as in Segment Unify.

A rule such as ``customer_id: {limit: 1, per_source: true, priority: 1}`` says a person
has at most one customer_id per source. When a component exceeds a limit, links are
dropped in reverse priority order:

* only components that may exceed a limit are reworked (a component within every limit
  has every sub-part within them too, so reworking it would give it back unchanged);
* in such a component, records start apart and identifier types are added one at a time,
  highest priority first. Adding type ``t`` merges the current parts through ``t``'s
  nodes, checking the limits of ``t`` and of every type already added:
  1. a node whose own records would give a merged part too many values (more than the
     limit, and more than its largest part already had) is dropped;
  2. the remaining nodes are merged; a resulting group that still exceeds a limit (the
     excess comes from several nodes together) has all its joining nodes dropped.
* dropped nodes stop linking; their records keep the links of their other identifiers.

Values of types not yet added do not count: a higher-priority link is never dropped for
the sake of a lower-priority limit (a person linked by one customer_id may end with more
emails than the email limit when no email link joined them).
"""

from __future__ import annotations

from personae.engine import Engine
from personae.sql import literal
from personae.unify.components import connected_components, working_tables
from personae.unify.rules import IdentityType, in_list, types_sql
from personae.unify.tables import (
    ROLE_LINK,
    ROLE_SINGLE,
    WORK_DROPPED,
    WORK_HOLDS,
    WORK_LIMIT_PARTS,
    WORK_LINKS,
    WORK_RAW,
    drop_tables,
)

_P = "_unify_lim"
_RECORDS = f"{_P}_records"
_IDS = f"{_P}_ids"
_HOLDS = f"{_P}_holds"
_LINKS = f"{_P}_links"
_PARTS = (f"{_P}_parts_0", f"{_P}_parts_1")
_NODE_PARTS = f"{_P}_node_parts"
_MULTI = f"{_P}_multi"
_PART_VALUES = f"{_P}_part_values"
_PART_COUNTS = f"{_P}_part_counts"
_LABELS = f"{_P}_labels"
_GROUPS = f"{_P}_groups"
_BAD = f"{_P}_bad"
_CC = f"{_P}_cc"
#: this module's own working tables (dropped as it goes, and by the stage on failure)
LOCAL_TABLES = (
    _RECORDS,
    _IDS,
    _HOLDS,
    _LINKS,
    *_PARTS,
    _NODE_PARTS,
    _MULTI,
    _PART_VALUES,
    _PART_COUNTS,
    _LABELS,
    _GROUPS,
    _BAD,
    *working_tables(_CC),
)


def _scope(per_source: str, source: str) -> str:
    return f"CASE WHEN {per_source} THEN {source} ELSE '' END"


def _reason(prefix: str, merged: str, id_type: str, scope: str, limit: str) -> str:
    return (
        f"{literal(prefix)} || CAST({merged} AS VARCHAR) || ' ' || {id_type} || ' values'"
        f" || CASE WHEN {scope} <> '' THEN ' from source ' || {scope} ELSE '' END"
        f" || ' (limit ' || CAST({limit} AS VARCHAR) || ')'"
    )


def apply_limits(engine: Engine, components: str, types: list[IdentityType]) -> int:
    """Rework the components of ``components(rid, comp)`` that exceed a limit.

    Writes ``_unify_limit_parts(rid, part)`` (the new component of every reworked
    record; ``part`` is ``-rid`` of one of its records, so it never collides with
    another component) and ``_unify_dropped(nid, vid, id_type, reason)``; returns the
    number of dropped nodes.
    """
    engine.create_table_as(
        WORK_DROPPED,
        "SELECT CAST(NULL AS BIGINT) AS nid, CAST(NULL AS BIGINT) AS vid, "
        "CAST(NULL AS VARCHAR) AS id_type, CAST(NULL AS VARCHAR) AS reason WHERE false",
    )
    engine.create_table_as(
        WORK_LIMIT_PARTS,
        "SELECT CAST(NULL AS BIGINT) AS rid, CAST(NULL AS BIGINT) AS part WHERE false",
    )
    try:
        if any(t.rule.limit is not None for t in types) and _find_over_limit(
            engine, components, types
        ):
            parts = _rework(engine, types)
            engine.create_table_as(WORK_LIMIT_PARTS, f"SELECT rid, part FROM {parts}")
    finally:
        drop_tables(engine, LOCAL_TABLES)
    return engine.count(WORK_DROPPED)


def _find_over_limit(engine: Engine, components: str, types: list[IdentityType]) -> int:
    """``_unify_lim_records(rid)``: the records of components that may exceed a limit.

    One pass grouped by (component, type, scope) keeps those with two different values
    (min <> max) on more identifiers than the limit: a superset of the components over a
    limit. Reworking a component within its limits gives it back unchanged (no merge of
    its parts can exceed a limit its whole does not), so no exact count is needed.
    """
    engine.create_table_as(
        _RECORDS,
        f"""
        SELECT rid FROM {components} WHERE comp IN (
            SELECT comp FROM (
                SELECT c.comp, t.rank, {_scope("t.per_source", "r.source")} AS scope,
                       min(r.vid) AS low, max(r.vid) AS high, count(*) AS n,
                       max(t.max_values) AS max_values
                FROM {WORK_RAW} AS r
                JOIN ({types_sql(types)}) AS t
                  ON t.id_type = r.id_type AND t.max_values IS NOT NULL
                JOIN {components} AS c ON c.rid = r.rid
                WHERE r.role IN ('{ROLE_LINK}', '{ROLE_SINGLE}')
                GROUP BY c.comp, t.rank, {_scope("t.per_source", "r.source")}
            ) AS g WHERE low <> high AND n > max_values)
        """,
    )
    return engine.count(_RECORDS)


def _rework(engine: Engine, types: list[IdentityType]) -> str:
    """Re-stitch the over-limit records type by type; returns the final parts table."""
    type_rows = types_sql(types)
    engine.create_table_as(
        _IDS,
        f"""
        SELECT r.rid, r.id_type, {_scope("t.per_source", "r.source")} AS scope, r.vid
        FROM {WORK_RAW} AS r
        JOIN ({type_rows}) AS t ON t.id_type = r.id_type AND t.max_values IS NOT NULL
        WHERE r.role IN ('{ROLE_LINK}', '{ROLE_SINGLE}')
          AND r.rid IN (SELECT rid FROM {_RECORDS})
        """,
    )
    engine.create_table_as(
        _HOLDS,
        f"SELECT rid, nid, vid, id_type FROM {WORK_HOLDS} "
        f"WHERE rid IN (SELECT rid FROM {_RECORDS})",
    )
    engine.create_table_as(
        _LINKS,
        f"SELECT a, b, id_type FROM {WORK_LINKS} WHERE a IN (SELECT nid FROM {_HOLDS})",
    )
    parts = _PARTS[0]
    # parts start as single records; -rid never collides with a graph component (the
    # smallest node, >= 1) nor with another record alone (-rid of a record outside)
    engine.create_table_as(parts, f"SELECT rid, -rid AS part FROM {_RECORDS}")
    present = {str(row[0]) for row in engine.rows(f"SELECT DISTINCT id_type FROM {_HOLDS}")}
    for level, id_type in enumerate(t for t in types if t.name in present):
        counted = [t.name for t in types if t.rule.limit is not None and t.rank <= id_type.rank]
        following = _PARTS[(level + 1) % 2]
        _add_type(engine, id_type, counted, type_rows, parts, following)
        parts = following
    return parts


def _add_type(
    engine: Engine,
    id_type: IdentityType,
    counted: list[str],
    type_rows: str,
    parts: str,
    following: str,
) -> None:
    """Merge ``parts`` through the nodes of ``id_type`` into ``following``, within limits."""
    name = literal(id_type.name)
    engine.create_table_as(
        _NODE_PARTS,
        f"""
        SELECT DISTINCT h.nid, h.vid, p.part FROM {_HOLDS} AS h
        JOIN {parts} AS p ON p.rid = h.rid
        WHERE h.id_type = {name}
        """,
    )
    engine.create_table_as(
        _MULTI, f"SELECT nid FROM {_NODE_PARTS} GROUP BY nid HAVING count(*) > 1"
    )
    if counted:
        engine.create_table_as(
            _PART_VALUES,
            f"""
            SELECT DISTINCT p.part, i.id_type, i.scope, i.vid FROM {_IDS} AS i
            JOIN {parts} AS p ON p.rid = i.rid
            WHERE i.id_type IN {in_list(counted)}
            """,
        )
        engine.create_table_as(
            _PART_COUNTS,
            f"SELECT part, id_type, scope, count(*) AS n FROM {_PART_VALUES} "
            "GROUP BY part, id_type, scope",
        )
        # 1. nodes that alone would push a merged part over a limit
        star = _over_limit_sql(
            f"SELECT np.nid AS unit, np.part FROM {_NODE_PARTS} AS np "
            f"WHERE np.nid IN (SELECT nid FROM {_MULTI})",
            type_rows,
            "would give person ",
        )
        engine.execute(
            f"""
            INSERT INTO {WORK_DROPPED}
            SELECT s.unit AS nid, n.vid, {name} AS id_type, s.reason FROM ({star}) AS s
            JOIN (SELECT DISTINCT nid, vid FROM {_NODE_PARTS}) AS n ON n.nid = s.unit
            """
        )
    kept = f"nid NOT IN (SELECT nid FROM {WORK_DROPPED})"
    edges = f"""
        SELECT 2 * part AS a, 2 * nid + 1 AS b FROM {_NODE_PARTS} WHERE {kept}
        UNION ALL
        SELECT 2 * a + 1 AS a, 2 * b + 1 AS b FROM {_LINKS}
        WHERE id_type = {name}
          AND a NOT IN (SELECT nid FROM {WORK_DROPPED})
          AND b NOT IN (SELECT nid FROM {WORK_DROPPED})
    """
    connected_components(engine, edges, _LABELS, work=_CC)
    engine.create_table_as(
        _GROUPS,
        f"""
        SELECT q.part, coalesce(l.label, 2 * q.part) AS grp
        FROM (SELECT DISTINCT part FROM {parts}) AS q
        LEFT JOIN {_LABELS} AS l ON l.node = 2 * q.part
        """,
    )
    if counted:
        # 2. groups still over a limit: the excess comes from several nodes together
        engine.create_table_as(
            _BAD,
            _over_limit_sql(
                f"SELECT grp AS unit, part FROM {_GROUPS} WHERE grp IN "
                f"(SELECT grp FROM {_GROUPS} GROUP BY grp HAVING count(*) > 1)",
                type_rows,
                f"together with other {id_type.name} values would give person ",
            ),
        )
        engine.execute(
            f"""
            INSERT INTO {WORK_DROPPED}
            SELECT n.nid, n.vid, {name} AS id_type, b.reason
            FROM (SELECT DISTINCT nid, vid FROM {_NODE_PARTS} WHERE {kept}) AS n
            LEFT JOIN {_LABELS} AS l ON l.node = 2 * n.nid + 1
            JOIN {_BAD} AS b ON b.unit = coalesce(l.label, 2 * n.nid + 1)
            WHERE n.nid IN (SELECT nid FROM {_MULTI})
               OR n.nid IN (SELECT a FROM {_LINKS}) OR n.nid IN (SELECT b FROM {_LINKS})
            """
        )
        bad = f"g.grp IN (SELECT unit FROM {_BAD})"
    else:
        bad = "false"
    engine.create_table_as(
        following,
        f"""
        SELECT p.rid,
               CASE WHEN {bad} THEN p.part ELSE min(p.part) OVER (PARTITION BY g.grp) END
               AS part
        FROM {parts} AS p JOIN {_GROUPS} AS g ON g.part = p.part
        """,
    )


def _over_limit_sql(members: str, type_rows: str, prefix: str) -> str:
    """Units (nodes or groups) whose parts together exceed a limit, with the reason.

    ``members`` lists ``(unit, part)``. A unit is over when the merged parts hold more
    distinct values of a counted type than the limit *and* than its largest part alone.
    One row per unit: the violation of the highest-priority type.
    """
    return f"""
    SELECT unit, reason FROM (
        SELECT m.unit,
               {_reason(prefix, "m.merged", "m.id_type", "m.scope", "t.max_values")}
               AS reason,
               row_number() OVER (PARTITION BY m.unit ORDER BY t.rank, m.scope) AS rn
        FROM (
            SELECT u.unit, v.id_type, v.scope, count(DISTINCT v.vid) AS merged
            FROM ({members}) AS u JOIN {_PART_VALUES} AS v ON v.part = u.part
            GROUP BY u.unit, v.id_type, v.scope
        ) AS m
        JOIN (
            SELECT u.unit, c.id_type, c.scope, max(c.n) AS worst
            FROM ({members}) AS u JOIN {_PART_COUNTS} AS c ON c.part = u.part
            GROUP BY u.unit, c.id_type, c.scope
        ) AS w ON w.unit = m.unit AND w.id_type = m.id_type AND w.scope = m.scope
        JOIN ({type_rows}) AS t ON t.id_type = m.id_type
        WHERE m.merged > t.max_values AND m.merged > w.worst
    ) AS x WHERE rn = 1
    """
