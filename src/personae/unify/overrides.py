"""Step 7 of stitching: manual overrides (``identity.overrides``), applied on every run.

* ``must_link`` joins the components of two records, whatever their identifiers say;
* ``cannot_link`` separates two records: while a path of shared identifiers (or
  must-links) joins them, the weakest identifier node on the shortest such path is
  dropped (lowest priority, then held by most records). Dropped nodes go to
  ``_unify_dropped`` with a reason naming the override, so they are logged as
  ``drop_link`` in ``identity_history`` and stop linking in ``identifiers``;
* ``merge_persons`` must-links one record of each person; ``split_persons`` separates
  the listed records from the person's other records, like ``cannot_link`` between two
  sets. The records a person override stands for are taken from the previous run's
  ``identity_map`` the first time it applies and kept in ``identity_override_records``,
  so later runs (where the ids have merged or split) apply it to the same records;
* every separation is also written to ``_unify_apart(rid, grp, side)``, which the
  probabilistic clustering reads so that no match joins what an override keeps apart.

Only the components holding a named record are reworked (they are few): their records,
nodes and node links are read into Python, re-stitched, and their new parts written to
``_unify_limit_parts`` (``part`` is ``-rid`` of one of their records, as limits do).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise

import pyarrow as pa

from personae.catalog import IDENTITY_MAP, IDENTITY_OVERRIDE_RECORDS
from personae.config.models import ProjectConfig
from personae.config.overrides import split_record
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.sql import literal
from personae.unify.rules import IdentityType
from personae.unify.stable_ids import resolve_person_id
from personae.unify.tables import (
    WORK_APART,
    WORK_DROPPED,
    WORK_GRAPH_COMPONENTS,
    WORK_HOLDS,
    WORK_LIMIT_PARTS,
    WORK_LINKS,
    WORK_RECORDS,
    drop_tables,
)

#: the records each person override stands for: override, source, record_id, side
OVERRIDE_RECORDS = IDENTITY_OVERRIDE_RECORDS
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


@dataclass(frozen=True)
class _Separation:
    """Records ``starts`` are never one person with records ``ends``."""

    starts: frozenset[int]
    ends: frozenset[int]
    label: str


def apply_overrides(
    engine: Engine, config: ProjectConfig, types: list[IdentityType]
) -> OverrideResult:
    overrides = config.identity.overrides
    result = OverrideResult()
    separations: list[_Separation] = []
    try:
        pairs = overrides.must_link + overrides.cannot_link
        rids = _named_records(engine, pairs, result) if pairs else {}
        must = [(rids[a], rids[b]) for a, b in overrides.must_link if a in rids and b in rids]
        separations = [
            _Separation(
                frozenset([rids[a]]), frozenset([rids[b]]), f"cannot_link override [{a}, {b}]"
            )
            for a, b in overrides.cannot_link
            if a in rids and b in rids
        ]
        for key, sides in _person_overrides(engine, config, result).items():
            if key.startswith("merge"):
                members = sorted(sides.get(0, ()))
                must.extend(pairwise(members))
            elif sides.get(0) and sides.get(1):
                separations.append(
                    _Separation(frozenset(sides[0]), frozenset(sides[1]), f"{key} override")
                )
        if must or separations:
            result.dropped = _rework(engine, types, must, separations)
    finally:
        _write_apart(engine, separations)
        drop_tables(engine, LOCAL_TABLES)
    return result


def _write_apart(engine: Engine, separations: list[_Separation]) -> None:
    """``_unify_apart(rid, grp, side)``: what each separation keeps apart."""
    rows = [
        (rid, grp, side)
        for grp, sep in enumerate(separations)
        for side, rids in ((0, sep.starts), (1, sep.ends))
        for rid in sorted(rids)
    ]
    engine.write_arrow(
        WORK_APART,
        pa.table(
            {
                "rid": pa.array([r[0] for r in rows], pa.int64()),
                "grp": pa.array([r[1] for r in rows], pa.int64()),
                "side": pa.array([r[2] for r in rows], pa.int32()),
            }
        ),
        mode="replace",
    )


def _person_overrides(
    engine: Engine, config: ProjectConfig, result: OverrideResult
) -> dict[str, dict[int, set[int]]]:
    """Each person override's key -> side -> rids of the records it stands for.

    Merges have one side (0) with one record per person; splits have the listed records
    (side 0) and the person's other records (side 1).
    """
    overrides = config.identity.overrides
    wanted: dict[str, tuple[str, list[int], list[str]]] = {}
    for group in overrides.merge_persons:
        wanted["merge_persons " + str(sorted(group))] = ("merge", sorted(group), [])
    for split in overrides.split_persons:
        key = f"split_persons {split.person}: {sorted(split.records)}"
        wanted[key] = ("split", [split.person], sorted(split.records))
    if not wanted:
        return {}
    if not engine.table_exists(OVERRIDE_RECORDS):
        engine.execute(
            f"CREATE TABLE {OVERRIDE_RECORDS} (override VARCHAR, source VARCHAR, "
            "record_id VARCHAR, side INTEGER)"
        )
    stored = {str(k) for (k,) in engine.rows(f"SELECT DISTINCT override FROM {OVERRIDE_RECORDS}")}
    for key, (kind, persons, records) in wanted.items():
        if key not in stored:
            _remember(engine, key, kind, persons, records, result)
    found: dict[str, dict[int, set[int]]] = {}
    for key, rid, side in engine.rows(
        f"""
        SELECT o.override, r.rid, o.side FROM {OVERRIDE_RECORDS} AS o
        JOIN {WORK_RECORDS} AS r ON r.source = o.source AND r.record_id = o.record_id
        """
    ):
        if str(key) in wanted:
            found.setdefault(str(key), {}).setdefault(int(side), set()).add(int(rid))
    return found


def _remember(
    engine: Engine,
    key: str,
    kind: str,
    persons: list[int],
    records: list[str],
    result: OverrideResult,
) -> None:
    """Store the records a person override stands for, from the previous run's map."""
    live: list[int] = []
    for person in persons:
        try:
            live.append(resolve_person_id(engine, person))
        except NotFoundError:
            result.warnings.append(
                f"identity.overrides {key}: person {person} does not exist (run resolve "
                "once before naming persons); the override is ignored this run"
            )
            return
    if not engine.table_exists(IDENTITY_MAP):
        return
    ids = ", ".join(str(p) for p in sorted(set(live)))
    if kind == "merge":
        rows = engine.rows(
            f"""
            SELECT min(m.source || chr(1) || m.record_id) FROM {IDENTITY_MAP} AS m
            JOIN {WORK_RECORDS} AS r ON r.source = m.source AND r.record_id = m.record_id
            WHERE m.person_id IN ({ids}) GROUP BY m.person_id
            """
        )
        firsts = [str(k).split(chr(1), 1) for (k,) in rows]
        members = [(first[0], first[1], 0) for first in firsts]
    else:
        listed = {split_record(name) for name in records}
        rows = engine.rows(
            f"SELECT source, record_id FROM {IDENTITY_MAP} WHERE person_id IN ({ids})"
        )
        members = [(str(a), str(b), 0 if (str(a), str(b)) in listed else 1) for a, b in rows]
        members += [(a, b, 0) for a, b in listed if (a, b) not in {(m[0], m[1]) for m in members}]
    if not members:
        return
    values = ", ".join(
        f"({literal(key)}, {literal(str(m[0]))}, {literal(str(m[1]))}, {int(m[2])})"
        for m in members
    )
    engine.execute(f"INSERT INTO {OVERRIDE_RECORDS} VALUES {values}")


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
    separations: list[_Separation],
) -> int:
    named = sorted(
        {rid for pair in must for rid in pair}
        | {r for sep in separations for r in sep.starts | sep.ends}
    )
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
    for sep in separations:
        starts: list[_Key] = [("r", rid) for rid in sorted(sep.starts)]
        ends: set[_Key] = {("r", rid) for rid in sep.ends}
        while (path := _path(graph, starts, ends)) is not None:
            candidates = [k for k in path if k[0] == "n"]
            if not candidates:  # joined by must_link alone: the config validator forbids it
                break
            weakest = max(
                candidates, key=lambda k: (rank.get(info[k][1], len(rank)), len(graph[k]))
            )
            for other in graph.pop(weakest):
                graph[other].discard(weakest)
            vid, id_type = info[weakest]
            reason = f"{sep.label}: weakest link between them"
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


def _path(graph: dict[_Key, set[_Key]], starts: list[_Key], ends: set[_Key]) -> list[_Key] | None:
    """The shortest path from any of ``starts`` to any of ``ends`` (BFS, deterministic)."""
    previous: dict[_Key, _Key | None] = dict.fromkeys(starts)
    queue = deque(starts)
    while queue:
        here = queue.popleft()
        if here in ends:
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
