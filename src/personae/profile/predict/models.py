"""Fit every model on the history before a cut-off and score the customers as of it:
what the profile stage writes, and what the backtest compares with the holdout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from personae.config.predictions import PredictionsConfig
from personae.engine import Engine
from personae.profile.predict.churn import ChurnModel, feature_matrix, fit_churn
from personae.profile.predict.features import (
    customer_features,
    engagement_columns,
    outcome_sql,
)
from personae.profile.predict.lifetime import LifetimeModels, fit_lifetime


@dataclass
class Scores:
    """The customers as of ``end`` (``features``, sorted by person id) and their
    predictions, one array per column, in the same order."""

    end: dt.datetime
    features: pa.Table
    p_alive: np.ndarray
    expected_orders: np.ndarray
    expected_order_value: np.ndarray
    clv: np.ndarray
    #: churn risk by the configured model, and by each model the fit could use
    churn_risk: np.ndarray
    churn_by_model: dict[str, np.ndarray]
    next_order_days: np.ndarray
    lifetime: LifetimeModels
    churn: ChurnModel | None
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The fitted models, for models.json and explanations."""
        return {
            "bg_nbd": self.lifetime.bg_nbd,
            "gamma_gamma": self.lifetime.gamma_gamma,
            "churn_importance": self.churn.importance if self.churn else None,
            "customers": self.features.num_rows,
        }


def _outcomes(
    engine: Engine,
    predictions: PredictionsConfig,
    start: dt.datetime,
    end: dt.datetime,
    persons: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Orders and revenue of each of ``persons`` (sorted) in ``[start, end)`` (0 without)."""
    happened = engine.query(
        f"SELECT * FROM ({outcome_sql(predictions, start, end)}) o ORDER BY person_id"
    )
    ids = np.asarray(happened["person_id"].to_numpy(zero_copy_only=False), dtype=np.int64)
    orders = np.asarray(happened["orders"].to_numpy(zero_copy_only=False), dtype=float)
    revenue = np.asarray(
        happened["revenue"].cast(pa.float64()).fill_null(0).to_numpy(zero_copy_only=False),
        dtype=float,
    )
    if len(ids) == 0:
        return np.zeros(len(persons)), np.zeros(len(persons))
    at = np.minimum(np.searchsorted(ids, persons), len(ids) - 1)
    found = ids[at] == persons
    return np.where(found, orders[at], 0.0), np.where(found, revenue[at], 0.0)


def outcomes_after(
    engine: Engine,
    predictions: PredictionsConfig,
    features: pa.Table,
    start: dt.datetime,
    days: int,
) -> tuple[np.ndarray, np.ndarray]:
    """What each customer of ``features`` ordered in the ``days`` after ``start``."""
    end = start + dt.timedelta(days=days)
    persons = np.asarray(features["person_id"].to_numpy(zero_copy_only=False), dtype=np.int64)
    return _outcomes(engine, predictions, start, end, persons)


def train_churn(engine: Engine, predictions: PredictionsConfig, end: dt.datetime) -> ChurnModel:
    """Train on the customers as of ``window`` days before ``end``, labelled by whether
    they ordered before ``end``."""
    window = predictions.churn.window
    start = end - dt.timedelta(days=window)
    past = customer_features(engine, predictions, start)
    if past.num_rows == 0:
        raise ValueError(f"no customer before {start.date()}")
    orders, _ = outcomes_after(engine, predictions, past, start, window)
    matrix, names = feature_matrix(
        past, engagement_columns(predictions), lifetime_features(fit_lifetime(past), window)
    )
    return fit_churn(matrix, orders == 0, names)


def lifetime_features(lifetime: LifetimeModels, window: int) -> dict[str, np.ndarray]:
    """BG/NBD's answers the churn classifier reads (:data:`LIFETIME_FEATURES`)."""
    return {"bg_nbd_p_no_order": lifetime.p_no_order(window), "bg_nbd_p_alive": lifetime.p_alive()}


def score(engine: Engine, predictions: PredictionsConfig, end: dt.datetime) -> Scores | None:
    """Fit on the history before ``end`` and score its customers; None without one."""
    features = customer_features(engine, predictions, end)
    if features.num_rows == 0:
        return None
    warnings: list[str] = []
    lifetime = fit_lifetime(features)
    horizon = predictions.horizon_days
    window = predictions.churn.window
    answers = lifetime_features(lifetime, window)
    by_model = {"bg_nbd": answers["bg_nbd_p_no_order"]}
    churn: ChurnModel | None = None
    try:
        churn = train_churn(engine, predictions, end)
    except ValueError as error:
        warnings.append(
            f"predictions: churn classifier not trained ({error}); churn_risk uses BG/NBD"
        )
    if churn is not None:
        matrix, _ = feature_matrix(features, engagement_columns(predictions), answers)
        by_model["classifier"] = churn.risk(matrix)
    chosen = predictions.churn.model if predictions.churn.model in by_model else "bg_nbd"
    return Scores(
        end=end,
        features=features,
        p_alive=answers["bg_nbd_p_alive"],
        expected_orders=lifetime.expected_orders(horizon),
        expected_order_value=lifetime.expected_order_value(),
        clv=lifetime.lifetime_value(predictions.horizon_months, predictions.discount_rate),
        churn_risk=by_model[chosen],
        churn_by_model=by_model,
        next_order_days=lifetime.next_order_in_days(horizon),
        lifetime=lifetime,
        churn=churn,
        warnings=warnings,
    )
