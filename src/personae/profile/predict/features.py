"""What the models learn from, in SQL any engine runs: each customer's purchase history
summarised as of a cut-off, their engagement, and what they bought after it.

Purchases are the order events of every source (``predictions.orders``), of live
persons. As in the BTYD literature, a person's purchases on one day are one transaction
(an order and a till ticket the same day are one visit). As of a cut-off ``end`` (a
midnight, exclusive), over the calibration period before it:

* ``frequency``: repeat transactions (transaction days minus one);
* ``recency``: days from the first to the last transaction day;
* ``t``: days from the first transaction day to ``end`` (at least 1);
* ``monetary``: the mean amount of the repeat transactions (0 without one), as the
  Gamma-Gamma model expects; ``first_amount``: the first transaction's;
* ``orders``, ``revenue``: transaction days and their total amount.

Times are whole days.
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa

from personae.config.predictions import PredictionsConfig
from personae.engine import Engine
from personae.query.asof import timestamp_sql
from personae.query.expressions import property_sql
from personae.query.people import person_events_sql
from personae.sql import ident, literal

SUMMARY_COLUMNS = ("frequency", "recency", "t", "monetary", "first_amount", "orders", "revenue")


def _date_sql(value: dt.datetime) -> str:
    return f"CAST({literal(value.date().isoformat())} AS DATE)"


def _amount_sql(predictions: PredictionsConfig) -> str:
    cases = " ".join(
        f"WHEN {literal(o.event)} THEN {property_sql(o.amount, 'e', 'DOUBLE')}"
        for o in predictions.orders
        if o.amount
    )
    return f"coalesce(CASE e.event {cases} END, 0)" if cases else "0"


def purchase_days_sql(predictions: PredictionsConfig, start: dt.datetime, end: dt.datetime) -> str:
    """``(person_id, day, amount)``: one row per person and transaction day in
    ``[start, end)``."""
    events = tuple(o.event for o in predictions.orders)
    return (
        "SELECT e.person_id, CAST(e.timestamp AS DATE) AS day, "
        f"sum({_amount_sql(predictions)}) AS amount "
        f"FROM ({person_events_sql(timestamp_sql(end), events=events)}) e "
        f"WHERE e.timestamp >= {timestamp_sql(start)} "
        "GROUP BY e.person_id, CAST(e.timestamp AS DATE)"
    )


def summary_sql(predictions: PredictionsConfig, end: dt.datetime) -> str:
    """``(person_id, <SUMMARY_COLUMNS>)`` for every person with a purchase in the
    calibration period before ``end``."""
    start = end - dt.timedelta(days=predictions.calibration_days)
    end_day = _date_sql(end)
    return (
        "WITH d AS ("
        "SELECT person_id, day, amount, "
        "row_number() OVER (PARTITION BY person_id ORDER BY day) AS n "
        f"FROM ({purchase_days_sql(predictions, start, end)}) p) "
        "SELECT person_id, "
        "CAST(count(*) - 1 AS DOUBLE) AS frequency, "
        "CAST(date_diff('day', min(day), max(day)) AS DOUBLE) AS recency, "
        f"CAST(date_diff('day', min(day), {end_day}) AS DOUBLE) AS t, "
        "CASE WHEN count(*) > 1 THEN sum(CASE WHEN n > 1 THEN amount ELSE 0 END) "
        "/ (count(*) - 1) ELSE 0 END AS monetary, "
        "max(CASE WHEN n = 1 THEN amount END) AS first_amount, "
        "count(*) AS orders, sum(amount) AS revenue "
        "FROM d GROUP BY person_id"
    )


def outcome_sql(predictions: PredictionsConfig, start: dt.datetime, end: dt.datetime) -> str:
    """``(person_id, orders, revenue)``: transaction days and amount in ``[start, end)``:
    what happened after a cut-off."""
    return (
        "SELECT person_id, count(*) AS orders, sum(amount) AS revenue "
        f"FROM ({purchase_days_sql(predictions, start, end)}) p GROUP BY person_id"
    )


def event_slug(event: str) -> str:
    """``Email Link Clicked`` -> ``email_link_clicked``: the stem of its feature columns."""
    return re.sub(r"[^a-z0-9]+", "_", event.lower()).strip("_") or "event"


def _engagement_names(event: str) -> tuple[str, str, str]:
    stem = event_slug(event)
    return f"{stem}_90d", f"{stem}_365d", f"{stem}_days_since"


def engagement_columns(predictions: PredictionsConfig) -> list[str]:
    """Feature columns of the engagement events: counts over 90 and 365 days, and days
    since the last one (``email_opened_90d``, ``email_opened_365d``,
    ``email_opened_days_since``)."""
    return [name for event in predictions.churn.engagement for name in _engagement_names(event)]


def engagement_sql(predictions: PredictionsConfig, end: dt.datetime) -> str | None:
    """``(person_id, <engagement_columns>)`` as of ``end``, or None without engagement
    events."""
    names = predictions.churn.engagement
    if not names:
        return None
    since_90 = timestamp_sql(end - dt.timedelta(days=90))
    since_365 = timestamp_sql(end - dt.timedelta(days=365))
    end_day = _date_sql(end)
    parts: list[str] = []
    for name in names:
        this = f"e.event = {literal(name)}"
        recent, year, since = (ident(c) for c in _engagement_names(name))
        parts += [
            f"count(CASE WHEN {this} AND e.timestamp >= {since_90} THEN 1 END) AS {recent}",
            f"count(CASE WHEN {this} THEN 1 END) AS {year}",
            f"date_diff('day', max(CASE WHEN {this} THEN CAST(e.timestamp AS DATE) END), "
            f"{end_day}) AS {since}",
        ]
    events = person_events_sql(timestamp_sql(end), events=tuple(names))
    return (
        f"SELECT e.person_id, {', '.join(parts)} FROM ({events}) e "
        f"WHERE e.timestamp >= {since_365} GROUP BY e.person_id"
    )


def customer_features(engine: Engine, predictions: PredictionsConfig, end: dt.datetime) -> pa.Table:
    """The purchase summary and engagement of every customer as of ``end``, sorted by
    person id (engagement columns NULL where a customer has none)."""
    summary = summary_sql(predictions, end)
    engagement = engagement_sql(predictions, end)
    if engagement is None:
        return engine.query(f"SELECT * FROM ({summary}) s ORDER BY person_id")
    columns = ", ".join(f"g.{ident(c)}" for c in engagement_columns(predictions))
    return engine.query(
        f"SELECT s.*, {columns} FROM ({summary}) s "
        f"LEFT JOIN ({engagement}) g ON g.person_id = s.person_id ORDER BY s.person_id"
    )
