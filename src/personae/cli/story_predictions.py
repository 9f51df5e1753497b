"""The demo's predictions: a backtest of every model against its naive baseline, and the
high-value customers at risk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape

from personae.cli.predictions_commands import render_at_risk
from personae.cli.render import titled_table
from personae.profile.predict.backtest import BacktestResult, backtest, save
from personae.profile.predict.explain import at_risk
from personae.project import Project


@dataclass
class DemoPredictions:
    backtest: BacktestResult
    at_risk: list[dict[str, Any]]


def backtest_demo(project: Project) -> DemoPredictions | None:
    """Backtest the predictions (saved like ``personae predictions backtest``) and find
    the high-value customers at risk; None when personae.yml declares no predictions."""
    predictions = project.config.predictions
    if predictions is None or not predictions.enabled:
        return None
    result = backtest(project.engine, predictions, project.config.reference_date())
    save(result, project.state_dir, dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S"))
    risky = at_risk(project.engine, project.config, limit=5, min_risk=0.6)
    return DemoPredictions(result, risky)


def tell_predictions(console: Console, found: DemoPredictions | None) -> None:
    if found is None:
        return
    console.rule("[bold]Predictions")
    render_summary(console, found.backtest)
    render_at_risk(console, found.at_risk)


def render_summary(console: Console, result: BacktestResult) -> None:
    table = titled_table(
        f"Backtest: fitted before {result.cutoff}, {result.customers:,} customers, "
        f"predicting the next {result.holdout_days} days",
        "prediction", "measure", "model", "naive baseline", "model vs baseline",
    )  # fmt: skip
    for label, compared in (
        ("orders per customer", result.orders),
        ("revenue per customer", result.revenue),
    ):
        name, best = compared.best_baseline
        table.add_row(
            label, "MAE", f"{compared.mae:.3f}", f"{best:.3f} ({name})",
            f"{compared.improvement:+.0%} better" if compared.improvement >= 0
            else f"{-compared.improvement:.0%} worse",
        )  # fmt: skip
    chosen = result.churn_auc.get(result.churn_model, float("nan"))
    recency = result.churn_auc.get("recency alone", float("nan"))
    table.add_row(
        f"churn_risk ({result.churn_model})", "ROC AUC", f"{chosen:.3f}",
        f"{recency:.3f} (recency alone)", f"{chosen - recency:+.3f}",
    )  # fmt: skip
    if result.affinity_precision is not None and result.popularity_precision is not None:
        k = result.affinity_top
        ratio = (
            result.affinity_precision / result.popularity_precision
            if result.popularity_precision
            else 0
        )
        table.add_row(
            "product_affinity", f"precision@{k}", f"{result.affinity_precision:.3f}",
            f"{result.popularity_precision:.3f} (the {k} most popular)", f"{ratio:.1f}x",
        )  # fmt: skip
    console.print(table)
    worst = max(result.reliability, key=lambda r: abs(r.predicted - r.observed), default=None)
    if worst is not None:
        console.print(
            f"churn_risk calibration: predicted vs observed churn by decile differ by at most "
            f"{abs(worst.predicted - worst.observed):.3f} "
            "(personae predictions backtest prints the table).",
            highlight=False,
        )
    for warning in result.warnings:
        console.print(f"[yellow]{escape(warning)}[/]")
