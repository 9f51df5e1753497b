"""``personae predictions backtest|explain|at-risk``: how accurate the predicted traits
are, why one person's are what they are, and the customers most worth winning back.

Registered on the main app by ``register(app)``; reads through
:mod:`personae.profile.predict` under the CLI's error handling and warehouse lock.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from personae.cli.context import console, guard, open_project
from personae.errors import PersonaeError

if TYPE_CHECKING:  # the CLI starts without the engines
    from personae.profile.predict.backtest import BacktestResult, Compared
    from personae.profile.predict.explain import PredictionExplanation

predictions_app = typer.Typer(
    help="Predicted traits: backtest their accuracy, explain one person's, list who to win back."
)


def register(app: typer.Typer) -> None:
    """Add ``personae predictions`` to ``app``."""
    app.add_typer(predictions_app, name="predictions")


class PredictionsNotDeclared(PersonaeError):
    """personae.yml has no predictions section."""


def _declared(config: Any) -> Any:
    if config.predictions is None:
        raise PredictionsNotDeclared(
            "personae.yml declares no predictions: add a 'predictions:' section naming your "
            "order events (docs/predictions.md shows one)"
        )
    return config.predictions


@predictions_app.command(name="backtest")
def backtest_cmd(
    cutoff: Annotated[
        str | None,
        typer.Option(help="Fit on the history before this date (YYYY-MM-DD).", metavar="DATE"),
    ] = None,
    holdout: Annotated[
        int | None,
        typer.Option(help="Days after the cut-off to predict (default: the horizon).", min=1),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Fit on the past, predict the holdout after a cut-off, compare with what happened."""
    from personae.profile.predict.backtest import backtest, history, save

    def go() -> None:
        day = _date(cutoff) if cutoff else None
        with open_project() as project:
            predictions = _declared(project.config)
            before = [
                run for run in history(project.state_dir)
                if run.get("holdout_days") == (holdout or predictions.horizon_days)
            ]  # fmt: skip
            result = backtest(
                project.engine,
                predictions,
                project.config.reference_date(),
                cutoff=day,
                holdout_days=holdout,
            )
            run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
            path = save(result, project.state_dir, run_id)
        if as_json:
            print(json.dumps(result.to_json(), indent=2))
            return
        render_backtest(console, result, before[-1] if before else None)
        console.print(f"Saved in {escape(str(path))}", highlight=False)

    guard(go)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PersonaeError(f"--cutoff {text!r} is not a date: write it YYYY-MM-DD") from None


def _ratio(model: float, baseline: float) -> str:
    return f"{model / baseline:.2f}" if baseline > 0 else "-"


def _drift(now: float, before: float | None) -> str:
    return "" if before is None else f"{now - before:+.3f}"


def _compared_rows(
    table: Table, label: str, compared: Compared, previous: dict[str, Any] | None
) -> None:
    before = previous.get("mae") if previous else None
    table.add_row(
        label,
        f"{compared.mae:.3f}",
        *(f"{mae:.3f}" for mae in compared.baselines.values()),
        f"{compared.improvement:+.0%}",
        f"{compared.rmse:.3f}",
        f"{compared.rmse_improvement:+.0%}",
        f"{compared.correlation:.3f}",
        _drift(compared.mae, before),
    )


def render_backtest(
    console: Console, result: BacktestResult, previous: dict[str, Any] | None = None
) -> None:
    console.print(
        f"[bold]Backtest[/]: fitted on the history before {result.cutoff}, "
        f"{result.customers:,} customers, holdout {result.holdout_days} days "
        f"({result.seconds:.1f}s)"
    )
    baselines = list(result.orders.baselines)
    table = Table(
        "per customer", "MAE", *(f"MAE: {b}" for b in baselines), "MAE better by",
        "RMSE", "RMSE better by", "corr.", "MAE drift",
        title="Orders and revenue in the holdout (BG/NBD, x Gamma-Gamma for revenue)",
    )  # fmt: skip
    _compared_rows(table, "orders", result.orders, previous and previous.get("orders"))
    _compared_rows(table, "revenue", result.revenue, previous and previous.get("revenue"))
    console.print(table)
    console.print(
        "Better by: 1 - error / the best baseline's. The models predict expected values, "
        "which RMSE measures; MAE rewards a median (often 0 orders).",
        highlight=False,
    )
    console.print(
        f"Totals: {result.orders.predicted_total:,.0f} orders predicted, "
        f"{result.orders.actual_total:,.0f} placed; revenue {result.revenue.predicted_total:,.0f} "
        f"predicted, {result.revenue.actual_total:,.0f} actual.",
        highlight=False,
    )
    churn = Table("churn model", "ROC AUC", "vs recency alone", title="Churn")
    base = result.churn_auc.get("recency alone", 0.0)
    for model, auc in result.churn_auc.items():
        mark = " (churn_risk)" if model == result.churn_model else ""
        churn.add_row(
            model + mark, f"{auc:.3f}", _ratio(auc, base) if model != "recency alone" else ""
        )
    console.print(churn)
    console.print(f"{result.churn_rate:.0%} of the customers placed no order in the churn window.")
    reliability = Table(
        "decile", "predicted", "observed", "customers", "",
        title=f"Reliability of churn_risk ({result.churn_model})",
    )  # fmt: skip
    for i, row in enumerate(result.reliability, 1):
        bar = "█" * round(row.observed * 30)
        tick = round(row.predicted * 30)
        plot = (
            bar[:tick] + "|" + bar[tick:]
            if tick <= len(bar)
            else bar + " " * (tick - len(bar)) + "|"
        )
        reliability.add_row(
            str(i), f"{row.predicted:.3f}", f"{row.observed:.3f}", f"{row.customers:,}", plot
        )
    console.print(reliability)
    console.print("(bars: observed churn; |: predicted)", highlight=False)
    if result.affinity_precision is not None and result.popularity_precision is not None:
        k = result.affinity_top
        console.print(
            f"Affinity: precision@{k} {result.affinity_precision:.3f} against "
            f"{result.popularity_precision:.3f} for the {k} most popular items "
            f"({_ratio(result.affinity_precision, result.popularity_precision)}x), over "
            f"{result.affinity_persons:,} persons who bought in the holdout.",
            highlight=False,
        )
    for warning in result.warnings:
        console.print(f"[yellow]{escape(warning)}[/]")


