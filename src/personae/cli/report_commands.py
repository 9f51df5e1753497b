"""``personae report campaigns``: what each campaign sent and earned, per channel, in the
terminal, as CSV and as a self-contained HTML report.

Registered on the main app by ``register(app)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from personae.cli import render
from personae.cli.context import console, guard, open_project

if TYPE_CHECKING:
    from personae.activate.attribution import CampaignReport, Uplift

report_app = typer.Typer(help="Reports on what activation sent and earned.")

MODEL_LABELS = {
    "first": "first touch",
    "last": "last touch",
    "linear": "linear",
    "time_decay": "time decay",
}


def register(app: typer.Typer) -> None:
    """Add ``personae report campaigns`` to ``app``."""
    app.add_typer(report_app, name="report")


def _money(value: float) -> str:
    return f"{value:,.2f}"


def print_campaigns(report: CampaignReport, model: str) -> None:
    """The report's rows and totals, attributed by ``model``, as rich tables."""
    label = MODEL_LABELS[model]
    if not report.rows:
        console.print(
            "No campaign touched anyone yet: no message sent (activation_messages), no open "
            "or click carrying a campaign, no event tagged with utm_campaign. "
            f"{render.plural(report.conversions, 'conversion')} in the data.",
            highlight=False,
            soft_wrap=True,
        )
        return
    table = render.titled_table(
        f"Campaigns (attribution: {label}, lookback {report.lookback})",
        "campaign",
        "channel",
        "sends",
        "delivered",
        "opens",
        "clicks",
        "visits",
        "conversions",
        "revenue",
        "attributed conv.",
        "attributed revenue",
    )
    table.columns[1].justify = "left"
    for row in report.rows:
        attributed = row.model(model)
        table.add_row(
            row.campaign,
            row.channel,
            f"{row.sends:,}",
            f"{row.delivered:,}",
            f"{row.opens:,}",
            f"{row.clicks:,}",
            f"{row.visits:,}",
            f"{row.conversions:,}",
            _money(row.revenue),
            f"{attributed.conversions:,.2f}",
            _money(attributed.revenue),
        )
    console.print(table)
    console.print(
        f"{render.plural(report.conversions, 'conversion')} ({_money(report.revenue)} "
        f"revenue); {report.attributed_conversions:,} "
        f"({_money(report.attributed_revenue)}) had a touch in the {report.lookback} before "
        "them and are attributed.",
        highlight=False,
        soft_wrap=True,
    )
    if not report.has_messages:
        console.print(
            "No message decisions yet (no activation_messages table): only opens, clicks "
            "and UTM visits count as touches.",
            highlight=False,
            soft_wrap=True,
        )
    if report.uplifts:
        print_uplifts(report.uplifts)


def print_uplifts(uplifts: list[Uplift]) -> None:
    confidence = uplifts[0].confidence
    table = render.titled_table(
        f"Control groups (uplift, {100 * confidence:g}% Newcombe interval)",
        "campaign",
        "exposed",
        "control",
        "uplift",
        "interval",
        "incremental conv.",
    )
    for u in uplifts:
        interval = u.interval
        table.add_row(
            u.campaign,
            _rate(u.exposed_converted, u.exposed, u.exposed_rate),
            _rate(u.control_converted, u.control, u.control_rate),
            "–" if u.uplift is None else f"{100 * u.uplift:+.2f} pts",
            "–" if interval is None else f"[{100 * interval[0]:+.2f}, {100 * interval[1]:+.2f}]",
            "–" if u.incremental is None else f"{u.incremental:+,.1f}",
        )
    console.print(table)


def _rate(converted: int, persons: int, rate: float | None) -> str:
    shown = "–" if rate is None else f"{100 * rate:.1f}%"
    return f"{converted:,}/{persons:,} ({shown})"


@report_app.command("campaigns")
def campaigns_cmd(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Attribution model shown: first, last, linear or time_decay "
            "(default: the first of attribution.models).",
        ),
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write every row, all models, to this CSV file."),
    ] = None,
    html_path: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML report with charts."),
    ] = None,
) -> None:
    """Sends, deliveries, opens, clicks, conversions, revenue and attributed revenue per
    campaign and channel; exposed vs control conversion rates and uplift."""
    if model is not None and model not in MODEL_LABELS:
        raise typer.BadParameter(
            f"{model}: use one of {', '.join(MODEL_LABELS)}", param_hint="--model"
        )
    from personae.activate.attribution import campaign_report, write_csv
    from personae.activate.attribution.html import write_html

    def go() -> None:
        with open_project() as project:
            report = campaign_report(project.engine, project.config)
        print_campaigns(report, model or report.models[0])
        if csv_path is not None:
            rows = write_csv(report, csv_path)
            console.print(f"Wrote {render.plural(rows, 'row')} to {csv_path}", highlight=False)
        if html_path is not None:
            write_html(report, html_path)
            console.print(f"Wrote the HTML report to {html_path}", highlight=False)

    guard(go)
