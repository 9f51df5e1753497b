"""Step 8 of stitching: person ids that survive re-runs.

The previous run's ``identity_map`` gives each record its old person id. Then:

* an old id whose records now lie in several components stays with the component holding
  most of them (ties: the component with the smallest (source, record_id)); the other
  components are ``split`` from it;
* a component that won several old ids keeps the OLDEST (``persons.created_at``, then the
  smallest id); the others are retired (``persons.merged_into``) with a ``merge`` history
  row naming the identifier that links them;
* a component that won no old id gets a new id, ``max(person_id) + n`` in the order of
  the components' smallest (source, record_id).

So a re-run on the same data, or on data that only adds records, keeps every id.
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.catalog import IDENTITY_MAP, IDENTITY_MATCHES, PERSONS
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.query.tables import require_tables
from personae.unify.history import append_history
from personae.unify.rules import IdentityType, types_sql
from personae.unify.tables import (
    WORK_COMPONENTS,
    WORK_DROPPED,
    WORK_HOLDS,
    WORK_MATCH_CLUSTERS,
    WORK_VALUES,
    drop_tables,
    record_parts_sql,
)

_OLD_PERSONS = "_unify_old_persons"
_SHARES = "_unify_shares"
_WINNERS = "_unify_winners"
_CLAIMS = "_unify_claims"
#: the first (source, record_id) of components that need an order
_SPREAD_KEYS = "_unify_spread_keys"
_NEW_KEYS = "_unify_new_keys"
#: comp -> person_id (and whether the id is new), kept until the stage ends
COMP_PERSON = "_unify_comp_person"
_RETIRED = "_unify_retired"
_PERSON_RECORDS = "_unify_person_records"
_PERSONS_NEXT = "_unify_persons_next"
#: this module's own working tables (dropped as it goes, and by the stage on failure)
LOCAL_TABLES = (
    _OLD_PERSONS,
    _SHARES,
    _WINNERS,
    _CLAIMS,
    _SPREAD_KEYS,
    _NEW_KEYS,
    _RETIRED,
    _PERSON_RECORDS,
    _PERSONS_NEXT,
)


@dataclass
class IdChanges:
    merges: int
    splits: int
    new_persons: int


def assign_person_ids(engine: Engine, types: list[IdentityType], at: str, run_id: str) -> IdChanges:
    """Write ``identity_map`` and ``persons`` and log merges and splits.

    Reads the graph components and the parts reworked by limits; leaves
    ``_unify_components(rid, source, record_id, comp, old)`` and
    ``_unify_comp_person(comp, person_id, is_new)``.
    """
    _old_assignment(engine)
    engine.create_table_as(
        _SHARES,
        f"SELECT old, comp, count(*) AS n FROM {WORK_COMPONENTS} WHERE old IS NOT NULL "
        "GROUP BY old, comp",
    )
    _first_records(
        engine,
        _SPREAD_KEYS,
        f"SELECT comp FROM {_SHARES} WHERE old IN "
        f"(SELECT old FROM {_SHARES} GROUP BY old HAVING count(*) > 1)",
    )
    engine.create_table_as(
        _WINNERS,
        f"""
        SELECT old, comp FROM (
            SELECT s.old, s.comp, row_number() OVER (
                       PARTITION BY s.old ORDER BY s.n DESC, k.first_key) AS rn
            FROM {_SHARES} AS s LEFT JOIN {_SPREAD_KEYS} AS k ON k.comp = s.comp
        ) AS s WHERE rn = 1
        """,
    )
    engine.create_table_as(
        _CLAIMS,
        f"""
        SELECT w.comp, w.old, row_number() OVER (
                   PARTITION BY w.comp ORDER BY p.created_at NULLS LAST, w.old) AS rn
        FROM {_WINNERS} AS w LEFT JOIN {_OLD_PERSONS} AS p ON p.person_id = w.old
        """,
    )
    _first_records(
        engine,
        _NEW_KEYS,
        f"SELECT DISTINCT comp FROM {WORK_COMPONENTS} "
        f"WHERE comp NOT IN (SELECT comp FROM {_CLAIMS})",
    )
    engine.create_table_as(
        COMP_PERSON,
        f"""
        SELECT comp, old AS person_id, false AS is_new FROM {_CLAIMS} WHERE rn = 1
        UNION ALL
        SELECT comp, (SELECT coalesce(max(person_id), 0) FROM {_OLD_PERSONS})
                     + row_number() OVER (ORDER BY first_key) AS person_id,
               true AS is_new
        FROM {_NEW_KEYS}
        """,
    )
    engine.create_table_as(
        _RETIRED,
        f"""
        SELECT c.comp, c.old AS retired, s.person_id AS survivor FROM {_CLAIMS} AS c
        JOIN {COMP_PERSON} AS s ON s.comp = c.comp WHERE c.rn > 1
        """,
    )
    engine.create_table_as(
        _PERSON_RECORDS,
        f"""
        SELECT cp.person_id, cp.is_new, k.records FROM {COMP_PERSON} AS cp
        JOIN (SELECT comp, count(*) AS records FROM {WORK_COMPONENTS} GROUP BY comp) AS k
          ON k.comp = cp.comp
        """,
    )
    engine.create_table_as(
        _PERSONS_NEXT,
        f"""
        SELECT o.person_id, o.created_at, coalesce(r.survivor, o.merged_into) AS merged_into,
               coalesce(k.records, 0) AS records
        FROM {_OLD_PERSONS} AS o
        LEFT JOIN {_RETIRED} AS r ON r.retired = o.person_id
        LEFT JOIN {_PERSON_RECORDS} AS k ON k.person_id = o.person_id
        UNION ALL
        SELECT person_id, {at} AS created_at, CAST(NULL AS BIGINT) AS merged_into, records
        FROM {_PERSON_RECORDS} WHERE is_new
        """,
    )
    engine.create_table_as(
        IDENTITY_MAP,
        f"""
        SELECT c.source, c.record_id, cp.person_id FROM {WORK_COMPONENTS} AS c
        JOIN {COMP_PERSON} AS cp ON cp.comp = c.comp
        """,
    )
    engine.create_table_as(
        PERSONS,
        "SELECT CAST(person_id AS BIGINT) AS person_id, CAST(created_at AS TIMESTAMP) "
        "AS created_at, CAST(merged_into AS BIGINT) AS merged_into, "
        f"CAST(records AS BIGINT) AS records FROM {_PERSONS_NEXT}",
    )
    matches = engine.table_exists(IDENTITY_MATCHES)
    merges = append_history(engine, at, run_id, _merge_rows(types, matches), once=False)
    splits = append_history(engine, at, run_id, _split_rows(matches), once=False)
    new_persons = int(engine.scalar(f"SELECT count(*) FROM {COMP_PERSON} WHERE is_new"))
    drop_tables(engine, LOCAL_TABLES)
    return IdChanges(merges=merges, splits=splits, new_persons=new_persons)


def _old_assignment(engine: Engine) -> None:
    """``_unify_components(rid, source, record_id, comp, old)`` and ``_unify_old_persons``.

    A record's final component is its match cluster when probabilistic edges joined its
    deterministic part to others, else that part.
    """
    had_map = engine.table_exists(IDENTITY_MAP)
    old_map = (
        f"LEFT JOIN {IDENTITY_MAP} AS m ON m.source = r.source AND m.record_id = r.record_id"
        if had_map
        else ""
    )
    engine.create_table_as(
        WORK_COMPONENTS,
        f"""
        SELECT r.rid, r.source, r.record_id, coalesce(mc.cluster, r.comp) AS comp,
               {"m.person_id" if had_map else "CAST(NULL AS BIGINT)"} AS old
        FROM ({record_parts_sql()}) AS r
        LEFT JOIN {WORK_MATCH_CLUSTERS} AS mc ON mc.comp = r.comp
        {old_map}
        """,
    )

    sources = []
    if engine.table_exists(PERSONS):
        sources.append(f"SELECT person_id, created_at, merged_into FROM {PERSONS}")
    if had_map:
        known = f"AND person_id NOT IN (SELECT person_id FROM {PERSONS})" if sources else ""
        sources.append(
            "SELECT DISTINCT person_id, CAST(NULL AS TIMESTAMP) AS created_at, "
            f"CAST(NULL AS BIGINT) AS merged_into FROM {IDENTITY_MAP} "
            f"WHERE person_id IS NOT NULL {known}"
        )
    if not sources:
        sources.append(
            "SELECT CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS TIMESTAMP) AS created_at, "
            "CAST(NULL AS BIGINT) AS merged_into WHERE false"
        )
    engine.create_table_as(_OLD_PERSONS, " UNION ALL ".join(sources))


def _first_records(engine: Engine, out: str, comps: str) -> None:
    """``out(comp, first_key)``: a key ordering ``comps`` by their smallest (source, record_id).

    ``first_key`` is the smallest ``source || chr(1) || record_id``, which orders like the
    pair as long as source names hold no control character (they are identifiers).
    """
    engine.create_table_as(
        out,
        f"""
        SELECT comp, min(source || chr(1) || record_id) AS first_key
        FROM {WORK_COMPONENTS} WHERE comp IN ({comps}) GROUP BY comp
        """,
    )


def _merge_rows(types: list[IdentityType], matches: bool) -> str:
    """History rows of retired ids, naming the evidence linking them to the component.

    Preferred: a node shared by records of the retired and the surviving person; else a
    node shared by the retired person's records and any other record of the component;
    else (``matches``) the strongest probabilistic edge that joined them.
    """
    return f"""
    WITH held AS (
        SELECT h.nid, h.vid, h.id_type, a.comp, a.old FROM {WORK_HOLDS} AS h
        JOIN {WORK_COMPONENTS} AS a ON a.rid = h.rid
        WHERE a.comp IN (SELECT comp FROM {_RETIRED})
          AND h.nid NOT IN (SELECT nid FROM {WORK_DROPPED})
    ),
    candidates AS (
        SELECT r.retired, h.nid, h.vid, h.id_type,
               max(CASE WHEN h.old = r.survivor THEN 1 ELSE 0 END) AS direct
        FROM {_RETIRED} AS r JOIN held AS h ON h.comp = r.comp
        GROUP BY r.retired, h.nid, h.vid, h.id_type
        HAVING max(CASE WHEN h.old = r.retired THEN 1 ELSE 0 END) = 1
           AND max(CASE WHEN h.old IS NULL OR h.old <> r.retired THEN 1 ELSE 0 END) = 1
    ),
    best AS (
        SELECT c.retired, c.vid, row_number() OVER (
                   PARTITION BY c.retired ORDER BY c.direct DESC, t.rank, v.id_value) AS rn
        FROM candidates AS c JOIN ({types_sql(types)}) AS t ON t.id_type = c.id_type
        JOIN {WORK_VALUES} AS v ON v.vid = c.vid
    ),
    matched AS ({_match_evidence(matches)})
    SELECT 'merge' AS action, r.survivor AS person_id, r.retired AS other_person_id,
           v.id_type, v.id_value,
           'person ' || CAST(r.retired AS VARCHAR) || ' merged into person '
           || CAST(r.survivor AS VARCHAR)
           || coalesce(': linked by ' || v.id_type || ' ' || v.id_value,
                       ': ' || m.evidence, '') AS reason
    FROM {_RETIRED} AS r
    LEFT JOIN best AS b ON b.retired = r.retired AND b.rn = 1
    LEFT JOIN {WORK_VALUES} AS v ON v.vid = b.vid
    LEFT JOIN matched AS m ON m.retired = r.retired
    """


def _match_evidence(matches: bool) -> str:
    """``retired, evidence``: the strongest linked match from a retired id's records."""
    if not matches:
        return (
            "SELECT CAST(NULL AS BIGINT) AS retired, CAST(NULL AS VARCHAR) AS evidence WHERE false"
        )
    return f"""
        SELECT retired, evidence FROM (
            SELECT r.retired,
                   'matched ' || a.source || ':' || a.record_id || ' ~ ' || b.source || ':'
                   || b.record_id || ' (match weight ' || CAST(round(e.match_weight, 2) AS VARCHAR)
                   || ', probability ' || CAST(round(e.match_probability, 4) AS VARCHAR) || ')'
                   AS evidence,
                   row_number() OVER (PARTITION BY r.retired
                                      ORDER BY e.match_weight DESC, a.source, a.record_id,
                                               b.source, b.record_id) AS rn
            FROM {_RETIRED} AS r
            JOIN {WORK_COMPONENTS} AS a ON a.comp = r.comp AND a.old = r.retired
            JOIN ({_both_ways("linked")}) AS e
              ON e.source_a = a.source AND e.record_id_a = a.record_id
            JOIN {WORK_COMPONENTS} AS b
              ON b.source = e.source_b AND b.record_id = e.record_id_b
             AND b.comp = r.comp AND (b.old IS NULL OR b.old <> r.retired)
        ) AS x WHERE rn = 1
    """


