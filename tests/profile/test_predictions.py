"""Predicted traits: each model against data with a known answer, then the whole build on
a warehouse (traits gain the predicted columns; affinity follows tastes; the recent
frequent buyer is the likelier to order)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pymc_marketing")
pytest.importorskip("sklearn")

from helpers.btyd import STYLES, shop_history, simulate
from helpers.tables import create
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError
from personae.pipeline import validate
from personae.profile import compute_traits
from personae.profile.predict.backtest import backtest, reliability_table
from personae.profile.predict.build import compute_predictions, models_path
from personae.profile.predict.churn import fit_churn
from personae.profile.predict.explain import at_risk, explain_prediction
from personae.profile.predict.lifetime import fit_lifetime
from personae.segment.compile import compile_segment

ORDER, VIEW, OPEN = "Order Completed", "Product Viewed", "Email Opened"


# --------------------------------------------------------------------------- known answers


@pytest.fixture(scope="module")
def simulated() -> Any:
    return simulate(20_000, seed=7)


@pytest.fixture(scope="module")
def fitted(simulated: Any) -> Any:
    return fit_lifetime(simulated.summary)


def test_bg_nbd_recovers_the_simulated_parameters(fitted: Any) -> None:
    truth = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    for name, value in truth.items():
        assert fitted.bg_nbd[name] == pytest.approx(value, rel=0.2), name


def test_bg_nbd_predicts_the_simulated_future(simulated: Any, fitted: Any) -> None:
    expected = fitted.expected_orders(simulated.future)
    # in total within 5%, and per customer far better than "as many as so far, pro rata"
    assert expected.sum() == pytest.approx(simulated.future_orders.sum(), rel=0.05)
    frequency = simulated.summary["frequency"].to_numpy()
    t = simulated.summary["t"].to_numpy()
    naive = frequency / t * simulated.future
    model_error = np.abs(expected - simulated.future_orders).mean()
    naive_error = np.abs(naive - simulated.future_orders).mean()
    assert model_error < 0.8 * naive_error
    # the probability of being alive orders customers as their history says: the same
    # frequency, a recent last purchase is likelier alive than an old one
    alive = fitted.p_alive()
    recency = simulated.summary["recency"].to_numpy()
    same = (frequency == 3) & (t > 100)
    recent, old = same & (t - recency < 10), same & (t - recency > 60)
    assert alive[recent].mean() > alive[old].mean() + 0.2


def test_gamma_gamma_recovers_the_mean_order_value(simulated: Any, fitted: Any) -> None:
    spend = fitted.gamma_gamma
    assert spend is not None
    population = spend["p"] * spend["v"] / (spend["q"] - 1)
    assert population == pytest.approx(6 * 15 / 3, rel=0.1)
    value = fitted.expected_order_value()
    frequency = simulated.summary["frequency"].to_numpy()
    repeat = frequency >= 3
    # shrunk toward the population, closer to each customer's true mean than their
    # own average is
    observed = simulated.summary["monetary"].to_numpy()
    truth = simulated.mean_spend
    assert (
        np.abs(value[repeat] - truth[repeat]).mean()
        < np.abs(observed[repeat] - truth[repeat]).mean()
    )


def test_next_order_comes_sooner_for_frequent_recent_buyers(simulated: Any, fitted: Any) -> None:
    days = fitted.next_order_in_days(365)
    frequency = simulated.summary["frequency"].to_numpy()
    recency = simulated.summary["recency"].to_numpy()
    t = simulated.summary["t"].to_numpy()
    busy = (frequency >= 8) & (t - recency < 5)
    idle = frequency == 0
    assert np.isfinite(days[busy]).all()
    assert np.nanmedian(days[busy]) < 30
    # most one-time buyers are not expected to order again within the year
    assert np.isnan(days[idle]).mean() > 0.5


def test_churn_classifier_finds_what_drives_churn() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    idle_days = rng.exponential(90, n)
    opens = rng.poisson(2, n).astype(float)
    noise = rng.normal(size=n)
    logit = -1.0 + idle_days / 60 - 0.6 * opens
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    matrix = np.column_stack([idle_days, opens, noise, np.full(n, np.nan)])
    names = ["days_since_last", "email_opened_90d", "noise", "never_seen"]
    train, test = slice(0, 15_000), slice(15_000, None)
    model = fit_churn(matrix[train], churned[train], names)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(churned[test], model.risk(matrix[test])) > 0.8
    ranked = sorted(model.importance, key=lambda k: -model.importance[k])
    assert ranked[:2] == ["days_since_last", "email_opened_90d"]
    assert model.importance["never_seen"] == 0.0
    table = reliability_table(churned[test], model.risk(matrix[test]))
    assert len(table) == 10
    # calibrated: each decile's mean prediction within 0.1 of what happened
    assert all(abs(row.predicted - row.observed) < 0.1 for row in table)


# --------------------------------------------------------------------------- the build

AS_OF = dt.date(2026, 6, 30)
CONFIG: dict[str, Any] = {
    "as_of": AS_OF.isoformat(),
    "traits": {"order_count": {"aggregate": "count", "event": ORDER}},
    "predictions": {
        "orders": [{"event": ORDER, "amount": "revenue", "product": "product_id"}],
        "churn": {"engagement": [OPEN], "window": 90},
        "affinity": {"browse_events": [VIEW], "top": 3},
    },
}


@pytest.fixture
def built(engine: Engine, load_events: Any, tmp_path: Path) -> tuple[ProjectConfig, Any]:
    load_events(shop_history(), extra_persons=[9999])
    config = ProjectConfig.model_validate(CONFIG)
    compute_traits(engine, config)
    report = compute_predictions(engine, config, tmp_path)
    assert report is not None
    return config, report


def test_traits_gain_the_predicted_columns(engine: Engine, built: Any, tmp_path: Path) -> None:
    config, report = built
    assert report.customers > 300
    columns = engine.columns("traits")
    assert columns == ["person_id", "order_count", *config.predictions.columns()]
    rows = {r["person_id"]: r for r in engine.query("SELECT * FROM traits").to_pylist()}
    busy, gone = rows[7001], rows[7002]
    assert busy["p_alive"] > 0.9 > gone["p_alive"]
    assert busy["churn_risk"] < gone["churn_risk"]
    assert busy["expected_orders_12m"] > 10 * gone["expected_orders_12m"]
    assert busy["predicted_clv_12m"] > gone["predicted_clv_12m"]
    assert AS_OF < busy["expected_next_order_date"] < AS_OF + dt.timedelta(days=30)
    assert gone["expected_next_order_date"] is None
    # the person who never bought anything has no prediction
    assert rows[9999]["p_alive"] is None and rows[9999]["product_affinity"] is None
    saved = json.loads(models_path(tmp_path).read_text())
    assert set(saved["bg_nbd"]) == {"r", "alpha", "a", "b"}
    assert saved["churn_model"] == "classifier"


def test_affinity_follows_tastes(engine: Engine, built: Any) -> None:
    rows = engine.query("SELECT person_id, product_affinity, also_bought FROM traits").to_pylist()
    touched: dict[int, set[str]] = {}
    for person, _, _, props in shop_history():
        touched.setdefault(person, set()).add(json.loads(props).get("product_id", ""))
    right = wrong = first_right = first_wrong = 0
    for row in rows:
        if row["person_id"] > 400 or not row["product_affinity"]:
            continue
        own = STYLES["a" if row["person_id"] % 2 else "b"]
        other = STYLES["b" if row["person_id"] % 2 else "a"]
        top = row["product_affinity"].split(", ")
        right += sum(item in own for item in top)
        wrong += sum(item in other for item in top)
        also = (row["also_bought"] or "").split(", ")
        untouched_own = [item for item in own if item not in touched[row["person_id"]]]
        if untouched_own and also[0]:
            # what customers like them also bought: the rest of their taste first
            first_right += also[0] in own
            first_wrong += also[0] in other
    assert right > 20 * max(wrong, 1)
    assert first_right > 5 * max(first_wrong, 1)


def test_explain_and_at_risk(engine: Engine, built: Any, tmp_path: Path) -> None:
    config, _ = built
    found = explain_prediction(engine, config, tmp_path, 7002)
    assert found.customer
    figures = {f.name: f for f in found.history}
    assert figures["days_since_last"].value == pytest.approx(590, abs=1)
    assert figures["days_since_last"].rank > 0.9
    assert found.drivers and all(found.weights[d.name] > 0 for d in found.drivers)
    nobody = explain_prediction(engine, config, tmp_path, 9999)
    assert not nobody.customer and nobody.history == []
    create(
        engine,
        "profiles",
        {"person_id": "BIGINT", "first_name": "VARCHAR", "email": "VARCHAR"},
        [(7002, "Rose", "rose@example.fr")],
    )
    risky = at_risk(engine, config, limit=5, min_risk=0.5)
    assert {"first_name", "email", "predicted_clv", "churn_risk"} <= set(risky[0])
    assert risky and all(r["churn_risk"] >= 0.5 for r in risky)
    values = [r["predicted_clv"] for r in risky]
    assert values == sorted(values, reverse=True)


def test_backtest_measures_the_holdout(engine: Engine, load_events: Any) -> None:
    history = shop_history(seed=2)
    load_events(history)
    config = ProjectConfig.model_validate(CONFIG)
    assert config.predictions is not None
    result = backtest(engine, config.predictions, AS_OF, holdout_days=180)
    assert result.cutoff == "2026-01-02"  # the first day of the holdout
    cut = dt.datetime(2026, 1, 2)
    customers = {p for p, name, when, _ in history if name == ORDER and when < cut}
    holdout = {
        (p, when.date())
        for p, name, when, _ in history
        if name == ORDER and p in customers and cut <= when < cut + dt.timedelta(days=180)
    }
    assert result.customers == len(customers)
    assert result.orders.actual_total == len(holdout)  # one transaction per person and day
    # BG/NBD beats both naive baselines, and follows who buys more
    assert result.orders.improvement > 0
    assert result.orders.correlation > 0.6
    assert result.churn_auc["classifier"] > 0.7
    assert result.affinity_precision is not None and result.popularity_precision is not None
    assert result.affinity_precision > result.popularity_precision
    with pytest.raises(ValueError, match="runs past the reference date"):
        backtest(engine, config.predictions, AS_OF, cutoff=dt.date(2026, 6, 1), holdout_days=180)


# --------------------------------------------------------------------------- configuration


def test_expressions_cannot_read_predictions() -> None:
    config = ProjectConfig.model_validate(
        {**CONFIG, "traits": {"vip": {"expression": "predicted_clv_12m > 500"}}}
    )
    with pytest.raises(ConfigError, match="fitted after the traits; use it in a segment"):
        validate(config, None)


def test_segments_may_use_predictions() -> None:
    config = ProjectConfig.model_validate(
        {
            **CONFIG,
            "segments": {
                "win_back": {
                    "all": [
                        {"trait": "predicted_clv_12m", ">": 500},
                        {"trait": "churn_risk", ">": 0.6},
                    ]
                }
            },
        }
    )
    compiled = compile_segment(config, "win_back")
    sql = compiled.condition
    assert compiled.uses_traits
    assert "predicted_clv_12m" in sql and "churn_risk" in sql


def test_a_trait_named_like_a_prediction_is_refused() -> None:
    config = ProjectConfig.model_validate(
        {**CONFIG, "traits": {"churn_risk": {"aggregate": "count", "event": ORDER}}}
    )
    with pytest.raises(ConfigError, match="predictions make too"):
        validate(config, None)


def test_engagement_events_named_alike_are_refused() -> None:
    with pytest.raises(ValueError, match="named alike"):
        ProjectConfig.model_validate(
            {
                **CONFIG,
                "predictions": {
                    **CONFIG["predictions"],
                    "churn": {"engagement": ["Email Opened", "email-opened"]},
                },
            }
        )


def test_predictions_removed_from_personae_yml_leave_no_stale_table(
    engine: Engine, built: Any, tmp_path: Path
) -> None:
    config = ProjectConfig.model_validate(
        {**CONFIG, "predictions": {**CONFIG["predictions"], "enabled": False}}
    )
    compute_traits(engine, config)
    assert compute_predictions(engine, config, tmp_path) is None
    assert not engine.table_exists("predictions")
    assert engine.columns("traits") == ["person_id", "order_count"]
