"""The tables the unify stage reads and writes, and its working tables.

Output tables (kept): ``identifiers``, ``identity_map``, ``persons``, ``identity_history``
and the report ``identity_guards``. Working tables start with ``_unify_`` and are dropped
when the stage ends.
"""

from __future__ import annotations

import datetime as dt

from personae.engine import Engine
from personae.sql import literal

RECORDS = "records"
IDENTIFIERS = "identifiers"
IDENTITY_MAP = "identity_map"
PERSONS = "persons"
HISTORY = "identity_history"
GUARDS = "identity_guards"

#: one row per record: ``rid`` (a dense join key, in no particular order), source,
#: record_id
WORK_RECORDS = "_unify_records"
#: the same with fn, bd and the identity columns, until identifiers are extracted
WORK_RECORDS_WIDE = "_unify_records_wide"
#: one row per (record, identifier) as extracted: rid, source, record_id, fn
#: (first_name_key), bd (birth_date), id_type, id_value
WORK_RAW = "_unify_raw"
#: one row per (record, identifier): rid, source, fn, bd, id_type, vid, role
WORK_IDS = "_unify_ids"
#: one row per distinct identifier: vid, id_type, id_value, records, names, role, reason
WORK_VALUES = "_unify_values"
#: household-split values: vid, names
WORK_HOUSEHOLDS = "_unify_households"
#: sub-nodes of household-split values: nid, vid, kind ('fn'/'bd'/'?'), key
WORK_SUBNODES = "_unify_subnodes"
#: records holding sub-nodes: rid, nid, vid, id_type
WORK_SUBHOLDS = "_unify_subholds"
#: node-node links between typo-close first-name sub-nodes: a, b, id_type
WORK_LINKS = "_unify_links"
#: graph membership: rid holds node nid (of identifier vid, of type id_type)
WORK_HOLDS = "_unify_holds"
#: each record's component in the whole graph: rid, comp (an arbitrary unique BIGINT)
WORK_GRAPH_COMPONENTS = "_unify_graph_components"
#: each record's component once limits are applied: rid, comp
WORK_COMPONENTS = "_unify_components"
#: links dropped to respect per-type limits: nid, id_type, reason
WORK_DROPPED = "_unify_dropped"

#: roles of a distinct identifier value in ``_unify_values``
ROLE_BLOCKED = "blocked"
ROLE_GENERIC = "generic"
ROLE_LINK = "link"  # held by several records: a node of the graph
ROLE_SINGLE = "single"  # held by one record: usable, but links nothing


HISTORY_COLUMNS = (
    '"at" TIMESTAMP, run_id VARCHAR, action VARCHAR, person_id BIGINT, '
    "other_person_id BIGINT, id_type VARCHAR, id_value VARCHAR, reason VARCHAR"
)


def ensure_history(engine: Engine) -> None:
    """Create the (append-only) ``identity_history`` table on the first run."""
    if not engine.table_exists(HISTORY):
        engine.execute(f"CREATE TABLE {HISTORY} ({HISTORY_COLUMNS})")


def timestamp_sql(moment: dt.datetime) -> str:
    """A TIMESTAMP literal; aware datetimes are converted to naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return f"CAST({literal(moment.isoformat(sep=' '))} AS TIMESTAMP)"


def drop_tables(engine: Engine, names: tuple[str, ...] | list[str]) -> None:
    for name in names:
        engine.drop_table(name)


#: the working tables shared between steps, dropped when the stage ends
WORK_TABLES = (
    WORK_RECORDS_WIDE,
    WORK_RECORDS,
    WORK_RAW,
    WORK_IDS,
    WORK_VALUES,
    WORK_HOUSEHOLDS,
    WORK_SUBNODES,
    WORK_SUBHOLDS,
    WORK_LINKS,
    WORK_HOLDS,
    WORK_GRAPH_COMPONENTS,
    WORK_COMPONENTS,
    WORK_DROPPED,
)