def _both_ways(status: str) -> str:
    """The matches of ``status`` in both directions (a, b), so joins stay equi-joins."""
    columns = "match_weight, match_probability, reason"
    return f"""
        SELECT source_l AS source_a, record_id_l AS record_id_a,
               source_r AS source_b, record_id_r AS record_id_b, {columns}
        FROM {IDENTITY_MATCHES} WHERE status = '{status}'
        UNION ALL
        SELECT source_r, record_id_r, source_l, record_id_l, {columns}
        FROM {IDENTITY_MATCHES} WHERE status = '{status}'
    """


def _split_rows(matches: bool) -> str:
    """History rows of components holding records of an old id they did not win.

    The evidence of the split: a probabilistic edge between the two parts that clustering
    rejected (conflicting birth dates, first names, limits), else an identifier shared by
    both that a guard or an override dropped, else the absence of any link.
    """
    rejected = (
        f"""
        SELECT s.old, s.comp, min(e.reason) AS evidence
        FROM {_SHARES} AS s
        JOIN {_WINNERS} AS w ON w.old = s.old AND w.comp <> s.comp
        JOIN {WORK_COMPONENTS} AS a ON a.comp = s.comp
        JOIN {WORK_COMPONENTS} AS b ON b.comp = w.comp
        JOIN ({_both_ways("rejected")}) AS e
          ON e.source_a = a.source AND e.record_id_a = a.record_id
         AND e.source_b = b.source AND e.record_id_b = b.record_id
        GROUP BY s.old, s.comp
        """
        if matches
        else "SELECT CAST(NULL AS BIGINT) AS old, CAST(NULL AS BIGINT) AS comp, "
        "CAST(NULL AS VARCHAR) AS evidence WHERE false"
    )
    return f"""
    WITH rejected AS ({rejected}),
    dropped AS (
        SELECT s.old, s.comp,
               min(v.id_type || ' ' || v.id_value || ' no longer links: ' || d.reason)
               AS evidence
        FROM {_SHARES} AS s
        JOIN {_WINNERS} AS w ON w.old = s.old AND w.comp <> s.comp
        JOIN {WORK_COMPONENTS} AS a ON a.comp = s.comp
        JOIN {WORK_HOLDS} AS ha ON ha.rid = a.rid
        JOIN {WORK_DROPPED} AS d ON d.nid = ha.nid
        JOIN {WORK_HOLDS} AS hb ON hb.nid = d.nid
        JOIN {WORK_COMPONENTS} AS b ON b.rid = hb.rid AND b.comp = w.comp
        JOIN {WORK_VALUES} AS v ON v.vid = d.vid
        GROUP BY s.old, s.comp
    )
    SELECT 'split' AS action, s.old AS person_id, cp.person_id AS other_person_id,
           CAST(NULL AS VARCHAR) AS id_type, CAST(NULL AS VARCHAR) AS id_value,
           CAST(s.n AS VARCHAR) || ' of ' || CAST(t.n AS VARCHAR) || ' records of person '
           || CAST(s.old AS VARCHAR) || ' are no longer linked to it: now '
           || CASE WHEN cp.is_new THEN 'new person ' ELSE 'person ' END
           || CAST(cp.person_id AS VARCHAR)
           || coalesce(' (match rejected: ' || x.evidence || ')',
                       ' (' || y.evidence || ')',
                       ' (no shared identifier and no match above the threshold joins them '
                       || 'any more)') AS reason
    FROM {_SHARES} AS s
    JOIN {_WINNERS} AS w ON w.old = s.old
    JOIN (SELECT old, sum(n) AS n FROM {_SHARES} GROUP BY old) AS t ON t.old = s.old
    JOIN {COMP_PERSON} AS cp ON cp.comp = s.comp
    LEFT JOIN rejected AS x ON x.old = s.old AND x.comp = s.comp
    LEFT JOIN dropped AS y ON y.old = s.old AND y.comp = s.comp
    WHERE s.comp <> w.comp
    """


def resolve_person_id(engine: Engine, person_id: int) -> int:
    """The live person a (possibly retired) person id now belongs to.

    Follows ``persons.merged_into`` one step per query until a live id.
    """
    require_tables(engine, [PERSONS])
    seen: set[int] = set()
    current = int(person_id)
    while True:
        found = engine.rows(f"SELECT merged_into FROM {PERSONS} WHERE person_id = ?", [current])
        if not found:
            raise NotFoundError(f"person {current} does not exist")
        target = found[0][0]
        if target is None:
            return current
        seen.add(current)
        if int(target) in seen:
            raise NotFoundError(f"person {person_id} is merged into a cycle of persons")
        current = int(target)
