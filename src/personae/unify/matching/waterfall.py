"""The match-weight waterfall of two records: what each comparison adds to their score.

Uses the project's saved model (Splink settings and frozen term frequencies, see
:mod:`personae.unify.matching`), so the figures are those ``resolve`` used. The
final weight is the prior plus every step; the probability is ``2^w / (1 + 2^w)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personae.catalog import RECORDS
from personae.config.matching import MatchingConfig
from personae.config.overrides import split_record
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.unify.matching.frequencies import register_term_frequencies, saved_term_frequencies
from personae.unify.matching.model import linker_for, load_model, require_splink
from personae.unify.matching.records import INPUT_SQL, MATCH_COLUMNS


@dataclass(frozen=True)
class WaterfallStep:
    #: the comparison (e.g. ``birth_date``, ``first_name_key_last_name_key``)
    comparison: str
    #: the level the pair falls in (e.g. ``Exact match on date of birth``)
    level: str
    value_a: str | None
    value_b: str | None
    #: log2 of the Bayes factor, term-frequency adjustment included
    weight: float


@dataclass
class Waterfall:
    a: str
    b: str
    #: log2 of the prior odds that two random records match
    prior: float
    steps: list[WaterfallStep] = field(default_factory=list)

    @property
    def match_weight(self) -> float:
        return self.prior + sum(step.weight for step in self.steps)

    @property
    def match_probability(self) -> float:
        odds: float = math.pow(2.0, min(self.match_weight, 1000.0))
        return odds / (1.0 + odds)

    def __str__(self) -> str:
        lines = [f"prior {self.prior:+.2f}"]
        lines += [
            f"{s.comparison}: {s.level} ({s.value_a!r} vs {s.value_b!r}) {s.weight:+.2f}"
            for s in self.steps
        ]
        lines.append(
            f"match weight {self.match_weight:+.2f}, probability {self.match_probability:.4f}"
        )
        return "\n".join(lines)


def match_waterfall(
    engine: Engine,
    config: MatchingConfig,
    model_file: Path,
    a: str,
    b: str,
) -> Waterfall:
    """The waterfall of records ``a`` and ``b`` (``source:record_id``) under the saved model."""
    if not model_file.exists():
        raise NotFoundError(
            f"there is no matching model at {model_file}: run `personae resolve` with "
            "identity.matching.enabled: true first"
        )
    require_splink()
    settings = load_model(model_file)
    rows = []
    for name in (a, b):
        source, record_id = split_record(name)
        found = engine.query(
            INPUT_SQL.format(
                table=f"(SELECT * FROM {RECORDS} WHERE source = ? AND record_id = ?) AS one"
            ),
            [source, record_id],
        ).to_pylist()
        if not found:
            raise NotFoundError(
                f"record {name!r} is not in the matching input (it has no name and is not a "
                "people record), so no match weight applies to it"
            )
        rows.append(found[0])
    with engine.matching_backend() as backend:
        backend.load(
            "match_input",
            engine.query(INPUT_SQL.format(table=f"(SELECT * FROM {RECORDS} LIMIT 0) AS none")),
        )
        explaining = dict(
            settings,
            retain_intermediate_calculation_columns=True,
            retain_matching_columns=True,
        )
        linker = linker_for(backend, ["match_input"], explaining, config)
        frequencies = saved_term_frequencies(settings, model_file, engine.keys)
        register_term_frequencies(backend, linker, frequencies)
        compared = linker.inference.compare_two_records(rows[0], rows[1])
        values = backend.query(f"SELECT * FROM {compared.physical_name}").to_pylist()[0]
    return _waterfall(a, b, settings, values)


def _waterfall(a: str, b: str, settings: dict[str, Any], values: dict[str, Any]) -> Waterfall:
    prior_p = float(settings["probability_two_random_records_match"])
    result = Waterfall(a, b, prior=math.log2(prior_p / (1.0 - prior_p)))
    for comparison in settings["comparisons"]:
        name = str(comparison["output_column_name"])
        level = _level(comparison["comparison_levels"], values.get(f"gamma_{name}"))
        factor = float(values.get(f"bf_{name}") or 1.0)
        adjustment = values.get(f"bf_tf_adj_{name}")
        if adjustment is not None and not math.isnan(float(adjustment)):
            factor *= float(adjustment)
        columns = _columns_of(name)
        result.steps.append(
            WaterfallStep(
                comparison=name,
                level=level,
                value_a=_value(values, columns, "l"),
                value_b=_value(values, columns, "r"),
                weight=math.log2(factor) if factor > 0 else float("-inf"),
            )
        )
    return result


def _level(levels: list[dict[str, Any]], gamma: Any) -> str:
    """The label of the level a comparison vector value stands for.

    Splink numbers the non-null levels from the top: the first gets ``n - 1``, the last
    (else) ``0``; a null level is ``-1``.
    """
    if gamma is None or int(gamma) < 0:
        return "no value to compare"
    ranked = [lvl for lvl in levels if not lvl.get("is_null_level")]
    index = len(ranked) - 1 - int(gamma)
    if 0 <= index < len(ranked):
        return str(ranked[index].get("label_for_charts", ""))
    return str(gamma)


def _columns_of(comparison: str) -> list[str]:
    known = MATCH_COLUMNS
    if comparison in known:
        return [comparison]
    if comparison == "place":
        return ["postcode", "city"]
    return [c for c in known if c in comparison and c != "full_name_key"]


def _value(values: dict[str, Any], columns: list[str], side: str) -> str | None:
    found = [values.get(f"{c}_{side}") for c in columns]
    shown = [str(v) for v in found if v is not None]
    return " ".join(shown) if shown else None
