"""Step 7 of stitching: manual overrides (``identity.overrides``), applied on every run.

* ``must_link`` joins the components of two records, whatever their identifiers say;
* ``cannot_link`` separates two records: while a path of shared identifiers (or
  must-links) joins them, the weakest identifier node on the shortest such path is
  dropped (lowest priority, then held by most records). Dropped nodes go to
  ``_unify_dropped`` with a reason naming the override, so they are logged as
  ``drop_link`` in ``identity_history`` and stop linking in ``identifiers``.

Only the components holding a named record are reworked (they are few): their records,
nodes and node links are read into Python, re-stitched, and their new parts written to
``_unify_limit_parts`` (``part`` is ``-rid`` of one of their records, as limits do).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import pyarrow as pa

from personae.config.models import ProjectConfig
from personae.config.overrides import split_record
from personae.engine import Engine
from personae.sql import literal
from personae.unify.rules import IdentityType
from personae.unify.tables import (
    WORK_DROPPED,
    WORK_GRAPH_COMPONENTS,
    WORK_HOLDS,
    WORK_LIMIT_PARTS,
    WORK_LINKS,
    WORK_RECORDS,
)

_NAMES = "_unify_ov_names"
_AFFECTED = "_unify_ov_affected"
_PARTS = "_unify_ov_parts"
#: this module's own working tables (dropped as it goes, and by the stage on failure)
LOCAL_TABLES = (_NAMES, _AFFECTED, _PARTS)

#: a node of the re-stitched graph: ("r", rid) for a record, ("n", comp, nid) for a node
_Key = tuple[object, ...]


@dataclass
class OverrideResult:
    warnings: list[str] = field(default_factory=list)
    dropped: int = 0


def apply_overrides(
    engine: Engine, config: ProjectConfig, types: list[IdentityType]
) -> OverrideResult:
    overrides = config.identity.overrides
    result = OverrideResult()
    if not overrides.must_link and not overrides.cannot_link:
        return result
    try:
        rids = _named_records(engine, overrides.must_link + overrides.cannot_link, result)
        must = [(rids[a], rids[b]) for a, b in overrides.must_link if a in rids and b in rids]
        cannot = [
            (rids[a], rids[b], a, b) for a, b in overrides.cannot_link if a in rids and b in rids
        ]
        if must or cannot:
            result.dropped = _rework(engine, types, must, cannot)
    finally:
        for name in LOCAL_TABLES:
            engine.drop_table(name)
    return result


def _named_records(
    engine: Engine, pairs: list[tuple[str, str]], result: OverrideResult
) -> dict[str, int]:
    """Record name -> rid; unknown names become warnings."""
    names = sorted({name for pair in pairs for name in pair})
    values = ", ".join(
        f"({literal(n)}, {literal(split_record(n)[0])}, {literal(split_record(n)[1])})"
        for n in names
    )
    found = {
        str(name): int(rid)
        for name, rid in engine.rows(
            f"""
            SELECT n.name, r.rid FROM (VALUES {values}) AS n(name, source, record_id)
            JOIN {WORK_RECORDS} AS r ON r.source = n.source AND r.record_id = n.record_id
            """
        )
    }
    for name in names:
        if name not in found:
            result.warnings.append(
                f"identity.overrides names record {name!r}, which is not in 'records': "
                "the override is ignored"
            )
    return found


def _rework(
    engine: Engine,
    types: list[IdentityType],
    must: list[tuple[int, int]],
    cannot: list[tuple[int, int, str, str]],
) -> int:
    named = sorted({rid for pair in must for rid in pair} | {r for c in cannot for r in c[:2]})
    engine.create_table_as(
        _AFFECTED,
        f"""
        WITH c AS (
            SELECT r.rid, coalesce(p.part, g.comp, -r.rid) AS comp FROM {WORK_RECORDS} AS r
            LEFT JOIN {WORK_GRAPH_COMPONENTS} AS g ON g.rid = r.rid
            LEFT JOIN {WORK_LIMIT_PARTS} AS p ON p.rid = r.rid
        )
        SELECT rid, comp FROM c
        WHERE comp IN (SELECT comp FROM c WHERE rid IN ({", ".join(map(str, named))}))
        """,
    )
    comp_of = {int(r): int(c) for r, c in engine.rows(f"SELECT rid, comp FROM {_AFFECTED}")}
    holds = engine.rows(
        f"""
        SELECT h.rid, h.nid, h.vid, h.id_type FROM {WORK_HOLDS} AS h
        WHERE h.rid IN (SELECT rid FROM {_AFFECTED})
          AND h.nid NOT IN (SELECT nid FROM {WORK_DROPPED})
        """
    )
    links = engine.rows(
        f"SELECT a, b FROM {WORK_LINKS} WHERE a IN (SELECT nid FROM {WORK_HOLDS} "
        f"WHERE rid IN (SELECT rid FROM {_AFFECTED}))"
    )
    rank = {t.name: t.rank for t in types}
    graph: dict[_Key, set[_Key]] = {("r", rid): set() for rid in comp_of}
    info: dict[_Key, tuple[int, str]] = {}  # node -> (vid, id_type)
    for rid, nid, vid, id_type in holds:
        node: _Key = ("n", comp_of[int(rid)], int(nid))
        info[node] = (int(vid), str(id_type))
        _connect(graph, ("r", int(rid)), node)
    for a, b in links:
        for c in set(comp_of.values()):
            if ("n", c, int(a)) in graph and ("n", c, int(b)) in graph:
                _connect(graph, ("n", c, int(a)), ("n", c, int(b)))
    for a, b in must:
        _connect(graph, ("r", a), ("r", b))

    dropped: list[tuple[int, int, str, str]] = []
    for a, b, name_a, name_b in cannot:
        while (path := _path(graph, ("r", a), ("r", b))) is not None:
            candidates = [k for k in path if k[0] == "n"]
            if not candidates:  # joined by must_link alone: the config validator forbids it
                break
            weakest = max(
                candidates, key=lambda k: (rank.get(info[k][1], len(rank)), len(graph[k]))
            )
            for other in graph.pop(weakest):
                graph[other].discard(weakest)
            vid, id_type = info[weakest]
            reason = f"cannot_link override [{name_a}, {name_b}]: weakest link between them"
            dropped.append((int(str(weakest[2])), vid, id_type, reason))

    engine.write_arrow(_PARTS, _parts(graph, comp_of), mode="replace")
    engine.execute(f"DELETE FROM {WORK_LIMIT_PARTS} WHERE rid IN (SELECT rid FROM {_PARTS})")
    engine.execute(f"INSERT INTO {WORK_LIMIT_PARTS} SELECT rid, part FROM {_PARTS}")
    if dropped:
        engine.write_arrow(
            _NAMES,
            pa.table(
                {
                    "nid": pa.array([d[0] for d in dropped], pa.int64()),
                    "vid": pa.array([d[1] for d in dropped], pa.int64()),
                    "id_type": pa.array([d[2] for d in dropped], pa.string()),
                    "reason": pa.array([d[3] for d in dropped], pa.string()),
                }
            ),
            mode="replace",
        )
        engine.execute(f"INSERT INTO {WORK_DROPPED} SELECT nid, vid, id_type, reason FROM {_NAMES}")
    return len(dropped)


def _connect(graph: dict[_Key, set[_Key]], a: _Key, b: _Key) -> None:
    graph.setdefault(a, set()).add(b)
    graph.setdefault(b, set()).add(a)


def _path(graph: dict[_Key, set[_Key]], start: _Key, end: _Key) -> list[_Key] | None:
    """The shortest path from ``start`` to ``end`` (BFS, deterministic), or None."""
    previous: dict[_Key, _Key | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == end:
            path = [here]
            while (back := previous[path[-1]]) is not None:
                path.append(back)
            return path
        for there in sorted(graph.get(here, ()), key=repr):
            if there not in previous:
                previous[there] = here
                queue.append(there)
    return None


def _parts(graph: dict[_Key, set[_Key]], comp_of: dict[int, int]) -> pa.Table:
    """``(rid, part)`` of every reworked record: ``part`` is ``-min(rid)`` of its part."""
    rids, parts = [], []
    seen: set[_Key] = set()
    for rid in sorted(comp_of):
        start: _Key = ("r", rid)
        if start in seen:
            continue
        members, queue = [], deque([start])
        seen.add(start)
        while queue:
            here = queue.popleft()
            if here[0] == "r":
                members.append(int(str(here[1])))
            for there in graph.get(here, ()):
                if there not in seen:
                    seen.add(there)
                    queue.append(there)
        for member in members:
            rids.append(member)
            parts.append(-min(members))
    return pa.table({"rid": pa.array(rids, pa.int64()), "part": pa.array(parts, pa.int64())})
