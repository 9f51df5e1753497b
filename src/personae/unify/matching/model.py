"""The matching model: its comparisons, training without labels, saving, loading, dialects.

The model is Splink settings JSON saved in the project (:data:`MODEL_FILE`), reused until
``retrain`` is set, the file is removed or the input drifts (:func:`needs_training`).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from personae.config.matching import MatchingConfig
from personae.engine import AUTHORING_DIALECT
from personae.engine.matching import MatchingBackend
from personae.errors import PersonaeError
from personae.unify.matching.blocking import (
    capped_rules,
    separated_rules,
    splink_blocking_rules,
)

#: the trained model, relative to the project folder
MODEL_FILE = Path(".personae") / "models" / "matching.json"

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


def require_splink() -> Any:
    """Splink, with its progress messages (EM iterations, timings) kept quiet.

    Linkers are built with ``set_up_basic_logging=False``, which would otherwise turn
    Splink's INFO messages back on (and configure the root logger).
    """
    try:
        import splink
    except ImportError:  # pragma: no cover - depends on the installation
        raise PersonaeError(
            "probabilistic matching needs Splink, a dependency of personae that is missing "
            "from this environment: pip install 'splink==4.0.17' (or reinstall personae)"
        ) from None
    logging.getLogger("splink").setLevel(logging.ERROR)
    return splink


def comparisons() -> list[Any]:
    """The comparisons of the model, over :data:`.records.MATCH_COLUMNS`."""
    import splink.comparison_library as cl

    return [
        # exact full name (term-frequency adjusted), first/last swapped, Jaro-Winkler on
        # both, exact on one of them
        cl.ForenameSurnameComparison(
            "first_name_key",
            "last_name_key",
            forename_surname_concat_col_name="full_name_key",
        ),
        _edit_distance_classes().date_of_birth("birth_date", input_is_string=True),
        _place(),
        cl.JaroWinklerAtThresholds("address", [0.95, 0.8]),
        # what is left of the e-mail's local part once the names are removed
        cl.ExactMatch("email_local").configure(term_frequency_adjustments=True),
        # numbers are mistyped by swapping two digits as often as by changing one:
        # Damerau-Levenshtein counts a transposition as one edit
        _edit_distance_classes().at_thresholds("phone", [1, 2]),
    ]


@dataclass(frozen=True)
class _EditDistance:
    """Splink's Damerau-Levenshtein level and the comparisons holding one, made cheaper."""

    level: type
    at_thresholds: type
    date_of_birth: type


@functools.cache
def _edit_distance_classes() -> _EditDistance:
    """Splink's Damerau-Levenshtein level, comparisons of it, and the date of birth
    comparison, with the distance bounded first by plain Levenshtein.

    Damerau-Levenshtein costs ten times Levenshtein in DuckDB, and it is the costliest
    function of scoring (most compared phones and dates differ everywhere). Both count
    characters; Damerau-Levenshtein never exceeds Levenshtein (it allows one more edit)
    and Levenshtein never exceeds twice Damerau-Levenshtein (a transposition is two
    substitutions). So ``levenshtein <= 2k AND damerau_levenshtein <= k`` holds exactly
    when ``damerau_levenshtein <= k`` does, and the costly function runs only on the few
    pairs a cheap one leaves undecided: the same levels, the same gammas, the same
    scores. Built on first use: Splink is imported only when matching runs.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    class BoundedDamerauLevenshteinLevel(cll.DamerauLevenshteinLevel):  # type: ignore[misc]
        def create_sql(self, sql_dialect: Any) -> str:
            exact = str(super().create_sql(sql_dialect))
            col = self.col_expression
            bound = (
                f"{sql_dialect.levenshtein_function_name}({col.name_l}, {col.name_r}) "
                f"<= {2 * self.distance_threshold}"
            )
            return f"({bound} AND {exact})"

    # named like Splink's classes: a comparison's description is its class name
    class DamerauLevenshteinAtThresholds(cl.DamerauLevenshteinAtThresholds):  # type: ignore[misc]
        def create_comparison_levels(self) -> list[Any]:
            return [_bounded(level) for level in super().create_comparison_levels()]

    class DateOfBirthComparison(cl.DateOfBirthComparison):  # type: ignore[misc]
        def create_comparison_levels(self) -> list[Any]:
            return [_bounded(level) for level in super().create_comparison_levels()]

    def _bounded(level: Any) -> Any:
        """``level`` itself, or its bounded twin when it is a Damerau-Levenshtein level
        (Splink's own, or the date of birth's private one), with the same label."""
        if not type(level).__name__.lstrip("_").startswith("DamerauLevenshtein"):
            return level
        twin = BoundedDamerauLevenshteinLevel(level.col_expression, level.distance_threshold)
        label = getattr(level, "label_for_charts", None)
        return twin if label is None else twin.configure(label_for_charts=label)

    return _EditDistance(
        BoundedDamerauLevenshteinLevel, DamerauLevenshteinAtThresholds, DateOfBirthComparison
    )


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
    require_splink()
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
    capped: bool = False,
    separated: bool = False,
) -> Any:
    """A linker over ``tables`` from trained ``settings``, with the configured blocking.

    ``capped``: the tables hold :func:`.blocking.block_size_columns`, and the rules skip
    blocks larger than ``max_block_records``. ``separated``: the tables hold
    :data:`.blocking.PART_KEY_COLUMN`, and records of one part are not paired.
    """
    from splink import Linker

    db_api = backend.db_api()
    settings = model_in_dialect(settings, db_api.sql_dialect.sql_dialect_str)
    rules = config.blocking_rules
    if capped:
        # the block sizes are read by blocking only (Splink blocks on every input
        # column): not retained, so the candidate pairs do not carry them into scoring
        rules = capped_rules(rules, config.max_block_records)
    if separated:
        rules = separated_rules(rules)
    settings["blocking_rules_to_generate_predictions"] = splink_blocking_rules(rules)
    settings["link_type"] = link_type
    input_tables = list(tables) if len(tables) > 1 else tables[0]
    return Linker(input_tables, settings, db_api, set_up_basic_logging=False)


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
            _edit_distance_classes().level("postcode", 1),
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

    Each table has ``uid`` and :data:`.records.MATCH_COLUMNS`. Loads the model from ``path``
    unless :func:`needs_training` says otherwise; trains (on the first table, or a sample
    of it) and saves it then. Returns the linker and whether it was trained.
    """
    require_splink()
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
