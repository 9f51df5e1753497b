"""Probabilistic identity matching: a Fellegi-Sunter model (Splink) over ``records``.

Deterministic stitching links records that share an identifier. This module scores the
pairs of records that share none, from their names, birth date, address, postcode, city,
email local part and phone, with a model trained without labels:

1. the matching input is the ``records`` of kind ``people`` plus every record that carries
   a name, reduced to the compared columns (:data:`INPUT_SQL`);
2. candidate pairs come from the blocking rules of :class:`MatchingConfig`;
3. u probabilities are estimated by random sampling, m probabilities by expectation
   maximisation over blocked pairs; term-frequency adjustments make a common name count
   for less;
4. the model is saved as JSON and reused until ``retrain`` is set or the file is removed;
5. pairs scoring at least ``threshold_match_probability`` are written to
   ``identity_edges_probabilistic``.

Splink runs where the engine's :class:`MatchingBackend` says: a private in-memory DuckDB
fed with Arrow by default, Splink's Spark backend in the engine's own session on Spark
(where the input and the edges never leave the executors). Splink is an optional
dependency (``pip install 'personae[match]'``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from personae.config.matching import MatchingConfig
from personae.engine import AUTHORING_DIALECT, Engine
from personae.engine.matching import MatchingBackend
from personae.errors import PersonaeError
from personae.sql import literal

EDGES_TABLE = "identity_edges_probabilistic"
#: the records last scored: source, record_id, fingerprint of the compared values, and the
#: digest of the model and settings they were scored with
SCORED_TABLE = "identity_match_scored"
#: the trained model, relative to the project folder
MODEL_FILE = Path(".personae") / "models" / "matching.json"
_CURRENT = "_unify_match_current"
_GONE = "_unify_match_gone"
#: the compared columns every matching input must have (NULL where unknown)
MATCH_COLUMNS = (
    "first_name_key",
    "last_name_key",
    "full_name_key",
    "birth_date",
    "postcode",
    "city",
    "address",
    "email_local",
    "phone",
)
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

#: the matching input, from the clean stage's ``records`` (``{table}`` is filled in)
INPUT_SQL = """
SELECT
    row_number() OVER (ORDER BY source, record_id) AS uid,
    source,
    record_id,
    first_name_key,
    last_name_key,
    nullif(concat_ws(' ', first_name_key, last_name_key), '') AS full_name_key,
    CAST(birth_date AS VARCHAR) AS birth_date,
    postcode,
    city,
    address,
    -- the e-mail's local part without the record's own names: "jean.dupont" says no
    -- more than the name does (namesakes share it), "jdupont75" keeps "j75"
    nullif(regexp_replace(
        replace(replace(lower(split_part(email, '@', 1)),
                        coalesce(nullif(last_name_key, ''), chr(1)), ''),
                coalesce(nullif(first_name_key, ''), chr(1)), ''),
        '[^a-z0-9]', '', 'g'), '') AS email_local,
    phone
