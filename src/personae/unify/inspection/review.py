"""The clerical review queue: the borderline matches a person should decide.

Three kinds of record pairs, read from what the last run wrote:

* ``under``: scored within ``identity.matching.review_band`` under the match threshold
  (``identity_near_misses``), held by two persons: would they be one?
* ``over``: a probabilistic edge within the band over the threshold that joined two
  clusters (``identity_matches``, status ``linked``): are they really one?
* ``rejected``: an edge over the threshold that clustering refused for conflicting
  evidence (``identity_matches``, status ``rejected``, with its ``reason``), held by two
  persons.

Pairs already one person by other evidence (``under``, ``rejected``) and pairs an
override already decides (a ``must_link``/``cannot_link`` of the pair, a record named by
``split_persons``, persons named together by ``merge_persons``) are left out.

Each item's ``impact`` is how many records would change person if the decision went the
other way: the smaller of the two persons for ``under`` and ``rejected`` (a merge moves
it); for ``over``, the records of the person the edge belongs to (a split re-partitions
it: an upper bound, since the smaller side of the cut is not stored). The queue is
sorted by impact, largest first, then by closeness to the threshold.

:func:`decide` writes the answer as an override (``must_link`` for the same person,
``cannot_link`` for not the same) into ``overrides.yml``; the next run applies it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from personae.catalog import IDENTITY_MAP, IDENTITY_MATCHES, IDENTITY_NEAR_MISSES
from personae.config.models import ProjectConfig
from personae.config.override_file import Override
from personae.engine import Engine
from personae.errors import PersonaeError
from personae.sql import literal
from personae.unify.matching.clustering import STATUS_LINKED, STATUS_REJECTED
from personae.unify.matching.score import threshold_weight
from personae.unify.override_actions import add

ReviewKind = Literal["under", "over", "rejected"]
REVIEW_KINDS: tuple[ReviewKind, ...] = get_args(ReviewKind)


@dataclass(frozen=True)
class ReviewItem:
    """One pair to review. Records are named ``source:record_id``."""

    a: str
    b: str
    #: the persons holding ``a`` and ``b`` now (the same person for ``over``)
    person_a: int
    person_b: int
    match_probability: float
    match_weight: float
    kind: ReviewKind
    #: why clustering refused the edge (``rejected`` only)
    reason: str | None
    #: records that would change person if the decision went the other way
    impact: int


def review_queue(
    engine: Engine,
    config: ProjectConfig,
    *,
    limit: int = 50,
    offset: int = 0,
    kind: ReviewKind | None = None,
) -> list[ReviewItem]:
    """The borderline pairs of the last run, most impact first (see the module's doc);
    ``kind`` keeps one kind. Empty when matching never ran."""
    sql = _queue_sql(engine, config, kind)
    if sql is None:
        return []
    rows = engine.rows(
        f"""
        SELECT a, b, person_a, person_b, match_probability, match_weight, kind, reason,
               impact
        FROM ({sql}) AS q
        ORDER BY impact DESC, closeness, a, b
        LIMIT {int(limit)} OFFSET {int(offset)}
        """
    )
    return [
        ReviewItem(
            a=str(a),
            b=str(b),
            person_a=int(pa),
            person_b=int(pb),
            match_probability=float(p),
            match_weight=float(w),
            kind=review_kind(str(k)),
            reason=None if reason is None else str(reason),
            impact=int(impact),
        )
        for a, b, pa, pb, p, w, k, reason, impact in rows
    ]


def review_count(engine: Engine, config: ProjectConfig, kind: ReviewKind | None = None) -> int:
    """How many pairs :func:`review_queue` holds (for paging)."""
    sql = _queue_sql(engine, config, kind)
    return 0 if sql is None else int(engine.scalar(f"SELECT count(*) FROM ({sql}) AS q") or 0)


def decide(project_dir: Path, a: str, b: str, same: bool, *, actor: str | None = None) -> Override:
    """Record a reviewer's answer for records ``a`` and ``b`` (``source:record_id``):
    ``same`` adds ``must_link [a, b]``, otherwise ``cannot_link [a, b]``, to
    ``overrides.yml`` (audited; refused with a message when it contradicts another
    override). The next run applies it, and the pair leaves the queue."""
    return add(project_dir, "must_link" if same else "cannot_link", [a, b], actor=actor)


def review_kind(value: str) -> ReviewKind:
    """``value`` as a :data:`ReviewKind`; raises saying the kinds otherwise."""
    for known in REVIEW_KINDS:
        if value == known:
            return known
    raise PersonaeError(f"unknown review kind {value!r}; use one of {', '.join(REVIEW_KINDS)}")


def _queue_sql(engine: Engine, config: ProjectConfig, kind: ReviewKind | None) -> str | None:
    if kind is not None and kind not in REVIEW_KINDS:
        raise PersonaeError(f"unknown review kind {kind!r}; use one of {', '.join(REVIEW_KINDS)}")
    matching = config.identity.matching
    threshold = threshold_weight(matching.threshold_match_probability)
    parts = []
    columns = "source_l, record_id_l, source_r, record_id_r, match_probability, match_weight"
    if kind in (None, "under") and engine.table_exists(IDENTITY_NEAR_MISSES):
        parts.append(
            f"SELECT {columns}, 'under' AS kind, NULL AS reason FROM {IDENTITY_NEAR_MISSES}"
        )
    if engine.table_exists(IDENTITY_MATCHES):
        if kind in (None, "over") and not math.isinf(threshold):
            ceiling = threshold + matching.review_band
            parts.append(
                f"SELECT {columns}, 'over' AS kind, NULL AS reason FROM {IDENTITY_MATCHES} "
                f"WHERE status = '{STATUS_LINKED}' AND match_weight < {ceiling!r}"
            )
        if kind in (None, "rejected"):
            parts.append(
                f"SELECT {columns}, 'rejected' AS kind, reason FROM {IDENTITY_MATCHES} "
                f"WHERE status = '{STATUS_REJECTED}'"
            )
    if not parts or not engine.table_exists(IDENTITY_MAP):
        return None
    closeness = "0.0" if math.isinf(threshold) else f"abs(e.match_weight - ({threshold!r}))"
    return f"""
        WITH pairs AS ({" UNION ALL ".join(parts)}),
        ends AS (
            SELECT concat(p.source_l, ':', p.record_id_l) AS a,
                   concat(p.source_r, ':', p.record_id_r) AS b,
                   ml.person_id AS person_a, mr.person_id AS person_b,
                   p.match_probability, p.match_weight, p.kind, p.reason
            FROM pairs AS p
            JOIN {IDENTITY_MAP} AS ml ON ml.source = p.source_l AND ml.record_id = p.record_id_l
            JOIN {IDENTITY_MAP} AS mr ON mr.source = p.source_r AND mr.record_id = p.record_id_r
            WHERE (CASE WHEN p.kind = 'over' THEN ml.person_id = mr.person_id
                        ELSE ml.person_id <> mr.person_id END)
              AND {_undecided(config)}
        ),
        sizes AS (
            -- only the persons of the pairs are counted
            SELECT person_id, count(*) AS records FROM {IDENTITY_MAP}
            WHERE person_id IN (SELECT person_a FROM ends UNION SELECT person_b FROM ends)
            GROUP BY person_id
        )
        SELECT e.*,
               CASE WHEN e.kind = 'over' THEN sl.records
                    ELSE least(sl.records, sr.records) END AS impact,
               {closeness} AS closeness
        FROM ends AS e
        JOIN sizes AS sl ON sl.person_id = e.person_a
        JOIN sizes AS sr ON sr.person_id = e.person_b
    """


def _undecided(config: ProjectConfig) -> str:
    """The SQL condition of a pair (``p``, its records' rows ``ml``/``mr`` of the
    identity map) no override decides."""
    overrides = config.identity.overrides
    conditions = ["true"]
    pairs = {
        f"{x}|{y}"
        for a, b in [*overrides.must_link, *overrides.cannot_link]
        for x, y in ((a, b), (b, a))
    }
    name_l = "concat(p.source_l, ':', p.record_id_l)"
    name_r = "concat(p.source_r, ':', p.record_id_r)"
    if pairs:
        listed = ", ".join(literal(pair) for pair in sorted(pairs))
        conditions.append(f"concat({name_l}, '|', {name_r}) NOT IN ({listed})")
    split = sorted({r for s in overrides.split_persons for r in s.records})
    if split:
        listed = ", ".join(literal(name) for name in split)
        conditions.append(f"{name_l} NOT IN ({listed}) AND {name_r} NOT IN ({listed})")
    merged = sorted(
        {f"{x}|{y}" for group in overrides.merge_persons for x in group for y in group if x != y}
    )
    if merged:
        listed = ", ".join(literal(pair) for pair in merged)
        conditions.append(
            f"concat(CAST(ml.person_id AS VARCHAR), '|', CAST(mr.person_id AS VARCHAR)) "
            f"NOT IN ({listed})"
        )
    return " AND ".join(conditions)
