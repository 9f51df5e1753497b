"""The tables the unify stage reads and writes, and its working tables.

Output tables (kept): ``identifiers``, ``identity_map``, ``persons``, ``identity_history``
and the report ``identity_guards``. Working tables and views start with ``_unify_`` and
are dropped when the stage ends.

Writing a large table costs more than computing it on most engines (DuckDB compresses
every column it stores), so the stage materialises few large tables: the unpivot
(``_unify_raw``), the distinct values, the graph membership (``_unify_holds``) and the
components; everything else is a view, a subquery or a small table.
"""

from __future__ import annotations

from personae.catalog import IDENTITY_HISTORY as HISTORY
from personae.engine import Engine

#: the unpivot: one row per (record, identifier) with rid, source, id_type and the
#: value's vid and role; plus one row per record with ``id_type`` NULL holding its
#: record_id, fn (first_name_key), ln (last_name_key) and bd (birth_date). ``rid`` is
#: a dense join key in no particular order: nothing written out depends on its value
WORK_RAW = "_unify_raw"
#: VIEW: one row per record: rid, source, record_id
WORK_RECORDS = "_unify_records"
#: one row per distinct identifier: vid, id_type, id_value, records, names, role, reason
WORK_VALUES = "_unify_values"
#: household-split values: vid, names
WORK_HOUSEHOLDS = "_unify_households"
#: sub-nodes of household-split values: nid, vid, id_type, kind ('fn'/'bd'/'?'), key
WORK_SUBNODES = "_unify_subnodes"
#: records holding sub-nodes: rid, nid, vid, id_type
WORK_SUBHOLDS = "_unify_subholds"
#: node-node links between typo-close first-name sub-nodes: a, b, id_type
WORK_LINKS = "_unify_links"
#: graph membership: record rid holds node nid (of identifier vid, of type id_type)
WORK_HOLDS = "_unify_holds"
#: the component of each record holding a node: rid, comp (its smallest node); records
#: without nodes are alone, their component is ``-rid``
WORK_GRAPH_COMPONENTS = "_unify_graph_components"
#: records whose component was reworked to respect limits: rid, part
WORK_LIMIT_PARTS = "_unify_limit_parts"
#: links dropped to respect per-type limits: nid, vid, id_type, reason
WORK_DROPPED = "_unify_dropped"
#: records that overrides keep apart: rid, grp, side (written by the overrides step)
WORK_APART = "_unify_apart"
#: deterministic parts joined by probabilistic edges: comp, cluster (a member comp)
WORK_MATCH_CLUSTERS = "_unify_match_clusters"
#: each record's final component and its previous person id: rid, source, record_id,
#: comp, old
WORK_COMPONENTS = "_unify_components"

#: roles of a distinct identifier value in ``_unify_values``
ROLE_BLOCKED = "blocked"
ROLE_GENERIC = "generic"
ROLE_LINK = "link"  # held by several records: a node of the graph
ROLE_SINGLE = "single"  # held by one record: usable, but links nothing

HISTORY_COLUMNS = (
    '"at" TIMESTAMP, run_id VARCHAR, action VARCHAR, person_id BIGINT, '
    "other_person_id BIGINT, id_type VARCHAR, id_value VARCHAR, reason VARCHAR"
)

#: the working tables shared between steps, dropped when the stage ends
WORK_TABLES = (
    WORK_RAW,
    WORK_VALUES,
    WORK_HOUSEHOLDS,
    WORK_SUBNODES,
    WORK_SUBHOLDS,
    WORK_LINKS,
    WORK_HOLDS,
    WORK_GRAPH_COMPONENTS,
    WORK_LIMIT_PARTS,
    WORK_DROPPED,
    WORK_APART,
    WORK_MATCH_CLUSTERS,
    WORK_COMPONENTS,
)
WORK_VIEWS = (WORK_RECORDS,)


def record_parts_sql() -> str:
    """Each record's deterministic part: ``rid, source, record_id, comp``.

    Its part reworked by limits or overrides, else its graph component, else (no node)
    ``-rid``: the record alone.
    """
    return f"""
        SELECT r.rid, r.source, r.record_id, coalesce(p.part, g.comp, -r.rid) AS comp
        FROM {WORK_RECORDS} AS r
        LEFT JOIN {WORK_GRAPH_COMPONENTS} AS g ON g.rid = r.rid
        LEFT JOIN {WORK_LIMIT_PARTS} AS p ON p.rid = r.rid
    """


def ensure_history(engine: Engine) -> None:
    """Create the (append-only) ``identity_history`` table on the first run."""
    if not engine.table_exists(HISTORY):
        engine.execute(f"CREATE TABLE {HISTORY} ({HISTORY_COLUMNS})")


def drop_tables(engine: Engine, names: tuple[str, ...] | list[str]) -> None:
    for name in names:
        engine.drop_table(name)


def drop_views(engine: Engine, names: tuple[str, ...] | list[str]) -> None:
    for name in names:
        engine.execute(f"DROP VIEW IF EXISTS {name}")
