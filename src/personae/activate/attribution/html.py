"""The campaign report as one self-contained HTML file: tables and inline SVG charts, no
script, no stylesheet or font fetched from anywhere (it opens offline and in a mail)."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from personae.activate.attribution.report import COUNTS, CampaignReport
from personae.activate.attribution.uplift import Uplift

#: one colour per model (colour-blind safe: Okabe-Ito)
COLOURS = {"first": "#0072B2", "last": "#E69F00", "linear": "#009E73", "time_decay": "#CC79A7"}
LABELS = {
    "first": "first touch",
    "last": "last touch",
    "linear": "linear",
    "time_decay": "time decay",
}

STYLE = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.3em .6em;border-bottom:1px solid #ddd}
th{text-align:left;background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555}.wide{overflow-x:auto}svg text{font:12px system-ui,sans-serif;fill:#222}
"""


def _number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f'<td class="n">{_number(value, 2)}</td>'
    if isinstance(value, int):
        return f'<td class="n">{_number(value)}</td>'
    return f"<td>{escape(str(value))}</td>"


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="wide">{table}</div>'


def revenue_chart(report: CampaignReport) -> str:
    """Grouped horizontal bars: attributed revenue of each campaign, one bar per model."""
    campaigns = report.campaigns()
    models = report.models
    totals = {
        (c, m): sum(r.model(m).revenue for r in report.rows if r.campaign == c)
        for c in campaigns
        for m in models
    }
    top = max(totals.values(), default=0.0) or 1.0
    bar, gap, label_width, width = 14, 10, 160, 760
    plot = width - label_width - 90
    group = bar * len(models) + gap
    height = group * len(campaigns) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="attributed revenue per campaign and model">'
    ]
    for i, campaign in enumerate(campaigns):
        y0 = i * group
        parts.append(
            f'<text x="{label_width - 8}" y="{y0 + bar * len(models) / 2 + 4}" '
            f'text-anchor="end">{escape(campaign)}</text>'
        )
        for j, model in enumerate(models):
            value = totals[(campaign, model)]
            length = plot * value / top
            y = y0 + j * bar
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{COLOURS[model]}"><title>{escape(campaign)}, {LABELS[model]}: '
                f"{_number(value, 2)}</title></rect>"
                f'<text x="{label_width + length + 4:.1f}" y="{y + bar - 4}">'
                f"{_number(value)}</text>"
            )
    legend_y = group * len(campaigns) + 20
    for j, model in enumerate(models):
        x = label_width + j * 130
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{COLOURS[model]}"/>'
            f'<text x="{x + 16}" y="{legend_y}">{LABELS[model]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def uplift_chart(uplifts: list[Uplift]) -> str:
    """The uplift of each campaign (percentage points) with its interval, around 0."""
    shown = [u for u in uplifts if u.interval is not None]
    if not shown:
        return ""
    bounds = [abs(v) for u in shown for v in (u.interval or (0.0, 0.0))]
    span = max(bounds) or 1.0
    label_width, width, row = 160, 760, 28
    plot = width - label_width - 40
    zero = label_width + plot / 2

    def x(value: float) -> float:
        return zero + plot / 2 * value / span

    height = row * len(shown) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" aria-label="uplift per campaign with its confidence interval">',
        f'<line x1="{zero}" y1="0" x2="{zero}" y2="{height - 20}" stroke="#888"/>',
        f'<text x="{zero}" y="{height - 4}" text-anchor="middle">0</text>',
        f'<text x="{x(span):.1f}" y="{height - 4}" text-anchor="end">+{100 * span:.1f} pts</text>',
        f'<text x="{x(-span):.1f}" y="{height - 4}">-{100 * span:.1f} pts</text>',
    ]
    for i, uplift in enumerate(shown):
        low, high = uplift.interval or (0.0, 0.0)
        y = i * row + 14
        colour = "#009E73" if low > 0 else "#D55E00" if high < 0 else "#555"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 4}" text-anchor="end">'
            f"{escape(uplift.campaign)}</text>"
            f'<line x1="{x(low):.1f}" y1="{y}" x2="{x(high):.1f}" y2="{y}" stroke="{colour}" '
            'stroke-width="3"/>'
            f'<circle cx="{x(uplift.uplift or 0.0):.1f}" cy="{y}" r="5" fill="{colour}">'
            f"<title>{escape(uplift.campaign)}: {100 * (uplift.uplift or 0):+.2f} pts "
            f"[{100 * low:+.2f}, {100 * high:+.2f}]</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def uplift_rows(uplifts: list[Uplift]) -> list[list[object]]:
    rows: list[list[object]] = []
    for u in uplifts:
        interval = u.interval
        rows.append(
            [
                u.campaign,
                f"{u.exposed_converted:,} / {u.exposed:,} ({_percent(u.exposed_rate)})",
                f"{u.control_converted:,} / {u.control:,} ({_percent(u.control_rate)})",
                "–" if u.uplift is None else f"{100 * u.uplift:+.2f} pts",
                "–"
                if interval is None
                else f"[{100 * interval[0]:+.2f}, {100 * interval[1]:+.2f}]",
                "–" if u.incremental is None else f"{u.incremental:+,.1f}",
            ]
        )
    return rows


def render_html(report: CampaignReport, title: str = "Campaign report") -> str:
    """The whole report as one HTML document."""
    headers = ["campaign", "channel", *COUNTS, "conversions", "revenue"]
    headers += [f"{LABELS[m]} revenue" for m in report.models]
    rows: list[list[object]] = []
    for row in report.rows:
        values: list[object] = [row.campaign, row.channel]
        values += [getattr(row, c) for c in COUNTS]
        values += [row.conversions, float(row.revenue)]
        values += [float(row.model(m).revenue) for m in report.models]
        rows.append(values)
    confidence = report.uplifts[0].confidence if report.uplifts else 0.95
    summary = (
        f"{report.conversions:,} conversions ({_number(report.revenue, 2)} revenue); "
        f"{report.attributed_conversions:,} ({_number(report.attributed_revenue, 2)}) had a "
        f"touch in the {escape(report.lookback)} before them and are attributed. "
        f"Time decay halves a touch's weight every {escape(report.half_life)}."
    )
    if not report.has_messages:
        summary += " No message decisions yet (activation_messages): opens, clicks and UTM "
        summary += "visits only."
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="note">Generated {generated} by personae.</p>',
        f"<p>{summary}</p>",
        "<h2>Attributed revenue per campaign</h2>",
        revenue_chart(report) if report.rows else "<p>No campaign touched a conversion.</p>",
        "<h2>Per campaign and channel</h2>",
        _table(headers, rows),
    ]
    if report.uplifts:
        body += [
            "<h2>Control groups</h2>",
            f'<p class="note">Conversion rate within {escape(report.lookback)} of the '
            "campaign's first decision about each person, sent vs held out; uplift in "
            f"percentage points with its {100 * confidence:g}% Newcombe hybrid score "
            "interval.</p>",
            uplift_chart(report.uplifts),
            _table(
                ["campaign", "exposed", "control", "uplift", "interval", "incremental"],
                uplift_rows(report.uplifts),
            ),
        ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


def write_html(report: CampaignReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
