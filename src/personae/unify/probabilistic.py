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

Splink runs on its own in-memory DuckDB connection: the input is handed over as Arrow and
the edges come back through :meth:`Engine.write_arrow`, so the warehouse engine stays
whatever it is. Splink is an optional dependency (``pip install 'personae[match]'``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from personae.config.matching import MatchingConfig
from personae.engine import Engine
from personae.errors import PersonaeError

EDGES_TABLE = "identity_edges_probabilistic"
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
    nullif(split_part(email, '@', 1), '') AS email_local,
    phone
FROM {table}
WHERE source_kind = 'people' OR first_name_key IS NOT NULL OR last_name_key IS NOT NULL
"""

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
    "l.postcode = r.postcode",
)


@dataclass
class ProbabilisticResult:
    """What :func:`score_pairs` did."""

    records: int
    edges: int
    trained: bool
    model_path: Path | None
    seconds: float
    #: candidate pairs each blocking rule adds (after the rules before it)
    blocking_pairs: dict[str, int] = field(default_factory=dict)


def _splink() -> Any:
    try:
        import splink
    except ImportError:  # pragma: no cover - depends on the installation
        raise PersonaeError(
            "probabilistic matching needs Splink: pip install 'personae[match]'"
        ) from None
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
        cl.LevenshteinAtThresholds("postcode", [1]),
        cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("address", [0.95, 0.8]),
        cl.JaroWinklerAtThresholds("email_local", [0.95, 0.88]),
        cl.LevenshteinAtThresholds("phone", [1, 2]),
    ]


def build_linker(
    con: Any,
    tables: Sequence[str],
    config: MatchingConfig,
    model_path: Path | None,
    *,
    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"] = "dedupe_only",
    extra_columns: Sequence[str] = ("source", "record_id"),
) -> tuple[Any, bool]:
    """A trained linker over ``tables`` of the DuckDB connection ``con``.

    Each table has ``uid`` and :data:`MATCH_COLUMNS`. Loads the model from ``model_path``
    when it exists and ``config.retrain`` is off; trains (and saves) it otherwise.
    Returns the linker and whether it was trained.
    """
    _splink()
    from splink import DuckDBAPI, Linker, SettingsCreator
    from splink.blocking_rule_library import CustomRule

    db_api = DuckDBAPI(connection=con)
    input_tables = list(tables) if len(tables) > 1 else tables[0]
    if model_path is not None and model_path.exists() and not config.retrain:
        settings_dict = json.loads(model_path.read_text(encoding="utf-8"))
        settings_dict["blocking_rules_to_generate_predictions"] = [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in config.blocking_rules
        ]
        settings_dict["link_type"] = link_type
        return Linker(input_tables, settings_dict, db_api), False

    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="uid",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[CustomRule(rule) for rule in config.blocking_rules],
        additional_columns_to_retain=list(extra_columns),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(input_tables, settings, db_api)
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=config.deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=config.sample_pairs_for_u, seed=1)
    for rule in EM_TRAINING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    if model_path is not None:
        model_path.parent.mkdir(parents=True, exist_ok=True)
        linker.misc.save_model_to_json(str(model_path), overwrite=True)
    return linker, True


def blocking_pair_counts(
    con: Any,
    table: str,
    rules: Sequence[str],
    *,
    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"] = "dedupe_only",
) -> dict[str, int]:
    """Candidate pairs each rule adds after the rules before it."""
    from splink import DuckDBAPI
    from splink.blocking_analysis import (
        cumulative_comparisons_to_be_scored_from_blocking_rules_data,
    )

    frame = cumulative_comparisons_to_be_scored_from_blocking_rules_data(
        table_or_tables=table,
        blocking_rules=list(rules),
        link_type=link_type,
        db_api=DuckDBAPI(connection=con),
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
    model_path: Path | None,
) -> ProbabilisticResult:
    """Score candidate pairs of ``records_table`` and write :data:`EDGES_TABLE`."""
    _splink()
    from personae.engine.duckdb import scratch_connection

    started = time.perf_counter()
    data = engine.query(INPUT_SQL.format(table=records_table))
    con = scratch_connection({"match_input": data})
    try:
        if data.num_rows < 2:
            engine.write_arrow(EDGES_TABLE, EDGE_SCHEMA.empty_table(), mode="replace")
            return ProbabilisticResult(
                data.num_rows, 0, False, model_path, time.perf_counter() - started
            )
        linker, trained = build_linker(con, ["match_input"], config, model_path)
        predictions = linker.inference.predict(
            threshold_match_probability=config.threshold_match_probability
        )
        edges = con.sql(
            "SELECT source_l, record_id_l, source_r, record_id_r, "
            "CAST(match_probability AS DOUBLE) AS match_probability, "
            "CAST(match_weight AS DOUBLE) AS match_weight "
            f"FROM {predictions.physical_name} ORDER BY match_weight DESC"
        ).to_arrow_table()
        pairs = blocking_pair_counts(con, "match_input", config.blocking_rules)
    finally:
        con.close()
    engine.write_arrow(EDGES_TABLE, edges.cast(EDGE_SCHEMA), mode="replace")
    return ProbabilisticResult(
        records=data.num_rows,
        edges=edges.num_rows,
        trained=trained,
        model_path=model_path,
        seconds=time.perf_counter() - started,
        blocking_pairs=pairs,
    )
