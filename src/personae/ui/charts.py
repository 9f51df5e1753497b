"""Vega-Lite specifications of the UI's charts, built from core results (the browser
draws them with the vendored Vega-Lite)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from personae.unify.matching.waterfall import Waterfall

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def waterfall_chart(waterfall: Waterfall, _: Callable[[str], str]) -> dict[str, Any]:
    """Each comparison's contribution to the match weight, as a running total."""
    rows: list[dict[str, Any]] = []
    total = waterfall.prior
    rows.append({"step": "prior", "start": 0.0, "end": total, "weight": total, "detail": ""})
    for step in waterfall.steps:
        rows.append(
            {
                "step": step.comparison,
                "start": total,
                "end": total + step.weight,
                "weight": round(step.weight, 2),
                "detail": f"{step.level}: {step.value_a or '∅'} / {step.value_b or '∅'}",
            }
        )
        total += step.weight
    rows.append(
        {
            "step": _("Match weight"),
            "start": 0.0,
            "end": total,
            "weight": round(total, 2),
            "detail": f"p = {waterfall.match_probability:.4f}",
        }
    )
    return {
        "$schema": SCHEMA,
        "data": {"values": rows},
        "width": "container",
        "height": 40 + 26 * len(rows),
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "step", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "start", "type": "quantitative", "title": _("Match weight")},
            "x2": {"field": "end"},
            "color": {
                "condition": {"test": "datum.weight < 0", "value": "#a40e26"},
                "value": "#1a7f37",
            },
            "tooltip": [
                {"field": "step", "type": "nominal"},
                {"field": "weight", "type": "quantitative"},
                {"field": "detail", "type": "nominal"},
            ],
        },
    }


def bar_chart(
    rows: Sequence[dict[str, Any]], x: str, y: str, *, x_title: str = "", y_title: str = ""
) -> dict[str, Any]:
    """A bar per row: ``x`` nominal (in order), ``y`` quantitative."""
    return {
        "$schema": SCHEMA,
        "data": {"values": list(rows)},
        "width": "container",
        "height": 220,
        "mark": {"type": "bar", "color": "#0b5cad", "tooltip": True},
        "encoding": {
            "x": {"field": x, "type": "nominal", "sort": None, "title": x_title or x},
            "y": {"field": y, "type": "quantitative", "title": y_title or y},
        },
    }


def line_chart(
    rows: Sequence[dict[str, Any]],
    x: str,
    y: str,
    *,
    colour: str | None = None,
    x_title: str = "",
    y_title: str = "",
) -> dict[str, Any]:
    """A time series: ``x`` temporal, ``y`` quantitative, one line per ``colour``."""
    encoding: dict[str, Any] = {
        "x": {"field": x, "type": "temporal", "title": x_title or x},
        "y": {"field": y, "type": "quantitative", "title": y_title or y},
        "tooltip": [{"field": x, "type": "temporal"}, {"field": y, "type": "quantitative"}],
    }
    if colour:
        encoding["color"] = {"field": colour, "type": "nominal"}
    return {
        "$schema": SCHEMA,
        "data": {"values": list(rows)},
        "width": "container",
        "height": 220,
        "mark": {"type": "line", "point": len(rows) < 60},
        "encoding": encoding,
    }
