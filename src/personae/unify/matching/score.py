"""Scoring: the edges of record pairs above the threshold, only new and changed records
re-scored when nothing else changed (see :func:`score_pairs`).

Pairs scored within ``identity.matching.review_band`` (in match weight) under the
threshold are the **near misses** (``identity_near_misses``): the same query keeps
them, for clerical review (:mod:`personae.unify.inspection.review`); they never link.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from personae.catalog import IDENTITY_EDGES, IDENTITY_MATCH_SCORED, IDENTITY_NEAR_MISSES
from personae.config.matching import MatchingConfig
from personae.engine import Engine
from personae.engine.matching import MatchingBackend
from personae.sql import literal
from personae.unify.matching.blocking import (
    PART_KEY_COLUMN,
    blocking_pair_counts,
    capped_rules,
    separated_rules,
    with_block_sizes,
)
from personae.unify.matching.frequencies import (
    register_term_frequencies,
    term_frequencies,
    trained_rows,
)
from personae.unify.matching.model import (
    linker_for,
    load_model,
    needs_training,
    require_splink,
    save_model,
    train_model,
)
from personae.unify.matching.records import INPUT_SQL, MATCH_COLUMNS

#: the records last scored (``identity_match_scored``): source, record_id, fingerprint of
#: the compared values, and the digest of the model and settings they were scored with
SCORED_TABLE = IDENTITY_MATCH_SCORED
EDGES_TABLE = IDENTITY_EDGES
NEAR_MISSES_TABLE = IDENTITY_NEAR_MISSES
_CURRENT = "_unify_match_current"
_GONE = "_unify_match_gone"
EDGE_SCHEMA = pa.schema(
    [
        ("source_l", pa.string()),
        ("record_id_l", pa.string()),
        ("source_r", pa.string()),
        ("record_id_r", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
    ]
)


@dataclass
class ProbabilisticResult:
    """What :func:`score_pairs` did."""

    records: int
    edges: int
    trained: bool
    model_path: Path | None
    seconds: float
    #: candidate pairs each blocking rule adds (after the rules before it); full runs with
    #: ``blocking_diagnostics`` only
    blocking_pairs: dict[str, int] = field(default_factory=dict)
    #: only new and changed records were scored
    incremental: bool = False
    #: records scored against the whole input
    scored: int | None = None
    #: pairs within the review band under the threshold (``identity_near_misses``)
    near_misses: int = 0


def score_pairs(
    engine: Engine,
    records_table: str,
    config: MatchingConfig,
    path: Path | None,
    *,
    full: bool = False,
    parts: str | None = None,
) -> ProbabilisticResult:
    """Score candidate pairs of ``records_table`` into :data:`EDGES_TABLE`, incrementally.

    ``parts`` (a query of ``source, record_id, comp``) names each record's deterministic
    part: two records of one part are not compared (:func:`.blocking.separated_rules`).
    A record's part is part of what it is scored with, so a record whose part changed is
    scored again (see :func:`_with_part_keys`).

    Only the records that are new or whose compared values changed since the last
    scoring are scored, against every record (``link_only`` between them and the whole
    input); edges of changed or removed records are replaced. Everything is scored again
    when ``full`` is set, when the model was (re)trained, when the threshold or blocking
    rules changed, or when more than half the records changed.

    Both ways give the same edges because a pair's score depends on the pair alone: the
    term frequencies are part of the model, computed on the whole input when it is
    trained and frozen with it (a value unseen then gets no adjustment).

    The input and the edges move between the warehouse and the matching backend through
    the backend (:meth:`MatchingBackend.load_from`, :meth:`MatchingBackend.save_to`);
    only the ids of changed records come back to Python.
    """
    require_splink()
    started = time.perf_counter()
    engine.create_table_as(
        _CURRENT,
        f"SELECT *, md5(concat_ws('|', {', '.join(_fingerprinted())})) AS fingerprint "
        f"FROM ({_with_part_keys(INPUT_SQL.format(table=records_table), parts)}) AS i",
    )
    try:
        return _score(engine, config, path, full, started, separated=parts is not None)
    finally:
        engine.drop_table(_CURRENT)


def _with_part_keys(records: str, parts: str | None) -> str:
    """The matching input ``records`` with :data:`PART_KEY_COLUMN`: the smallest record
    key of the record's part (its own key without ``parts``, or outside any part).

    A key, not the part's number: numbers change from run to run, and the key goes into
    the fingerprint that decides what incremental scoring scores again. When a part
    splits, at most one half keeps its smallest key, so the records of the other half are
    scored again, against the first half too; when parts merge, the records whose key
    changed are scored again and their pairs inside the merged part dropped.
    """
    own = "i.source || chr(31) || i.record_id"
    if parts is None:
        return f"SELECT i.*, {own} AS {PART_KEY_COLUMN} FROM ({records}) AS i"
    return f"""
        SELECT i.*, min({own}) OVER (
            PARTITION BY p.comp, CASE WHEN p.comp IS NULL THEN i.uid END
        ) AS {PART_KEY_COLUMN}
        FROM ({records}) AS i
        LEFT JOIN ({parts}) AS p ON p.source = i.source AND p.record_id = i.record_id
    """


def _score(
    engine: Engine,
    config: MatchingConfig,
    path: Path | None,
    full: bool,
    started: float,
    *,
    separated: bool,
) -> ProbabilisticResult:
    records = engine.count(_CURRENT)
    result = ProbabilisticResult(records, 0, False, path, 0.0)
    if records < 2:
        engine.write_arrow(EDGES_TABLE, EDGE_SCHEMA.empty_table(), mode="replace")
        engine.write_arrow(NEAR_MISSES_TABLE, EDGE_SCHEMA.empty_table(), mode="replace")
        engine.drop_table(SCORED_TABLE)
        result.seconds = time.perf_counter() - started
        return result
    backend = engine.matching_backend()
    try:
        columns = ("uid", "source", "record_id", PART_KEY_COLUMN, *MATCH_COLUMNS)
        backend.load_from(
            engine, "match_input", with_block_sizes(_CURRENT, columns, config.blocking_rules)
        )
        result.trained = needs_training(config, path, records)
        if result.trained:
            settings = train_model(backend, ["match_input"], config)
            if path is not None:
                save_model(settings, path, records)
        else:
            assert path is not None
            settings = load_model(path)
        frequencies = term_frequencies(backend, settings, config, path, result.trained, engine.keys)
        state = _scoring_state(settings, config, frequencies, separated)
        changed = None if full or result.trained else _changed(engine, state)
        if changed is None or len(changed) * 2 > records:
            linker = linker_for(
                backend, ["match_input"], settings, config, capped=True, separated=separated
            )
            register_term_frequencies(backend, linker, frequencies)
            _save_pairs(engine, backend, _predict(linker, config), config, mode="replace")
        else:
            result.incremental = True
            result.scored = len(changed)
            scored = _scored_of_changed(backend, settings, config, changed, frequencies, separated)
            _replace_pairs(engine, backend, scored, config)
        if result.scored is None:
            result.scored = records
        if config.blocking_diagnostics and not result.incremental:
            # blocks every pair a second time: opt-in, for tuning the rules
            # (keyed by the rules as written, counted as capped)
            rules = capped_rules(config.blocking_rules, config.max_block_records)
            counts = blocking_pair_counts(
                backend, "match_input", separated_rules(rules) if separated else rules
            )
            result.blocking_pairs = dict(zip(config.blocking_rules, counts.values(), strict=True))
    finally:
        backend.close()
    engine.create_table_as(
        SCORED_TABLE,
        f"SELECT source, record_id, fingerprint, {literal(state)} AS state FROM {_CURRENT}",
    )
    result.edges = engine.count(EDGES_TABLE)
    result.near_misses = engine.count(NEAR_MISSES_TABLE)
    result.seconds = time.perf_counter() - started
    return result


def _fingerprinted() -> list[str]:
    return [f"coalesce(CAST({c} AS VARCHAR), '')" for c in (*MATCH_COLUMNS, PART_KEY_COLUMN)]


def _scoring_state(
    settings: dict[str, Any],
    config: MatchingConfig,
    frequencies: dict[str, pa.Table],
    separated: bool,
) -> str:
    """A digest of everything that decides the edges: the model, rules and threshold,
    and whether records of one part are compared."""
    blob = json.dumps(
        [
            settings,
            {"parts_separated": separated},
            config.blocking_rules,
            config.max_block_records,
            config.threshold_match_probability,
            config.review_band,
            {column: trained_rows(table) for column, table in sorted(frequencies.items())},
        ],
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _changed(engine: Engine, state: str) -> list[int] | None:
    """uids of the input records to score again, or None when everything must be.

    Also writes :data:`_GONE`: the records whose edges are out of date (changed or no
    longer in the input).
    """
    if not all(engine.table_exists(t) for t in (SCORED_TABLE, EDGES_TABLE, NEAR_MISSES_TABLE)):
        return None
    states = engine.rows(f"SELECT DISTINCT state FROM {SCORED_TABLE}")
    if [str(row[0]) for row in states] != [state]:
        return None
    engine.create_table_as(
        _GONE,
        f"""
        SELECT s.source, s.record_id FROM {SCORED_TABLE} AS s
        LEFT JOIN {_CURRENT} AS c ON c.source = s.source AND c.record_id = s.record_id
        WHERE c.fingerprint IS NULL OR c.fingerprint <> s.fingerprint
        """,
    )
    return [
        int(row[0])
        for row in engine.rows(
            f"""
            SELECT c.uid FROM {_CURRENT} AS c
            LEFT JOIN {SCORED_TABLE} AS s
              ON s.source = c.source AND s.record_id = c.record_id
            WHERE s.fingerprint IS NULL OR s.fingerprint <> c.fingerprint
            ORDER BY c.uid
            """
        )
    ]


def threshold_weight(probability: float) -> float:
    """The match weight of a match probability, as Splink compares them:
    ``log2(p / (1 - p))`` (-inf at 0, inf at 1)."""
    if probability <= 0.0:
        return -math.inf
    if probability >= 1.0:
        return math.inf
    return math.log2(probability / (1.0 - probability))


def _predict(linker: Any, config: MatchingConfig) -> str:
    """The physical name of the scored pairs at least as strong as the review band's
    floor (the threshold's weight minus ``review_band``)."""
    floor = threshold_weight(config.threshold_match_probability) - config.review_band
    if math.isinf(floor):
        predictions = linker.inference.predict(
            threshold_match_probability=config.threshold_match_probability or None
        )
    else:
        predictions = linker.inference.predict(threshold_match_weight=floor)
    return str(predictions.physical_name)


def _save_pairs(
    engine: Engine,
    backend: MatchingBackend,
    table: str,
    config: MatchingConfig,
    mode: Literal["append", "replace"],
) -> None:
    """Pairs of the scored ``table`` at or above the threshold to :data:`EDGES_TABLE`,
    those under it (the near misses) to :data:`NEAR_MISSES_TABLE`; compared on the
    unrounded weight, as Splink's own threshold is."""
    weight = threshold_weight(config.threshold_match_probability)
    above = "true" if weight == -math.inf else "false" if weight == math.inf else None
    at_least = above or f"match_weight >= {weight!r}"
    backend.save_to(engine, EDGES_TABLE, _canonical(table, at_least), mode=mode)
    backend.save_to(engine, NEAR_MISSES_TABLE, _canonical(table, f"NOT ({at_least})"), mode=mode)


def _canonical(table: str, where: str = "true") -> str:
    """Edges with the smaller (source, record_id) on the left, once each, ordered."""
    first = "(source_l < source_r OR (source_l = source_r AND record_id_l < record_id_r))"
    return f"""
        SELECT DISTINCT
            CAST(CASE WHEN {first} THEN source_l ELSE source_r END AS VARCHAR) AS source_l,
            CAST(CASE WHEN {first} THEN record_id_l ELSE record_id_r END AS VARCHAR)
                AS record_id_l,
            CAST(CASE WHEN {first} THEN source_r ELSE source_l END AS VARCHAR) AS source_r,
            CAST(CASE WHEN {first} THEN record_id_r ELSE record_id_l END AS VARCHAR)
                AS record_id_r,
            -- rounded: sums taken in another order must not reorder equal edges
            round(CAST(match_probability AS DOUBLE), 12) AS match_probability,
            round(CAST(match_weight AS DOUBLE), 9) AS match_weight
        FROM {table}
        WHERE {where} AND NOT (source_l = source_r AND record_id_l = record_id_r)
        ORDER BY match_weight DESC, source_l, record_id_l, source_r, record_id_r
    """


def _scored_of_changed(
    backend: MatchingBackend,
    settings: dict[str, Any],
    config: MatchingConfig,
    uids: list[int],
    frequencies: dict[str, pa.Table],
    separated: bool,
) -> str | None:
    """The scored pairs (a backend table) of the ``uids`` records with every record
    (themselves included), or None when there is none to score."""
    if not uids:
        return None
    backend.load("match_changed_uids", pa.table({"uid": pa.array(uids, pa.int64())}))
    backend.create_table(
        "match_changed",
        "SELECT * FROM match_input WHERE uid IN (SELECT uid FROM match_changed_uids)",
    )
    linker = linker_for(
        backend,
        ["match_changed", "match_input"],
        settings,
        config,
        link_type="link_only",
        capped=True,
        separated=separated,
    )
    register_term_frequencies(backend, linker, frequencies)
    return _predict(linker, config)


def _replace_pairs(
    engine: Engine, backend: MatchingBackend, scored: str | None, config: MatchingConfig
) -> None:
    """Drop the edges and near misses of changed and removed records (``_GONE``), then
    add those of ``scored``."""
    try:
        for table in (EDGES_TABLE, NEAR_MISSES_TABLE):
            engine.execute(
                f"""
                DELETE FROM {table} AS e WHERE EXISTS (
                    SELECT 1 FROM {_GONE} AS g
                    WHERE (g.source = e.source_l AND g.record_id = e.record_id_l)
                       OR (g.source = e.source_r AND g.record_id = e.record_id_r))
                """
            )
        if scored is not None:
            _save_pairs(engine, backend, scored, config, mode="append")
    finally:
        engine.drop_table(_GONE)
