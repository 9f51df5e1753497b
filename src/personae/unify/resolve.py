"""The unify stage: deterministic identity stitching with guards and stable person ids.

Records that share a normalised identifier are the same person, except where a guard
says otherwise:

1. ``guards``        unpivot ``records`` into (id_type, id_value): blocked values and
                     generic values stop linking;
2. ``identifiers``   the (record, identifier) pairs, numbered;
3. ``households``    household-safe values shared by different people link only the
                     records that match by first name or birth date;
4. ``graph``/``components``  connected components of the identity graph, in SQL;
5. ``limits``        per-type limits drop the lowest-priority links of over-limit persons;
6. ``overrides``     manual must_link / cannot_link pairs, person merges and splits;
7. ``matching``      (``identity.matching.enabled``) Splink scores record pairs,
                     incrementally; ``clustering`` joins the deterministic parts along
                     the strongest edges, refusing merges with conflicting evidence;
   ``attach``        records without a name holding a household value join the one
                     person holding it (or stay apart when several persons do);
8. ``stable_ids``    person ids survive re-runs; merges and splits are logged.

Writes ``identifiers``, ``identity_map``, ``persons``, ``identity_guards``,
``identity_matches``, ``identity_attachments`` and appends to ``identity_history``. All
heavy work is SQL run by the engine.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# the step modules by name, not ``from personae.unify import ...``: the package's
# ``__init__`` imports this module
import personae.unify.attach as attach
import personae.unify.graph as graph
import personae.unify.history as history
import personae.unify.households as households
import personae.unify.identifiers as identifiers
import personae.unify.limits as limits
import personae.unify.matching.clustering as clustering
import personae.unify.overrides as overrides
import personae.unify.stable_ids as stable_ids
from personae.catalog import IDENTIFIERS, RECORDS
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.query.asof import timestamp_sql
from personae.unify.matching.model import model_path
from personae.unify.matching.records import unguarded_records
from personae.unify.matching.score import EDGES_TABLE, NEAR_MISSES_TABLE, score_pairs
from personae.unify.rules import IdentityType, identity_types
from personae.unify.stable_ids import COMP_PERSON
from personae.unify.tables import (
    ROLE_BLOCKED,
    ROLE_GENERIC,
    WORK_APART,
    WORK_COMPONENTS,
    WORK_DROPPED,
    WORK_GRAPH_COMPONENTS,
    WORK_HOLDS,
    WORK_TABLES,
    WORK_VALUES,
    WORK_VIEWS,
    drop_tables,
    drop_views,
    record_parts_sql,
)

_DROPPED_PAIRS = "_unify_dropped_pairs"


@dataclass
class ResolveReport:
    records: int = 0
    #: live persons (distinct person ids in identity_map)
    persons: int = 0
    new_persons: int = 0
    merges: int = 0
    splits: int = 0
    dropped_links: int = 0
    blocked_values: int = 0
    generic_values: int = 0
    household_splits: int = 0
    #: parts without a name attached to the one person holding their household values
    attached_parts: int = 0
    #: rounds of connected components on the whole graph
    rounds: int = 0
    #: links dropped to honour cannot_link overrides (also counted in dropped_links)
    override_drops: int = 0
    #: probabilistic matching: records in its input, records scored this run, edges above
    #: the threshold, edges that joined clusters, edges rejected by conflicts
    match_records: int = 0
    match_scored: int = 0
    match_edges: int = 0
    match_linked: int = 0
    match_rejected: int = 0
    #: pairs within the review band under the threshold (``identity_near_misses``)
    match_near_misses: int = 0
    #: the matching model was trained this run
    model_trained: bool = False
    #: candidate pairs per blocking rule (full scoring runs)
    blocking_pairs: dict[str, int] = field(default_factory=dict)
    #: problems that did not stop the run (e.g. overrides naming unknown records)
    warnings: list[str] = field(default_factory=list)
    #: step -> seconds
    seconds: dict[str, float] = field(default_factory=dict)


def resolve_identities(
    engine: Engine,
    config: ProjectConfig,
    run_id: str,
    now: dt.datetime,
    *,
    project_dir: Path | None = None,
    full: bool = False,
) -> ResolveReport:
    """Stitch ``records`` into persons; ``now`` stamps new persons and history rows.

    The matching model lives under ``project_dir`` (kept in memory without one). ``full``
    scores every record pair again instead of only those of new and changed records.
    """
    types = identity_types(config)
    at = timestamp_sql(now)
    report = ResolveReport()
    step = _Stopwatch(report.seconds)
    try:
        with step("guards"):
            identifiers.guard_values(engine, config, types)
        with step("identifiers"):
            identifiers.extract_identifiers(engine, types)
        with step("households"):
            report.household_splits = households.split_households(engine, types)
        with step("graph"):
            graph.build_holds(engine)
        with step("components"):
            report.rounds = graph.record_components(engine)
        with step("limits"):
            report.dropped_links = limits.apply_limits(engine, WORK_GRAPH_COMPONENTS, types)
        with step("overrides"):
            applied = overrides.apply_overrides(engine, config, types)
            report.override_drops = applied.dropped
            report.dropped_links += applied.dropped
            report.warnings.extend(applied.warnings)
        with step("matching"):
            _match(engine, config, types, project_dir, full, report)
        with step("attach"):
            report.attached_parts = attach.attach_nameless(engine)
        with step("stable_ids"):
            changes = stable_ids.assign_person_ids(engine, types, at, run_id)
        with step("outputs"):
            _write_identifiers(engine, types)
            attach.write_attachments(engine, COMP_PERSON)
            history.write_guard_report(engine)
            history.log_guards(engine, at, run_id)
            history.log_dropped_links(engine, at, run_id, COMP_PERSON)
            report.records = engine.count(WORK_COMPONENTS)
            report.persons = engine.count(COMP_PERSON)
            for role, count in engine.rows(
                f"SELECT role, count(*) FROM {WORK_VALUES} "
                f"WHERE role IN ('{ROLE_BLOCKED}', '{ROLE_GENERIC}') GROUP BY role"
            ):
                if role == ROLE_BLOCKED:
                    report.blocked_values = int(count)
                else:
                    report.generic_values = int(count)
    finally:
        drop_views(engine, WORK_VIEWS)
        drop_tables(
            engine,
            (
                *WORK_TABLES,
                *households.LOCAL_TABLES,
                *attach.LOCAL_TABLES,
                *graph.LOCAL_TABLES,
                *limits.LOCAL_TABLES,
                *overrides.LOCAL_TABLES,
                *stable_ids.LOCAL_TABLES,
                *clustering.LOCAL_TABLES,
                COMP_PERSON,
                _DROPPED_PAIRS,
            ),
        )
    report.merges, report.splits = changes.merges, changes.splits
    report.new_persons = changes.new_persons
    return report


def _match(
    engine: Engine,
    config: ProjectConfig,
    types: list[IdentityType],
    project_dir: Path | None,
    full: bool,
    report: ResolveReport,
) -> None:
    """Probabilistic edges, clustered with the deterministic parts (when enabled)."""
    matching = config.identity.matching
    if not matching.enabled:
        clustering.empty_match_clusters(engine)
        engine.drop_table(NEAR_MISSES_TABLE)
        return
    path = None if project_dir is None else model_path(project_dir)
    records = unguarded_records(RECORDS, WORK_VALUES)
    # records of one deterministic part are one person already: they are not compared
    scored = score_pairs(engine, records, matching, path, full=full, parts=record_parts_sql())
    clusters = clustering.cluster_matches(engine, EDGES_TABLE, types, matching, WORK_APART)
    report.match_records = scored.records
    report.match_scored = scored.scored or 0
    report.model_trained = scored.trained
    report.blocking_pairs = scored.blocking_pairs
    report.match_edges = clusters.edges
    report.match_near_misses = scored.near_misses
    report.match_linked = clusters.linked
    report.match_rejected = clusters.rejected


def _write_identifiers(engine: Engine, types: list[IdentityType]) -> None:
    """``identifiers``: what actually links, after guards and dropped links.

    Read again from ``records`` and filtered by the (small) sets of guarded values and
    dropped pairs, which is cheaper than joining the texts back onto ``_unify_raw``. A
    record loses an identifier to a dropped link when every node it holds for that
    value was dropped.
    """
    engine.create_table_as(
        _DROPPED_PAIRS,
        f"""
        SELECT c.source, c.record_id, v.id_type, v.id_value FROM (
            SELECT h.rid, h.vid FROM {WORK_HOLDS} AS h
            LEFT JOIN {WORK_DROPPED} AS d ON d.nid = h.nid
            WHERE h.vid IN (SELECT vid FROM {WORK_DROPPED})
            GROUP BY h.rid, h.vid HAVING count(d.nid) = count(*)
        ) AS x
        JOIN {WORK_COMPONENTS} AS c ON c.rid = x.rid
        JOIN {WORK_VALUES} AS v ON v.vid = x.vid
        """,
    )
    engine.create_table_as(
        IDENTIFIERS,
        f"""
        SELECT u.source, u.record_id, u.id_type, u.id_value
        FROM ({identifiers.identifiers_sql(types)}) AS u
        LEFT JOIN (
            SELECT id_type, id_value FROM {WORK_VALUES}
            WHERE role IN ('{ROLE_BLOCKED}', '{ROLE_GENERIC}')
        ) AS g ON g.id_type = u.id_type AND g.id_value = u.id_value
        LEFT JOIN {_DROPPED_PAIRS} AS x
          ON x.source = u.source AND x.record_id = u.record_id
         AND x.id_type = u.id_type AND x.id_value = u.id_value
        WHERE g.id_type IS NULL AND x.source IS NULL
        """,
    )


class _Stopwatch:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)
