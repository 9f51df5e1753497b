"""Why one person's predictions are what they are: their purchase history as the models
saw it (recency, frequency, monetary value), each figure beside the customers' median
and the person's rank among them, the fitted models' parameters, and the churn
features that weigh most."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personae.catalog import PERSONS, PREDICTIONS, PROFILES
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.profile.predict.build import models_path
from personae.profile.predict.churn import LIFETIME_FEATURES, PURCHASE_FEATURES
from personae.query.tables import require_tables
from personae.sql import ident


@dataclass
class Figure:
    name: str
    meaning: str
    value: float | None
    median: float | None
    #: the share of customers with a smaller value
    rank: float | None


@dataclass
class PredictionExplanation:
    person_id: int
    requested_id: int
    #: False: no order in the calibration period, so no lifetime prediction
    customer: bool
    predicted: dict[str, Any]
    history: list[Figure]
    #: churn features by weight (the AUC lost without them), heaviest first
    drivers: list[Figure] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)


#: the column of ``predictions`` holding a churn feature named otherwise
_COLUMN = {"bg_nbd_p_alive": "p_alive"}


def _survivor(engine: Engine, person_id: int) -> int:
    rows = engine.rows(f"SELECT merged_into FROM {PERSONS} WHERE person_id = ?", [person_id])
    if not rows:
        raise NotFoundError(f"no person {person_id}; find one with 'personae search'")
    return int(rows[0][0]) if rows[0][0] is not None else person_id


def _figures(engine: Engine, person_id: int, names: dict[str, str]) -> list[Figure]:
    columns = set(engine.columns(PREDICTIONS))
    wanted = [n for n in names if _COLUMN.get(n, n) in columns or n == "days_since_last"]

    def expression(name: str) -> str:
        return "(t - recency)" if name == "days_since_last" else ident(_COLUMN.get(name, name))

    parts = []
    for i, name in enumerate(wanted):
        e = expression(name)
        parts += [
            f"max(CASE WHEN person_id = ? THEN {e} END) AS v{i}",
            f"median({e}) AS m{i}",
            f"avg(CASE WHEN {e} < (SELECT {e} FROM {PREDICTIONS} WHERE person_id = ?) "
            f"THEN 1.0 ELSE 0.0 END) AS r{i}",
        ]
    if not parts:
        return []
    params = [person_id, person_id] * len(wanted)
    row = engine.rows(
        f"SELECT {', '.join(parts)} FROM {PREDICTIONS} WHERE frequency IS NOT NULL", params
    )[0]
    return [
        Figure(
            name,
            names[name],
            row[3 * i],
            row[3 * i + 1],
            row[3 * i + 2] if row[3 * i] is not None else None,
        )
        for i, name in enumerate(wanted)
    ]


def explain_prediction(
    engine: Engine, config: ProjectConfig, state_dir: Path, person_id: int
) -> PredictionExplanation:
    predictions = config.predictions
    if predictions is None:
        raise NotFoundError(
            "personae.yml declares no predictions: add a 'predictions:' section "
            "(docs/predictions.md), then run 'personae run'"
        )
    require_tables(engine, [PREDICTIONS, PERSONS])
    survivor = _survivor(engine, person_id)
    table = engine.query(f"SELECT * FROM {PREDICTIONS} WHERE person_id = ?", [survivor])
    row = {c: table[c][0].as_py() for c in table.column_names} if table.num_rows else {}
    customer = row.get("frequency") is not None
    predicted = {c: row.get(c) for c in predictions.columns()}
    path = models_path(state_dir)
    models = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    found = PredictionExplanation(survivor, person_id, customer, predicted, [], models=models)
    if not customer:
        return found
    history = {
        "days_since_last": PURCHASE_FEATURES["days_since_last"],
        "orders": "orders (days with a purchase)",
        "frequency": PURCHASE_FEATURES["frequency"],
        "t": PURCHASE_FEATURES["t"],
        "monetary": PURCHASE_FEATURES["monetary"],
        "revenue": PURCHASE_FEATURES["revenue"],
    }
    found.history = _figures(engine, survivor, history)
    weights: dict[str, float] = models.get("churn_importance") or {}
    heaviest = sorted(weights, key=lambda n: -weights[n])[:5]
    known = {**PURCHASE_FEATURES, **LIFETIME_FEATURES}
    meanings = {n: known.get(n, n.replace("_", " ")) for n in heaviest if weights[n] > 0}
    found.drivers = _figures(engine, survivor, meanings)
    found.weights = {n: weights[n] for n in meanings}
    return found


def at_risk(
    engine: Engine, config: ProjectConfig, *, limit: int = 10, min_risk: float = 0.6
) -> list[dict[str, Any]]:
    """The customers most worth winning back: churn risk at least ``min_risk``, by
    predicted lifetime value then past revenue, with their name and e-mail."""
    predictions = config.predictions
    if predictions is None:
        return []
    require_tables(engine, [PREDICTIONS, PROFILES])
    clv = ident(f"predicted_clv_{predictions.horizon_months}m")
    profile = set(engine.columns(PROFILES))
    named = [c for c in ("first_name", "last_name", "email") if c in profile]
    picks = [
        "p.person_id",
        *(f"f.{ident(c)}" for c in named),
        f"p.{clv} AS predicted_clv",
        "p.churn_risk",
        "p.p_alive",
        "p.revenue",
        "p.orders",
        "(p.t - p.recency) AS days_since_last",
    ]
    table = engine.query(
        f"SELECT {', '.join(picks)} FROM {PREDICTIONS} p "
        f"LEFT JOIN {PROFILES} f ON f.person_id = p.person_id "
        f"WHERE p.churn_risk >= ? ORDER BY p.{clv} DESC, p.revenue DESC, p.person_id LIMIT ?",
        [min_risk, limit],
    )
    found: list[dict[str, Any]] = table.to_pylist()
    return found
