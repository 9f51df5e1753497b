"""The backtest: fit on the history before a cut-off, predict the holdout period after it,
and compare with what happened, each model against a naive baseline.

* **Orders and revenue** per customer over the holdout: MAE, RMSE and Pearson
  correlation of BG/NBD (and BG/NBD x Gamma-Gamma, undiscounted), against "the same as
  the last period of the same length" and "the customer's pace so far" (orders since
  their first over at least the holdout's length).
* **Churn** (no order in the churn window after the cut-off): ROC AUC of each churn
  model against recency alone, and a reliability table (predicted vs observed by decile).
* **Affinity**: precision@k of each person's top items among what they bought in the
  holdout, against the k most popular items.

Every run is saved under ``.personae/predictions/backtests/`` and appended to
``backtests.jsonl``, so that drift shows from one run to the next.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from personae.config.predictions import PredictionsConfig
from personae.engine import Engine
from personae.profile.predict.affinity import bought_items_sql, popular_items, top_items
from personae.profile.predict.models import Scores, outcomes_after, score


@dataclass
class Compared:
    """One prediction of per-customer amounts against the truth, beside its baselines."""

    mae: float
    #: root mean square error: what an expected value (the models' output) minimises,
    #: where MAE rewards the median (often 0 orders)
    rmse: float
    correlation: float
    predicted_total: float
    actual_total: float
    #: baseline name -> its MAE
    baselines: dict[str, float]
    #: baseline name -> its RMSE
    baselines_rmse: dict[str, float] = field(default_factory=dict)

    @property
    def best_baseline(self) -> tuple[str, float]:
        name = min(self.baselines, key=lambda n: self.baselines[n])
        return name, self.baselines[name]

    @property
    def rmse_improvement(self) -> float:
        """1 - RMSE / the best baseline's RMSE."""
        best = min(self.baselines_rmse.values(), default=0.0)
        return 1 - self.rmse / best if best > 0 else 0.0

    @property
    def improvement(self) -> float:
        """1 - MAE / the best baseline's MAE: 0.2 means 20% better."""
        _, best = self.best_baseline
        return 1 - self.mae / best if best > 0 else 0.0


@dataclass
class Reliability:
    predicted: float
    observed: float
    customers: int


@dataclass
class BacktestResult:
    cutoff: str
    holdout_days: int
    customers: int
    orders: Compared
    revenue: Compared
    #: churn model (and the ``recency`` baseline) -> ROC AUC
    churn_auc: dict[str, float]
    churn_rate: float
    churn_model: str
    reliability: list[Reliability]
    #: None without affinity
    affinity_precision: float | None = None
    popularity_precision: float | None = None
    affinity_persons: int = 0
    affinity_top: int = 5
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _mae(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(predicted - actual))) if len(actual) else 0.0


def _rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predicted - actual) ** 2))) if len(actual) else 0.0


def _correlation(predicted: np.ndarray, actual: np.ndarray) -> float:
    if len(actual) < 2 or np.std(predicted) == 0 or np.std(actual) == 0:
        return 0.0
    return float(np.corrcoef(predicted, actual)[0, 1])


def _compare(
    predicted: np.ndarray, actual: np.ndarray, baselines: dict[str, np.ndarray]
) -> Compared:
    return Compared(
        mae=_mae(predicted, actual),
        rmse=_rmse(predicted, actual),
        correlation=_correlation(predicted, actual),
        predicted_total=float(predicted.sum()),
        actual_total=float(actual.sum()),
        baselines={name: _mae(values, actual) for name, values in baselines.items()},
        baselines_rmse={name: _rmse(values, actual) for name, values in baselines.items()},
    )


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))


def reliability_table(labels: np.ndarray, risk: np.ndarray, bins: int = 10) -> list[Reliability]:
    """Customers in deciles of predicted risk: mean predicted vs observed churn."""
    order = np.argsort(risk, kind="stable")
    table: list[Reliability] = []
    for part in np.array_split(order, bins):
        if len(part):
            table.append(
                Reliability(float(risk[part].mean()), float(labels[part].mean()), len(part))
            )
    return table


def _affinity(
    engine: Engine, predictions: PredictionsConfig, cutoff: dt.datetime, holdout: int
) -> tuple[float, float, int]:
    """Mean precision@k of the persons' top items and of the most popular items, over
    the persons who bought something in the holdout and had items before it."""
    assert predictions.affinity is not None
    k = predictions.affinity.top
    lists, _ = top_items(engine, predictions, cutoff)
    bought = engine.query(
        "SELECT DISTINCT person_id, item FROM "
        f"({bought_items_sql(predictions, cutoff, cutoff + dt.timedelta(days=holdout))}) b"
    )
    truth: dict[int, set[str]] = {}
    for person, item in zip(
        bought["person_id"].to_pylist(), bought["item"].to_pylist(), strict=True
    ):
        truth.setdefault(int(person), set()).add(str(item))
    popular = set(popular_items(engine, predictions, cutoff, k))
    hits, popular_hits, persons = 0, 0, 0
    for person, items in zip(
        lists["person_id"].to_pylist(), lists["items"].to_pylist(), strict=True
    ):
        wanted = truth.get(int(person))
        if not wanted:
            continue
        persons += 1
        hits += len(set(items[:k]) & wanted)
        popular_hits += len(popular & wanted)
    if persons == 0:
        return float("nan"), float("nan"), 0
    return hits / (persons * k), popular_hits / (persons * k), persons


