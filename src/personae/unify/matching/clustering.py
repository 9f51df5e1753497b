"""Step 8 of stitching: probabilistic edges join the deterministic parts, without chaining.

The deterministic steps leave each record in a *part* (its component after guards, limits
and overrides). Probabilistic edges (:mod:`personae.unify.matching`) between records
of different parts are candidate merges. They are taken strongest first, as in a maximum
spanning forest, and an edge is **rejected** when the two clusters it would join hold
conflicting strong evidence:

* two birth dates that are not one typo (or a day/month swap) apart;
* a first name on one side that matches none on the other (typos within Jaro-Winkler
  0.85, initials and prefixes, and first/last swaps are allowed);
* more values of a limited identifier type than its limit allows (two customer ids from
  the same source when ``customer_id`` has ``limit: 1, per_source: true``), unless the
  type says ``on_conflict: merge_when_certain`` and the edge's probability reaches
  ``certain_probability`` (a double sign-up: the person keeps both values);
* records that an override keeps apart (``_unify_apart``);
* more records in the matching input than ``max_cluster_records``.

So a cluster never grows through a weak edge into a conflict: it is split along its
weakest edges. Households stay apart because their members' first names and birth dates
differ. The edges between clusters are few (most probabilistic edges fall inside a
deterministic part) and are clustered in Python; everything else is SQL.

Writes ``_unify_match_clusters(comp, cluster)`` for the parts that merged, and the
persistent ``identity_matches`` (every probabilistic edge with its status: ``linked``,
``within`` or ``rejected`` and why), which ``explain`` and the history read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pyarrow as pa

from personae.catalog import IDENTITY_MATCHES
from personae.config.matching import MatchingConfig
from personae.engine import Engine
from personae.unify.names import birth_dates_compatible, first_names_compatible
from personae.unify.rules import IdentityType
from personae.unify.tables import WORK_MATCH_CLUSTERS, WORK_RAW, drop_tables, record_parts_sql

_PARTS = "_unify_m_parts"
_EDGES = "_unify_m_edges"
_CROSS = "_unify_m_cross"
_DECIDED = "_unify_m_decided"
#: this module's own working tables (dropped as it goes, and by the stage on failure)
LOCAL_TABLES = (_PARTS, _EDGES, _CROSS, _DECIDED)

STATUS_LINKED = "linked"
STATUS_WITHIN = "within"
STATUS_REJECTED = "rejected"

T = TypeVar("T")


@dataclass
class ClusterReport:
    #: probabilistic edges considered (above the threshold)
    edges: int = 0
    #: edges that joined two clusters
    linked: int = 0
    #: edges refused because of conflicting evidence or the size limit
    rejected: int = 0
    #: deterministic parts absorbed into another by probabilistic edges
    merged_parts: int = 0


@dataclass(frozen=True)
class _Rules:
    #: id_type -> most values one person may hold (per source when the type says so)
    limits: dict[str, int]
    #: most records with a name (the matching input) one cluster may hold
    max_records: int
    #: limited types whose values merge over the limit along a certain edge
    mergeable: frozenset[str] = frozenset()
    #: the probability an edge needs to merge over the limit of a mergeable type
    certain: float = 1.0


@dataclass
class _Cluster:
    """What a cluster holds that a merge must not contradict."""

    records: int = 0
    birth_dates: set[str] = field(default_factory=set)
    #: (first_name_key, last_name_key) pairs with a first name
    names: set[tuple[str, str | None]] = field(default_factory=set)
    #: (id_type, source or '') -> value ids, for limited types only
    limited: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    #: override group -> side
    apart: dict[int, int] = field(default_factory=dict)

    def absorb(self, other: _Cluster) -> None:
        self.records += other.records
        self.birth_dates |= other.birth_dates
        self.names |= other.names
        for key, values in other.limited.items():
            self.limited.setdefault(key, set()).update(values)
        self.apart.update(other.apart)


def cluster_matches(
    engine: Engine,
    edges_table: str,
    types: list[IdentityType],
    config: MatchingConfig,
    apart_table: str | None,
) -> ClusterReport:
    """Join parts along the edges of ``edges_table``; write the match clusters and statuses."""
    report = ClusterReport()
    try:
        engine.create_table_as(_PARTS, record_parts_sql())
        engine.create_table_as(
            _EDGES,
            f"""
            SELECT e.source_l, e.record_id_l, e.source_r, e.record_id_r,
                   e.match_probability, e.match_weight, pl.comp AS comp_l, pr.comp AS comp_r
            FROM {edges_table} AS e
            JOIN {_PARTS} AS pl ON pl.source = e.source_l AND pl.record_id = e.record_id_l
            JOIN {_PARTS} AS pr ON pr.source = e.source_r AND pr.record_id = e.record_id_r
            """,
        )
        report.edges = engine.count(_EDGES)
        cross = engine.query(
            f"""
            SELECT source_l, record_id_l, source_r, record_id_r, comp_l, comp_r, match_weight,
                   match_probability
            FROM {_EDGES} WHERE comp_l <> comp_r
            ORDER BY match_weight DESC, source_l, record_id_l, source_r, record_id_r
            """
        )
        clusters = _load_clusters(engine, types, apart_table, cross)
        rules = _Rules(
            limits={t.name: t.rule.limit for t in types if t.rule.limit is not None},
            max_records=config.max_cluster_records,
            mergeable=frozenset(
                t.name
                for t in types
                if t.rule.limit is not None and t.rule.on_conflict == "merge_when_certain"
            ),
            certain=config.certain_probability,
        )
        decided, merged = _greedy(cross, clusters, rules)
        report.linked = sum(1 for status, _ in decided if status == STATUS_LINKED)
        report.rejected = sum(1 for status, _ in decided if status == STATUS_REJECTED)
        report.merged_parts = len(merged)
        engine.write_arrow(
            WORK_MATCH_CLUSTERS,
            pa.table(
                {
                    "comp": pa.array(list(merged), pa.int64()),
                    "cluster": pa.array(list(merged.values()), pa.int64()),
                }
            ),
            mode="replace",
        )
        engine.write_arrow(
            _DECIDED,
            pa.table(
                {
                    "source_l": cross.column("source_l"),
                    "record_id_l": cross.column("record_id_l"),
                    "source_r": cross.column("source_r"),
                    "record_id_r": cross.column("record_id_r"),
                    "status": pa.array([s for s, _ in decided], pa.string()),
                    "reason": pa.array([r for _, r in decided], pa.string()),
                }
            ),
            mode="replace",
        )
        _write_matches(engine)
    finally:
        drop_tables(engine, LOCAL_TABLES)
    return report


def empty_match_clusters(engine: Engine) -> None:
    """No probabilistic step: no part merges (and no ``identity_matches``)."""
    engine.write_arrow(
        WORK_MATCH_CLUSTERS,
        pa.table({"comp": pa.array([], pa.int64()), "cluster": pa.array([], pa.int64())}),
        mode="replace",
    )
    engine.drop_table(IDENTITY_MATCHES)


def _load_clusters(
    engine: Engine,
    types: list[IdentityType],
    apart_table: str | None,
    cross: pa.Table,
) -> dict[int, _Cluster]:
    """The evidence held by every part that a cross edge touches."""
    comps = sorted(
        set(cross.column("comp_l").to_pylist()) | set(cross.column("comp_r").to_pylist())
    )
    clusters = {comp: _Cluster() for comp in comps}
    if not comps:
        return clusters
    engine.write_arrow(_CROSS, pa.table({"comp": pa.array(comps, pa.int64())}), mode="replace")
    touched = f"SELECT rid, comp FROM {_PARTS} WHERE comp IN (SELECT comp FROM {_CROSS})"
    for comp, records, fn, ln, bd in engine.rows(
        f"""
        SELECT p.comp, count(*) OVER (PARTITION BY p.comp), w.fn, w.ln, CAST(w.bd AS VARCHAR)
        FROM ({touched}) AS p JOIN {WORK_RAW} AS w ON w.rid = p.rid AND w.id_type IS NULL
        WHERE w.fn IS NOT NULL OR w.ln IS NOT NULL OR w.bd IS NOT NULL
        """
    ):
        cluster = clusters[int(comp)]
        cluster.records = int(records)
        if bd is not None:
            cluster.birth_dates.add(str(bd))
        if fn is not None:
            cluster.names.add((str(fn), None if ln is None else str(ln)))
    limited = [t for t in types if t.rule.limit is not None]
    if limited:
        per_source = [t.name for t in limited if t.rule.per_source]
        names = ", ".join(f"'{t.name}'" for t in limited)
        source_key = (
            f"CASE WHEN w.id_type IN ({', '.join(repr(n) for n in per_source)}) "
            "THEN w.source ELSE '' END"
            if per_source
            else "''"
        )
        for comp, id_type, source, vid in engine.rows(
            f"""
            SELECT DISTINCT p.comp, w.id_type, {source_key}, w.vid
            FROM ({touched}) AS p JOIN {WORK_RAW} AS w ON w.rid = p.rid
            WHERE w.id_type IN ({names}) AND w.role IN ('link', 'single')
            """
        ):
            key = (str(id_type), str(source))
            clusters[int(comp)].limited.setdefault(key, set()).add(int(vid))
    if apart_table is not None and engine.table_exists(apart_table):
        for comp, grp, side in engine.rows(
            f"""
            SELECT DISTINCT p.comp, a.grp, a.side FROM ({touched}) AS p
            JOIN {apart_table} AS a ON a.rid = p.rid
            """
        ):
            clusters[int(comp)].apart[int(grp)] = int(side)
    return clusters


def _greedy(
    cross: pa.Table, clusters: dict[int, _Cluster], rules: _Rules
) -> tuple[list[tuple[str, str | None]], dict[int, int]]:
    """Union-find over the cross edges, strongest first, refusing conflicting merges.

    Returns each edge's (status, reason) and ``comp -> cluster`` for the comps that
    joined another (``cluster`` is the comp of the cluster's first, strongest member).
    """
    parent = {comp: comp for comp in clusters}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    decided: list[tuple[str, str | None]] = []
    comp_l = cross.column("comp_l").to_pylist()
    comp_r = cross.column("comp_r").to_pylist()
    probability = cross.column("match_probability").to_pylist()
    for a, b, p in zip(comp_l, comp_r, probability, strict=True):
        ra, rb = find(int(a)), find(int(b))
        if ra == rb:
            decided.append((STATUS_WITHIN, None))
            continue
        conflict = _conflict(clusters[ra], clusters[rb], rules, float(p))
        if conflict is not None:
            decided.append((STATUS_REJECTED, conflict))
            continue
        keep, gone = (ra, rb) if clusters[ra].records >= clusters[rb].records else (rb, ra)
        parent[gone] = keep
        clusters[keep].absorb(clusters.pop(gone))
        decided.append((STATUS_LINKED, None))
    merged = {comp: find(comp) for comp in parent if find(comp) != comp}
    for root in set(merged.values()):
        merged[root] = root
    return decided, merged


def _conflict(a: _Cluster, b: _Cluster, rules: _Rules, probability: float) -> str | None:
    """Why clusters ``a`` and ``b`` cannot be one person (joined by an edge of
    ``probability``), or None.

    Over the limit of a ``merge_when_certain`` type, an edge of at least ``rules.certain``
    merges (the checks of birth dates and first names came first).
    """
    for grp, side in a.apart.items():
        if b.apart.get(grp, side) != side:
            return "an identity override keeps these records apart"
    if a.records + b.records > rules.max_records:
        return (
            f"the merged person would hold {a.records + b.records} records with names, more "
            f"than identity.matching.max_cluster_records ({rules.max_records})"
        )
    lonely = _without_friend(a.birth_dates, b.birth_dates, birth_dates_compatible)
    if lonely is not None:
        return f"conflicting birth dates {lonely[0]} / {lonely[1]}"
    lonely_name = _without_friend(a.names, b.names, _names_compatible)
    if lonely_name is not None:
        return f"conflicting first names {lonely_name[0][0]} / {lonely_name[1][0]}"
    for key, values in sorted(a.limited.items()):  # sorted: the same reason on every engine
        other = b.limited.get(key)
        if other is None:
            continue
        union = values | other
        limit = rules.limits[key[0]]
        if len(union) > max(limit, len(values), len(other)):
            if key[0] in rules.mergeable and probability >= rules.certain:
                continue
            where = f" from source {key[1]}" if key[1] else ""
            return f"more than {limit} {key[0]} value(s){where} in one person"
    return None


def _names_compatible(x: tuple[str, str | None], y: tuple[str, str | None]) -> bool:
    if first_names_compatible(x[0], y[0]):
        return True
    # first and last swapped on one side
    return (
        x[1] is not None
        and y[1] is not None
        and first_names_compatible(x[0], y[1])
        and first_names_compatible(x[1], y[0])
    )


def _without_friend(
    left: set[T], right: set[T], check: Callable[[T, T], bool]
) -> tuple[T, T] | None:
    """A value of one side compatible with no value of the other, with an example."""
    if not left or not right:
        return None
    for value in sorted(left, key=repr):
        if not any(check(value, other) for other in right):
            return value, min(right, key=repr)
    for value in sorted(right, key=repr):
        if not any(check(other, value) for other in left):
            return min(left, key=repr), value
    return None


def _write_matches(engine: Engine) -> None:
    """``identity_matches``: every edge, its probability and weight, status and reason."""
    engine.create_table_as(
        IDENTITY_MATCHES,
        f"""
        SELECT e.source_l, e.record_id_l, e.source_r, e.record_id_r,
               e.match_probability, e.match_weight,
               coalesce(d.status, '{STATUS_WITHIN}') AS status, d.reason
        FROM {_EDGES} AS e
        LEFT JOIN {_DECIDED} AS d
          ON d.source_l = e.source_l AND d.record_id_l = e.record_id_l
         AND d.source_r = e.source_r AND d.record_id_r = e.record_id_r
        """,
    )