FROM {table}
WHERE source_kind = 'people' OR first_name_key IS NOT NULL OR last_name_key IS NOT NULL
"""


def unguarded_records(records: str, values: str) -> str:
    """``records`` without the e-mails and phones that guards stop from linking.

    ``values`` is the stage's table of distinct identifiers with their ``role``: a
    blocked or generic value (``test@test.com``, a shop's phone) is no evidence either,
    and comparing it would make millions of candidate pairs.
    """
    guarded = (
        "SELECT id_value FROM {values} WHERE id_type = '{kind}' AND role IN ('blocked', 'generic')"
    )
    return f"""(
        SELECT r.source, r.record_id, r.source_kind, r.first_name_key, r.last_name_key,
               r.birth_date, r.postcode, r.city, r.address,
               CASE WHEN r.email IN ({guarded.format(values=values, kind="email")})
                    THEN NULL ELSE r.email END AS email,
               CASE WHEN r.phone IN ({guarded.format(values=values, kind="phone")})
                    THEN NULL ELSE r.phone END AS phone
        FROM {records} AS r
    ) AS unguarded"""


#: pairs that are almost surely the same person, to estimate the prior of a match
DETERMINISTIC_RULES = (
    "l.first_name_key = r.first_name_key AND l.last_name_key = r.last_name_key "
    "AND l.birth_date = r.birth_date",
    "l.email_local = r.email_local AND l.last_name_key = r.last_name_key",
)
#: blocking rules of the EM sessions: each session leaves its own columns untrained, and
#: together they train every comparison
EM_TRAINING_RULES = (
    "l.birth_date = r.birth_date",
    "l.full_name_key = r.full_name_key",
)


@dataclass
class ProbabilisticResult:
    """What :func:`score_pairs` did."""

    records: int
    edges: int
    trained: bool
    model_path: Path | None
    seconds: float
    #: candidate pairs each blocking rule adds (after the rules before it); full runs only
    blocking_pairs: dict[str, int] = field(default_factory=dict)
    #: only new and changed records were scored
    incremental: bool = False
    #: records scored against the whole input
    scored: int | None = None


def _splink() -> Any:
    """Splink, with its progress messages (EM iterations, timings) kept quiet.

    Linkers are built with ``set_up_basic_logging=False``, which would otherwise turn
    Splink's INFO messages back on (and configure the root logger).
    """
    try:
        import splink
    except ImportError:  # pragma: no cover - depends on the installation
        raise PersonaeError(
            "probabilistic matching needs Splink: pip install 'personae[match]'"
        ) from None
    logging.getLogger("splink").setLevel(logging.ERROR)
    return splink


def comparisons() -> list[Any]:
    """The comparisons of the model, over :data:`MATCH_COLUMNS`."""
    import splink.comparison_library as cl

    return [
        # exact full name (term-frequency adjusted), first/last swapped, Jaro-Winkler on
        # both, exact on one of them
        cl.ForenameSurnameComparison(
            "first_name_key",
            "last_name_key",
            forename_surname_concat_col_name="full_name_key",
        ),
        cl.DateOfBirthComparison("birth_date", input_is_string=True),
        _place(),
        cl.JaroWinklerAtThresholds("address", [0.95, 0.8]),
        # what is left of the e-mail's local part once the names are removed
        cl.ExactMatch("email_local").configure(term_frequency_adjustments=True),
        cl.LevenshteinAtThresholds("phone", [1, 2]),
    ]


def model_path(project_dir: Path) -> Path:
    """Where a project keeps its trained matching model (Splink settings JSON)."""
    return project_dir / MODEL_FILE


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".meta.json")


def needs_training(config: MatchingConfig, path: Path | None, records: int) -> bool:
    """Train unless a saved model exists, ``retrain`` is off and the input has not drifted.

    Drift: the input grew or shrank by more than ``retrain_on_growth`` since training.
    """
    if path is None or not path.exists() or config.retrain:
        return True
    meta = _meta_path(path)
    if not meta.exists():
        return False
    trained_on = int(json.loads(meta.read_text(encoding="utf-8")).get("records", 0))
    if trained_on <= 0:
        return True
    growth = max(records, 1) / trained_on
    return growth > config.retrain_on_growth or growth < 1 / config.retrain_on_growth


def train_model(
    backend: MatchingBackend,
    tables: Sequence[str],
    config: MatchingConfig,
    *,
    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"] = "dedupe_only",
    extra_columns: Sequence[str] = ("source", "record_id"),
) -> dict[str, Any]:
    """Train the model on ``tables`` without labels and return its settings.

    One table larger than ``training_sample`` is trained on a random sample of that many
    records. The match prior comes from near-certain deterministic rules, u
    probabilities from random pairs, m probabilities from expectation maximisation in
    two sessions.
    """
    _splink()
    from splink import Linker, SettingsCreator
    from splink.blocking_rule_library import CustomRule

    training: list[str] = list(tables)
    if len(tables) == 1 and backend.count(tables[0]) > config.training_sample:
        # a pseudo-random sample that is the same on every engine and every run
        training = [f"{tables[0]}__sample"]
        backend.create_table(
            training[0],
            f"SELECT * FROM {tables[0]} ORDER BY md5(CAST(uid AS VARCHAR)) "
            f"LIMIT {config.training_sample}",
        )
    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="uid",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[
            CustomRule(rule, sql_dialect=AUTHORING_DIALECT) for rule in config.blocking_rules
        ],
        additional_columns_to_retain=list(extra_columns),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(
        training if len(training) > 1 else training[0],
        settings,
        backend.db_api(),
        set_up_basic_logging=False,
    )
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=config.deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=config.sample_pairs_for_u, seed=1)
    for rule in EM_TRAINING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    trained = model_in_dialect(_with_floor(linker.misc.save_model_to_json()), AUTHORING_DIALECT)
    if training != list(tables):
        backend.drop_table(training[0])
    return trained


#: the smallest m probability a trained level keeps: EM on data where true matches never
#: disagree (the demo never mistypes a birth date) learns m = 1e-18, i.e. a disagreement
#: worth -60 bits that no other evidence could outweigh; real data has such errors
M_FLOOR = 1e-3


def _with_floor(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with every trained m probability at least :data:`M_FLOOR`."""
    for comparison in settings.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            m = level.get("m_probability")
            if m is not None and m < M_FLOOR:
                level["m_probability"] = M_FLOOR
    return settings


def save_model(settings: dict[str, Any], path: Path, records: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    _meta_path(path).write_text(json.dumps({"records": records}), encoding="utf-8")


def load_model(path: Path) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return settings


def linker_for(
    backend: MatchingBackend,
    tables: Sequence[str],
    settings: dict[str, Any],
    config: MatchingConfig,
    *,
    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"] = "dedupe_only",
) -> Any:
    """A linker over ``tables`` from trained ``settings``, with the configured blocking."""
    from splink import Linker

    db_api = backend.db_api()
    settings = model_in_dialect(settings, db_api.sql_dialect.sql_dialect_str)
    settings["blocking_rules_to_generate_predictions"] = _rules(config.blocking_rules)
    settings["link_type"] = link_type
    input_tables = list(tables) if len(tables) > 1 else tables[0]
    return Linker(input_tables, settings, db_api, set_up_basic_logging=False)


def _rules(rules: Sequence[str]) -> list[dict[str, str]]:
    """Blocking rules as Splink takes them, marked as written in DuckDB's dialect."""
    return [{"blocking_rule": rule, "sql_dialect": AUTHORING_DIALECT} for rule in rules]


def model_in_dialect(settings: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The trained model ``settings`` with its SQL in ``dialect``.

    A saved model holds the SQL of each comparison level in the dialect it was trained
    in (DuckDB's, always: see :func:`train_model`). For another backend the comparisons
    are generated again in its dialect by Splink (function names differ: DuckDB's
    ``jaro_winkler_similarity`` is the jar's ``jaro_winkler`` on Spark), and the trained
    parameters are copied level by level.
    """
    if settings.get("sql_dialect") == dialect:
        return dict(settings)
    from splink import SettingsCreator

    fresh = SettingsCreator(
        link_type=settings.get("link_type", "dedupe_only"),
        unique_id_column_name="uid",
        comparisons=comparisons(),
    ).create_settings_dict(dialect)["comparisons"]
    trained = settings.get("comparisons", [])
    shapes = [(c["output_column_name"], len(c["comparison_levels"])) for c in trained]
    if shapes != [(c["output_column_name"], len(c["comparison_levels"])) for c in fresh]:
        raise PersonaeError(
            "the saved matching model was trained with other comparisons than this version "
            f"of personae uses ({shapes}); retrain it: set identity.matching.retrain: true "
            "for one run, or run 'personae resolve --full' after deleting .personae/models"
        )
    for comparison, old in zip(fresh, trained, strict=True):
        for level, old_level in zip(
            comparison["comparison_levels"], old["comparison_levels"], strict=True
        ):
            for key in _TRAINED_KEYS:
                if key in old_level:
                    level[key] = old_level[key]
    return {**settings, "comparisons": fresh, "sql_dialect": dialect}


#: what training sets on a comparison level (the rest is SQL and labels)
_TRAINED_KEYS = (
    "m_probability",
    "u_probability",
    "fix_m_probability",
    "fix_u_probability",
    "tf_adjustment_column",
    "tf_adjustment_weight",
    "tf_minimum_u_value",
)


def _place() -> Any:
    """Postcode and city as ONE comparison: they say nearly the same thing, and counting
    them as two independent pieces of evidence made namesakes of one town look like one
    person. A postcode counts for less where many people live (term frequencies).
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    unknown = (
        '("postcode_l" IS NULL AND "city_l" IS NULL) OR ("postcode_r" IS NULL AND "city_r" IS NULL)'
    )
    return cl.CustomComparison(
        output_column_name="place",
        comparison_description="postcode, else city",
        comparison_levels=[
            cll.CustomLevel(
                unknown, label_for_charts="no postcode or city", base_dialect_str=AUTHORING_DIALECT
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("postcode", term_frequency_adjustments=True),
            cll.LevenshteinLevel("postcode", 1),
            cll.ExactMatchLevel("city", term_frequency_adjustments=True),
            cll.ElseLevel(),
        ],
    )


def build_linker(
    backend: MatchingBackend,
    tables: Sequence[str],
    config: MatchingConfig,
    path: Path | None,
    *,
    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"] = "dedupe_only",
    extra_columns: Sequence[str] = ("source", "record_id"),
) -> tuple[Any, bool]:
    """A trained linker over ``tables`` of ``backend``.

    Each table has ``uid`` and :data:`MATCH_COLUMNS`. Loads the model from ``path``
    unless :func:`needs_training` says otherwise; trains (on the first table, or a sample
    of it) and saves it then. Returns the linker and whether it was trained.
    """
    _splink()
    rows = backend.count(tables[0])
    trained = needs_training(config, path, rows)
    if trained:
        settings = train_model(
            backend, tables, config, link_type=link_type, extra_columns=extra_columns
        )
        if path is not None:
            save_model(settings, path, rows)
    else:
        assert path is not None
        settings = load_model(path)
    return linker_for(backend, tables, settings, config, link_type=link_type), trained


def blocking_pair_counts(
    backend: MatchingBackend,
    table: str,
    rules: Sequence[str],
    *,
    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"] = "dedupe_only",
) -> dict[str, int]:
    """Candidate pairs each rule adds after the rules before it."""
    from splink.blocking_analysis import (
        cumulative_comparisons_to_be_scored_from_blocking_rules_data,
    )

    frame = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
        table_or_tables=table,
        blocking_rules=_rules(rules),
        link_type=link_type,
        db_api=backend.db_api(),
        unique_id_column_name="uid",
    )
    return {
        str(rule): int(count)
        for rule, count in zip(frame["blocking_rule"], frame["row_count"], strict=True)
    }


def score_pairs(
    engine: Engine,
    records_table: str,
    config: MatchingConfig,
    path: Path | None,
    *,
    full: bool = False,
) -> ProbabilisticResult:
    """Score candidate pairs of ``records_table`` into :data:`EDGES_TABLE`, incrementally.

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
    _splink()
    started = time.perf_counter()
    engine.create_table_as(
        _CURRENT,
        f"SELECT *, md5(concat_ws('|', {', '.join(_fingerprinted())})) AS fingerprint "
        f"FROM ({INPUT_SQL.format(table=records_table)}) AS i",
    )
    try:
        return _score(engine, config, path, full, started)
    finally:
        engine.drop_table(_CURRENT)


def _score(
    engine: Engine, config: MatchingConfig, path: Path | None, full: bool, started: float
) -> ProbabilisticResult:
    records = engine.count(_CURRENT)
    result = ProbabilisticResult(records, 0, False, path, 0.0)
    if records < 2:
        engine.write_arrow(EDGES_TABLE, EDGE_SCHEMA.empty_table(), mode="replace")
        engine.drop_table(SCORED_TABLE)
        result.seconds = time.perf_counter() - started
        return result
    backend = engine.matching_backend()
    try:
        columns = ", ".join(("uid", "source", "record_id", *MATCH_COLUMNS))
        backend.load_from(engine, "match_input", f"SELECT {columns} FROM {_CURRENT}")
        result.trained = needs_training(config, path, records)
        if result.trained:
            settings = train_model(backend, ["match_input"], config)
            if path is not None:
                save_model(settings, path, records)
        else:
            assert path is not None
            settings = load_model(path)
        frequencies = _term_frequencies(backend, settings, config, path, result.trained)
        state = _scoring_state(settings, config, frequencies)
        changed = None if full or result.trained else _changed(engine, state)
        if changed is None or len(changed) * 2 > records:
            linker = linker_for(backend, ["match_input"], settings, config)
            register_term_frequencies(backend, linker, frequencies)
            backend.save_to(engine, EDGES_TABLE, _edges(linker, config), mode="replace")
        else:
            result.incremental = True
            result.scored = len(changed)
            edges = _edges_of_changed(backend, settings, config, changed, frequencies)
            _replace_edges(engine, backend, edges)
        if result.scored is None:
            result.scored = records
        result.blocking_pairs = (
            blocking_pair_counts(backend, "match_input", config.blocking_rules)
            if not result.incremental
            else {}
        )
    finally:
        backend.close()
    engine.create_table_as(
        SCORED_TABLE,
        f"SELECT source, record_id, fingerprint, {literal(state)} AS state FROM {_CURRENT}",
    )
    result.edges = engine.count(EDGES_TABLE)
    result.seconds = time.perf_counter() - started
    return result


def _fingerprinted() -> list[str]:
    return [f"coalesce(CAST({c} AS VARCHAR), '')" for c in MATCH_COLUMNS]


def _term_frequencies(
    backend: MatchingBackend,
    settings: dict[str, Any],
    config: MatchingConfig,
    path: Path | None,
    trained: bool,
) -> dict[str, pa.Table]:
    """Term-frequency tables of the model: saved beside it, computed when it is trained.

    Column ``c`` has a table ``(c, tf_c)``: the share of input records holding each value.
    """
    files = {column: _tf_file(path, column) for column in _tf_columns(settings)} if path else {}
    if files and not trained and all(file.exists() for file in files.values()):
        return {column: pq.read_table(file) for column, file in files.items()}
    whole = linker_for(backend, ["match_input"], settings, config)
    tables = {}
    for column in _tf_columns(settings):
        frame = whole.table_management.compute_tf_table(column)
        tables[column] = backend.query(f"SELECT * FROM {frame.physical_name}")
        if column in files:
            pq.write_table(tables[column], files[column])
    return tables


def _tf_file(path: Path, column: str) -> Path:
    return path.with_name(f"{path.stem}.tf_{column}.parquet")


def saved_term_frequencies(settings: dict[str, Any], path: Path) -> dict[str, pa.Table]:
    """The term-frequency tables saved beside the model at ``path`` (those that exist)."""
    files = {column: _tf_file(path, column) for column in _tf_columns(settings)}
    return {column: pq.read_table(file) for column, file in files.items() if file.exists()}


def register_term_frequencies(
    backend: MatchingBackend, linker: Any, frequencies: dict[str, pa.Table]
) -> None:
    for column, table in frequencies.items():
        linker.table_management.register_term_frequency_lookup(
            backend.frame(table), column, overwrite=True
        )


def _scoring_state(
    settings: dict[str, Any], config: MatchingConfig, frequencies: dict[str, pa.Table]
) -> str:
    """A digest of everything that decides the edges: the model, rules and threshold."""
    blob = json.dumps(
        [
            settings,
            config.blocking_rules,
            config.threshold_match_probability,
            {column: table.num_rows for column, table in sorted(frequencies.items())},
        ],
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _changed(engine: Engine, state: str) -> list[int] | None:
    """uids of the input records to score again, or None when everything must be.

    Also writes :data:`_GONE`: the records whose edges are out of date (changed or no
    longer in the input).
    """
    if not engine.table_exists(SCORED_TABLE) or not engine.table_exists(EDGES_TABLE):
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


def _edges(linker: Any, config: MatchingConfig) -> str:
    """The query of the edges of every scored pair (see :func:`_canonical`)."""
    predictions = linker.inference.predict(
        threshold_match_probability=config.threshold_match_probability
    )
    return _canonical(predictions.physical_name)


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


def _edges_of_changed(
    backend: MatchingBackend,
    settings: dict[str, Any],
    config: MatchingConfig,
    uids: list[int],
    frequencies: dict[str, pa.Table],
) -> str | None:
    """The query of the edges of the ``uids`` records with every record (themselves
    included), or None when there is none to score."""
    if not uids:
        return None
    backend.load("match_changed_uids", pa.table({"uid": pa.array(uids, pa.int64())}))
    backend.create_table(
        "match_changed",
        "SELECT * FROM match_input WHERE uid IN (SELECT uid FROM match_changed_uids)",
    )
    linker = linker_for(
        backend, ["match_changed", "match_input"], settings, config, link_type="link_only"
    )
    register_term_frequencies(backend, linker, frequencies)
    predictions = linker.inference.predict(
        threshold_match_probability=config.threshold_match_probability
    )
    return _canonical(predictions.physical_name)


def _tf_columns(settings: dict[str, Any]) -> list[str]:
    columns: list[str] = []
    for comparison in settings.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            column = level.get("tf_adjustment_column")
            if column and column not in columns:
                columns.append(str(column))
    return columns


def _replace_edges(engine: Engine, backend: MatchingBackend, edges: str | None) -> None:
    """Drop the edges of changed and removed records (``_GONE``), then add ``edges``."""
    try:
        engine.execute(
            f"""
            DELETE FROM {EDGES_TABLE} AS e WHERE EXISTS (
                SELECT 1 FROM {_GONE} AS g
                WHERE (g.source = e.source_l AND g.record_id = e.record_id_l)
                   OR (g.source = e.source_r AND g.record_id = e.record_id_r))
            """
        )
        if edges is not None:
            backend.save_to(engine, EDGES_TABLE, edges, mode="append")
    finally:
        engine.drop_table(_GONE)