def backtest(
    engine: Engine,
    predictions: PredictionsConfig,
    reference: dt.date,
    *,
    cutoff: dt.date | None = None,
    holdout_days: int | None = None,
) -> BacktestResult:
    """Fit before ``cutoff`` (default: ``holdout_days`` before the end of the reference
    date; the holdout defaults to the prediction horizon) and measure the holdout."""
    import time

    started = time.perf_counter()
    holdout = holdout_days or predictions.horizon_days
    end = dt.datetime.combine(reference + dt.timedelta(days=1), dt.time())
    cut = dt.datetime.combine(cutoff, dt.time()) if cutoff else end - dt.timedelta(days=holdout)
    if cut + dt.timedelta(days=holdout) > end:
        raise ValueError(
            f"the holdout ({holdout} days after {cut.date()}) runs past the reference date "
            f"{reference}; choose an earlier --cutoff or a shorter --holdout"
        )
    scores = score(engine, predictions, cut)
    if scores is None:
        raise ValueError(f"no customer ordered in the calibration period before {cut.date()}")
    orders, revenue = outcomes_after(engine, predictions, scores.features, cut, holdout)
    last_orders, last_revenue = outcomes_after(
        engine, predictions, scores.features, cut - dt.timedelta(days=holdout), holdout
    )
    result = _measure(
        engine, predictions, scores, holdout, orders, revenue, last_orders, last_revenue
    )
    result.seconds = time.perf_counter() - started
    return result


def _numbers(scores: Scores, name: str) -> np.ndarray:
    return np.asarray(scores.features[name].to_numpy(zero_copy_only=False), dtype=float)


def _measure(
    engine: Engine,
    predictions: PredictionsConfig,
    scores: Scores,
    holdout: int,
    orders: np.ndarray,
    revenue: np.ndarray,
    last_orders: np.ndarray,
    last_revenue: np.ndarray,
) -> BacktestResult:
    lifetime = scores.lifetime
    expected = lifetime.expected_orders(holdout)
    value = lifetime.expected_order_value()
    t, purchases = _numbers(scores, "t"), _numbers(scores, "orders")
    totals = _numbers(scores, "revenue")
    # the customer's pace since their first order, over at least the holdout's length
    # (one order 10 days ago is one order a holdout, not 36 a year)
    exposure = np.maximum(t, holdout)
    rate = purchases / exposure * holdout
    spend_rate = totals / exposure * holdout
    compared_orders = _compare(expected, orders, {"last period": last_orders, "pace so far": rate})
    compared_revenue = _compare(
        expected * value,
        revenue,
        {"last period": last_revenue, "pace so far": spend_rate},
    )
    window = predictions.churn.window
    churn_orders, _ = outcomes_after(engine, predictions, scores.features, scores.end, window)
    churned = churn_orders == 0
    auc = {model: _auc(churned, risk) for model, risk in scores.churn_by_model.items()}
    days_since = t - _numbers(scores, "recency")
    auc["recency alone"] = _auc(churned, days_since)
    chosen = (
        predictions.churn.model if predictions.churn.model in scores.churn_by_model else "bg_nbd"
    )
    result = BacktestResult(
        cutoff=scores.end.date().isoformat(),
        holdout_days=holdout,
        customers=scores.features.num_rows,
        orders=compared_orders,
        revenue=compared_revenue,
        churn_auc=auc,
        churn_rate=float(churned.mean()),
        churn_model=chosen,
        reliability=reliability_table(churned, scores.churn_risk),
        warnings=list(scores.warnings),
    )
    if predictions.affinity is not None:
        precision, popular, persons = _affinity(engine, predictions, scores.end, holdout)
        result.affinity_precision = precision
        result.popularity_precision = popular
        result.affinity_persons = persons
        result.affinity_top = predictions.affinity.top
    return result


def save(result: BacktestResult, state_dir: Path, run_id: str) -> Path:
    """Write the run's figures and append them to the history; the file written."""
    folder = state_dir / "predictions" / "backtests"
    folder.mkdir(parents=True, exist_ok=True)
    document = {"run": run_id, **result.to_json()}
    path = folder / f"{run_id}.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    with (state_dir / "predictions" / "backtests.jsonl").open("a", encoding="utf-8") as history:
        history.write(json.dumps(document) + "\n")
    return path


def history(state_dir: Path) -> list[dict[str, Any]]:
    """Every saved backtest, oldest first."""
    path = state_dir / "predictions" / "backtests.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