@predictions_app.command(name="explain")
def explain_cmd(
    person_id: Annotated[int, typer.Argument(help="Person id (a retired id resolves).")],
) -> None:
    """Why one person's predictions are what they are."""
    from personae.profile.predict.explain import explain_prediction

    def go() -> None:
        with open_project() as project:
            _declared(project.config)
            found = explain_prediction(project.engine, project.config, project.state_dir, person_id)
        render_explanation(console, found)

    guard(go)


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def render_explanation(console: Console, found: PredictionExplanation) -> None:
    title = f"Person {found.person_id}"
    if found.requested_id != found.person_id:
        title += f" (id {found.requested_id} was merged into it)"
    console.print(f"[bold]{title}[/]")
    predicted = Table("prediction", "value", title="Predictions")
    for name, value in found.predicted.items():
        predicted.add_row(name, escape(_number(value)))
    console.print(predicted)
    if not found.customer:
        console.print(
            "No order in the calibration period: no lifetime or churn prediction "
            "(an affinity may come from browsing)."
        )
        return
    history = Table(
        "figure", "this person", "customers' median", "rank", title="Why: their history"
    )
    for figure in found.history:
        rank = "" if figure.rank is None else f"above {figure.rank:.0%} of customers"
        history.add_row(figure.meaning, _number(figure.value), _number(figure.median), rank)
    console.print(history)
    if found.drivers:
        drivers = Table(
            "feature", "weight (AUC lost without it)", "this person", "customers' median",
            title="What weighs most in churn_risk",
        )  # fmt: skip
        for figure in found.drivers:
            drivers.add_row(
                figure.meaning, f"{found.weights[figure.name]:.3f}",
                _number(figure.value), _number(figure.median),
            )  # fmt: skip
        console.print(drivers)
    bg = found.models.get("bg_nbd")
    if bg:
        console.print(
            "BG/NBD: purchase rate ~ Gamma(r={r:.3g}, alpha={alpha:.3g}), drop-out ~ "
            "Beta(a={a:.3g}, b={b:.3g}), fitted {when}.".format(
                **bg, when=found.models.get("fitted_at", "")
            ),
            highlight=False,
        )


@predictions_app.command(name="at-risk")
def at_risk_cmd(
    limit: Annotated[int, typer.Option(help="Show at most N customers.", min=1)] = 10,
    min_risk: Annotated[float, typer.Option(help="Churn risk at least.", min=0, max=1)] = 0.6,
) -> None:
    """High-value customers at risk: churn risk over --min-risk, by predicted value."""
    from personae.profile.predict.explain import at_risk

    def go() -> None:
        with open_project() as project:
            _declared(project.config)
            rows = at_risk(project.engine, project.config, limit=limit, min_risk=min_risk)
        render_at_risk(console, rows)

    guard(go)


def render_at_risk(console: Console, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("No customer at that risk (has 'personae run' run with predictions?).")
        return
    table = Table(
        "person", "name", "predicted value 12m", "churn risk", "revenue so far",
        "days since last order", title="High-value customers at risk",
    )  # fmt: skip
    for row in rows:
        name = " ".join(str(row[k]) for k in ("first_name", "last_name") if row.get(k))
        table.add_row(
            str(row["person_id"]), escape(name or str(row.get("email") or "")),
            f"{row['predicted_clv'] or 0:,.0f}", f"{row['churn_risk']:.2f}",
            f"{row['revenue'] or 0:,.0f}", _number(row["days_since_last"]),
        )  # fmt: skip
    console.print(table)
