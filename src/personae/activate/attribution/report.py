"""The campaign report: per campaign and channel, what was sent and what it earned.

:func:`campaign_report` runs the SQL of :mod:`.sql` and gathers one
:class:`CampaignRow` per (campaign, channel) and one :class:`~.uplift.Uplift` per
campaign with a control group; :func:`write_csv` writes the rows.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from personae.activate.attribution import sql
from personae.activate.attribution.control import check_control_groups
from personae.activate.attribution.sql import Relations
from personae.activate.attribution.uplift import Uplift
from personae.catalog import ACTIVATION_MESSAGES, EVENTS, IDENTITY_MAP, PERSONS
from personae.config.attribution import MODELS, Model
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.query.tables import require_tables

#: engagement counts of a row, in the order of the report's columns
COUNTS = ("sends", "delivered", "failed", "held", "control", "opens", "clicks", "visits")


@dataclass(frozen=True)
class Attributed:
    """What one model gives a (campaign, channel): fractional conversions and revenue."""

    conversions: float = 0.0
    revenue: float = 0.0


@dataclass(frozen=True)
class CampaignRow:
    campaign: str
    channel: str
    sends: int = 0
    delivered: int = 0
    failed: int = 0
    #: decided but not sent: suppressed, capped, deduped, outranked, conflict, quiet hours
    held: int = 0
    control: int = 0
    opens: int = 0
    clicks: int = 0
    visits: int = 0
    #: conversions with a touch of this campaign and channel in their window, and revenue
    conversions: int = 0
    revenue: float = 0.0
    attributed: dict[str, Attributed] = field(default_factory=dict)

    def model(self, name: str) -> Attributed:
        return self.attributed.get(name, Attributed())


@dataclass(frozen=True)
class CampaignReport:
    rows: list[CampaignRow]
    uplifts: list[Uplift]
    models: tuple[Model, ...]
    lookback: str
    half_life: str
    #: every conversion in the data, and those with at least one touch in their window
    conversions: int
    revenue: float
    attributed_conversions: int
    attributed_revenue: float
    #: False when ``activation_messages`` does not exist yet (only tracked events count)
    has_messages: bool

    def campaigns(self) -> list[str]:
        return sorted({row.campaign for row in self.rows})


def _number(value: object) -> float:
    """A SQL number (int, float, Decimal) as a float; NULL and NaN as 0."""
    if value is None:
        return 0.0
    number = float(value)  # type: ignore[arg-type]
    return 0.0 if math.isnan(number) else number


def campaign_report(engine: Engine, config: ProjectConfig) -> CampaignReport:
    """Compute the campaign report from the warehouse."""
    check_control_groups(config)
    require_tables(engine, (EVENTS, IDENTITY_MAP, PERSONS))
    has_messages = engine.table_exists(ACTIVATION_MESSAGES)
    if has_messages:
        missing = set(sql.MESSAGE_COLUMNS) - set(engine.columns(ACTIVATION_MESSAGES))
        if missing:
            raise NotFoundError(
                f"table {ACTIVATION_MESSAGES} lacks the columns {', '.join(sorted(missing))}: "
                "it was written by another version of personae; run the journeys again to "
                "rebuild it"
            )
    inputs = Relations.inline(config.attribution, has_messages)
    return _report(engine, config, inputs, has_messages)


def _report(
    engine: Engine, config: ProjectConfig, inputs: Relations, has_messages: bool
) -> CampaignReport:
    settings = config.attribution
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for found in engine.query(sql.engagement_sql(inputs)).to_pylist():
        rows[(found["campaign"], found["channel"])] = {c: int(found[c] or 0) for c in COUNTS}
    attributed, attributed_revenue = 0.0, 0.0
    for found in engine.query(sql.campaign_credit_sql(settings, inputs)).to_pylist():
        attributed += _number(found["conversions_first"])
        attributed_revenue += _number(found["revenue_first"])
        entry = rows.setdefault((found["campaign"], found["channel"]), {})
        entry["conversions"] = int(found["conversions"])
        entry["revenue"] = _number(found["revenue"])
        entry["attributed"] = {
            m: Attributed(_number(found[f"conversions_{m}"]), _number(found[f"revenue_{m}"]))
            for m in MODELS
        }
    report_rows = [
        CampaignRow(campaign=campaign, channel=channel, **values)  # type: ignore[arg-type]
        for (campaign, channel), values in sorted(rows.items(), key=lambda kv: _key(kv[0]))
        if campaign is not None
    ]
    totals = engine.rows(sql.conversion_totals_sql(inputs))[0]
    return CampaignReport(
        rows=report_rows,
        uplifts=_uplifts(engine, config, inputs if has_messages else None),
        models=settings.models,
        lookback=settings.lookback,
        half_life=settings.half_life,
        conversions=int(totals[0]),
        revenue=_number(totals[1]),
        attributed_conversions=round(attributed),
        attributed_revenue=attributed_revenue,
        has_messages=has_messages,
    )


def _key(key: tuple[str | None, str | None]) -> tuple[str, str]:
    return (key[0] or "", key[1] or "")


def _uplifts(engine: Engine, config: ProjectConfig, inputs: Relations | None) -> list[Uplift]:
    """One uplift per campaign with a control group (declared, or control rows found)."""
    settings = config.attribution
    groups: dict[str, dict[str, tuple[int, int]]] = {}
    if inputs is not None:
        for campaign, grp, persons, converted in engine.rows(sql.groups_sql(settings, inputs)):
            groups.setdefault(campaign, {})[grp] = (int(persons), int(converted))
    declared = set(settings.control_groups) | {
        name for name, spec in config.orchestration.campaigns.items() if spec.control_share > 0
    }
    for campaign in declared:
        groups.setdefault(campaign, {})
    uplifts = []
    for campaign, found in sorted(groups.items()):
        if "control" not in found and campaign not in declared:
            continue
        exposed, control = found.get("exposed", (0, 0)), found.get("control", (0, 0))
        uplifts.append(Uplift(campaign, *exposed, *control, settings.confidence))
    return uplifts


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "campaign",
    "channel",
    *COUNTS,
    "conversions",
    "revenue",
    *(f"{kind}_{m}" for m in MODELS for kind in ("conversions", "revenue")),
)


def csv_rows(report: CampaignReport) -> Iterator[list[object]]:
    """The report's rows as CSV values (every model's attributed figures, rounded)."""
    for row in report.rows:
        values: list[object] = [row.campaign, row.channel]
        values += [getattr(row, c) for c in COUNTS]
        values += [row.conversions, round(row.revenue, 2)]
        for m in MODELS:
            values += [round(row.model(m).conversions, 4), round(row.model(m).revenue, 2)]
        yield values


def write_csv(report: CampaignReport, path: Path) -> int:
    """Write one line per campaign and channel to ``path``; the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(report))
    return len(report.rows)
