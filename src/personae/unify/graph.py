"""Step 5 of stitching: the identity graph and each record's component.

Nodes are the linking identifier values (``role = 'link'``, id = ``vid``) and the
sub-nodes of household-split values. A record holding several nodes links them with a
star (each node to the record's smallest node), so a record holding one node adds no
edge; values held by a single record are not nodes at all. Typo links between
first-name sub-nodes are edges too.
"""

from __future__ import annotations

from personae.engine import Engine
from personae.unify.components import connected_components, working_tables
from personae.unify.tables import (
    ROLE_LINK,
    WORK_GRAPH_COMPONENTS,
    WORK_HOLDS,
    WORK_HOUSEHOLDS,
    WORK_LINKS,
    WORK_RAW,
    WORK_SUBHOLDS,
    drop_tables,
)

_LABELS = "_unify_labels"
_RECORD_NODE = "_unify_record_node"
_CC = "_unify_cc"
#: this module's own working tables (dropped as it goes, and by the stage on failure)
LOCAL_TABLES = (_LABELS, _RECORD_NODE, *working_tables(_CC))


def build_holds(engine: Engine) -> None:
    """``_unify_holds(rid, nid, vid, id_type)``: the nodes each record holds."""
    engine.create_table_as(
        WORK_HOLDS,
        f"""
        SELECT rid, vid AS nid, vid, id_type FROM {WORK_RAW}
        WHERE role = '{ROLE_LINK}' AND vid NOT IN (SELECT vid FROM {WORK_HOUSEHOLDS})
        UNION ALL
        SELECT rid, nid, vid, id_type FROM {WORK_SUBHOLDS}
        """,
    )


def record_components(engine: Engine) -> int:
    """``_unify_graph_components(rid, comp)`` for every record holding a node.

    Returns the rounds of connected components run. ``comp`` identifies the component:
    its smallest node (>= 1). A record without nodes is alone in its component, later
    identified as ``-rid``.
    """
    engine.create_table_as(
        _RECORD_NODE, f"SELECT rid, min(nid) AS node FROM {WORK_HOLDS} GROUP BY rid"
    )
    edges = f"""
        SELECT r.node AS a, h.nid AS b FROM {WORK_HOLDS} AS h
        JOIN {_RECORD_NODE} AS r ON r.rid = h.rid
        WHERE h.nid <> r.node
        UNION ALL
        SELECT a, b FROM {WORK_LINKS}
    """
    rounds = connected_components(engine, edges, _LABELS, work=_CC)
    engine.create_table_as(
        WORK_GRAPH_COMPONENTS,
        f"""
        SELECT n.rid, coalesce(l.label, n.node) AS comp FROM {_RECORD_NODE} AS n
        LEFT JOIN {_LABELS} AS l ON l.node = n.node
        """,
    )
    drop_tables(engine, (_LABELS, _RECORD_NODE))
    return rounds
