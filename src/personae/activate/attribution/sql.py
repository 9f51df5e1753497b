"""Touches, conversions and the four attribution models, as SQL written once (DuckDB's
dialect; the Spark engine transpiles it).

* **Touches** (``person_id, campaign, channel, kind, touched_at``): ``delivered`` (an
  ``activation_messages`` row ``sent``, at ``decided_at``), ``open`` and ``click`` (the
  tracking events, tied to their campaign by the ``campaign`` property or by
  ``message_id`` to the message's row, whose person and channel they take; only the
  first open of a message counts, since mail clients reload the pixel), ``visit``
  (any other event carrying ``utm_campaign``; its channel is ``utm_medium``, else ``web``).
* **Conversions** (``person_id, conversion_id, converted_at, revenue``): the events named in
  ``attribution.conversions.events`` of every source, revenue read from the revenue
  property (0 when missing or not a number); with ``order_id`` set, the events of one
  person carrying the same order id are one conversion (earliest time, largest revenue).
* **Credit**: each conversion is joined to the same person's touches at most ``lookback``
  before it (a touch at the conversion's time counts). Weights per touch: ``first``
  and ``last`` give 1 to the earliest or latest touch (ties: delivered < open < click <
  visit, then campaign and channel), ``linear`` 1/n to each of the n touches,
  ``time_decay`` ``0.5^(age / half_life)`` normalised to sum to 1 over the conversion.
  A conversion's weights sum to 1 in every model; attributed revenue is weight × revenue.

Person ids of ``activation_messages`` are followed to their survivor through ``persons``
(a person merged after the message was sent keeps its touches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from personae.catalog import ACTIVATION_MESSAGES, EVENTS, PERSONS
from personae.config.attribution import MODELS, AttributionConfig
from personae.query.asof import window_delta
from personae.query.expressions import property_sql
from personae.query.people import live_map_sql
from personae.sql import literal

#: the columns of it the report reads
MESSAGE_COLUMNS: Final = (
    "message_id",
    "campaign",
    "person_id",
    "channel",
    "decided_at",
    "status",
)
#: touch kinds, in the order that breaks ties between touches at the same time
KINDS: Final = ("delivered", "open", "click", "visit")


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(literal(n) for n in names)


def messages_sql(messages: bool = True) -> str:
    """``activation_messages`` with each person id followed to its live survivor (no
    rows when ``messages`` is false: nothing was sent by personae yet, but UTM visits and
    tracked events still count)."""
    if not messages:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS message_id, CAST(NULL AS VARCHAR) AS campaign, "
            "CAST(NULL AS VARCHAR) AS channel, CAST(NULL AS VARCHAR) AS status, "
            "CAST(NULL AS TIMESTAMP) AS decided_at, CAST(NULL AS BIGINT) AS person_id "
            "WHERE FALSE"
        )
    return (
        "SELECT m.message_id, m.campaign, m.channel, m.status, m.decided_at, "
        "CASE WHEN p.merged_into IS NULL THEN m.person_id ELSE p.merged_into END "
        f"AS person_id FROM {ACTIVATION_MESSAGES} m "
        f"LEFT JOIN {PERSONS} p ON p.person_id = m.person_id"
    )


def person_events_sql(where: str) -> str:
    """Events of live persons (``person_id, source, record_id, event, timestamp,
    properties``) matching ``where`` (over alias ``e``)."""
    return (
        "SELECT m.person_id, e.source, e.record_id, e.event, e.timestamp, e.properties "
        f"FROM {EVENTS} e JOIN ({live_map_sql()}) m "
        f"ON m.source = e.source AND m.record_id = e.record_id WHERE {where}"
    )


def touches_sql(config: AttributionConfig, messages: str) -> str:
    """Every touch: ``person_id, campaign, channel, kind, touched_at, message_id``, from
    the ``messages`` relation (:func:`messages_sql`, or a table holding it)."""
    touches = config.touches
    tracked = (*touches.opens, *touches.clicks)
    parts = [
        "SELECT person_id, campaign, channel, 'delivered' AS kind, decided_at AS touched_at, "
        f"message_id FROM {messages} d WHERE status = 'sent'"
    ]
    if tracked:
        opens = f"e.event IN ({_names(touches.opens)})" if touches.opens else "FALSE"
        events = person_events_sql(f"e.event IN ({_names(tracked)})")
        tied = (
            "SELECT coalesce(mm.person_id, ev.person_id) AS person_id, "
            "coalesce(ev.campaign, mm.campaign) AS campaign, "
            "coalesce(mm.channel, ev.channel, 'email') AS channel, ev.kind, ev.touched_at, "
            "ev.message_id FROM ("
            f"SELECT e.person_id, {property_sql('campaign')} AS campaign, "
            f"{property_sql('message_id')} AS message_id, "
            f"{property_sql('channel')} AS channel, "
            f"CASE WHEN {opens} THEN 'open' ELSE 'click' END AS kind, e.timestamp AS touched_at "
            f"FROM ({events}) e) ev "
            f"LEFT JOIN {messages} mm ON mm.message_id = ev.message_id "
            "WHERE coalesce(ev.campaign, mm.campaign) IS NOT NULL"
        )
        # a message's first open only: mail clients reload the pixel
        parts.append(
            "SELECT person_id, campaign, channel, kind, touched_at, message_id FROM ("
            "SELECT *, row_number() OVER (PARTITION BY kind, person_id, campaign, channel, "
            f"message_id ORDER BY touched_at) AS nth FROM ({tied}) t) o "
            "WHERE kind = 'click' OR message_id IS NULL OR nth = 1"
        )
    if touches.visits:
        where = f"{property_sql('utm_campaign')} IS NOT NULL"
        if tracked:
            where += f" AND e.event NOT IN ({_names(tracked)})"
        parts.append(
            f"SELECT e.person_id, {property_sql('utm_campaign')} AS campaign, "
            f"coalesce({property_sql('utm_medium')}, 'web') AS channel, 'visit' AS kind, "
            "e.timestamp AS touched_at, CAST(NULL AS VARCHAR) AS message_id "
            f"FROM ({person_events_sql(where)}) e"
        )
    return " UNION ALL ".join(parts)


def conversions_sql(config: AttributionConfig) -> str:
    """Every conversion: ``person_id, conversion_id, converted_at, revenue``."""
    spec = config.conversions
    revenue = f"coalesce({property_sql(spec.revenue, cast='DOUBLE')}, 0)"
    events = person_events_sql(f"e.event IN ({_names(spec.events)})")
    own_id = "e.source || ':' || e.record_id"
    if spec.order_id is None:
        return (
            f"SELECT e.person_id, {own_id} AS conversion_id, e.timestamp AS converted_at, "
            f"{revenue} AS revenue FROM ({events}) e"
        )
    order = property_sql(spec.order_id)
    return (
        "SELECT person_id, conversion_id, min(converted_at) AS converted_at, "
        "max(revenue) AS revenue FROM ("
        f"SELECT e.person_id, coalesce('order:' || {order}, {own_id}) AS conversion_id, "
        f"e.timestamp AS converted_at, {revenue} AS revenue FROM ({events}) e) o "
        "GROUP BY person_id, conversion_id"
    )


@dataclass(frozen=True)
class Relations:
    """What the report's queries read: each a query in parentheses or a table name."""

    messages: str
    touches: str
    conversions: str

    @classmethod
    def inline(cls, config: AttributionConfig, messages: bool = True) -> Relations:
        """Every input as a subquery (``messages`` false: no ``activation_messages``)."""
        sent = f"({messages_sql(messages)})"
        return cls(sent, f"({touches_sql(config, sent)})", f"({conversions_sql(config)})")


def seconds(window: str) -> int:
    return int(window_delta(window).total_seconds())


def credited_sql(config: AttributionConfig, inputs: Relations) -> str:
    """One row per (conversion, touch) in the lookback window with every model's weight:
    ``person_id, conversion_id, revenue, converted_at, campaign, channel, kind, touched_at,
    w_first, w_last, w_linear, w_time_decay``."""
    lookback = seconds(config.lookback)
    half_life = float(seconds(config.half_life))
    rank = "CASE t.kind " + " ".join(f"WHEN {literal(k)} THEN {i}" for i, k in enumerate(KINDS))
    rank += " END"
    conversion = "PARTITION BY person_id, conversion_id"
    return (
        "WITH pairs AS ("
        "SELECT c.person_id, c.conversion_id, c.revenue, c.converted_at, t.campaign, "
        f"t.channel, t.kind, t.touched_at, {rank} AS kind_rank, "
        "date_diff('second', t.touched_at, c.converted_at) AS age "
        f"FROM {inputs.conversions} c JOIN {inputs.touches} t "
        "ON t.person_id = c.person_id AND t.touched_at <= c.converted_at "
        f"AND date_diff('second', t.touched_at, c.converted_at) <= {lookback}), "
        "ranked AS (SELECT *, "
        f"row_number() OVER ({conversion} ORDER BY touched_at, kind_rank, campaign, channel) "
        "AS first_rank, "
        f"row_number() OVER ({conversion} ORDER BY touched_at DESC, kind_rank DESC, campaign, "
        "channel) AS last_rank, "
        f"count(*) OVER ({conversion}) AS touches, "
        f"pow(0.5, age / {half_life!r}) AS decay FROM pairs) "
        "SELECT person_id, conversion_id, revenue, converted_at, campaign, channel, kind, "
        "touched_at, "
        "CAST(CASE WHEN first_rank = 1 THEN 1 ELSE 0 END AS DOUBLE) AS w_first, "
        "CAST(CASE WHEN last_rank = 1 THEN 1 ELSE 0 END AS DOUBLE) AS w_last, "
        "CAST(1 AS DOUBLE) / touches AS w_linear, "
        f"decay / sum(decay) OVER ({conversion}) AS w_time_decay "
        "FROM ranked"
    )


def campaign_credit_sql(config: AttributionConfig, inputs: Relations) -> str:
    """Per (campaign, channel): ``conversions`` and ``revenue`` it touched in their
    window (each conversion once), then ``conversions_<model>`` (fractional) and
    ``revenue_<model>`` attributed by each model."""
    weights = ", ".join(f"sum(w_{m}) AS w_{m}" for m in MODELS)
    totals = ", ".join(
        f"sum(w_{m}) AS conversions_{m}, sum(w_{m} * revenue) AS revenue_{m}" for m in MODELS
    )
    return (
        "SELECT campaign, channel, count(*) AS conversions, sum(revenue) AS revenue, "
        f"{totals} FROM ("
        f"SELECT campaign, channel, person_id, conversion_id, max(revenue) AS revenue, "
        f"{weights} FROM ({credited_sql(config, inputs)}) w "
        "GROUP BY campaign, channel, person_id, conversion_id) pc "
        "GROUP BY campaign, channel"
    )


def conversion_totals_sql(inputs: Relations) -> str:
    """``conversions, revenue``: every conversion. (Those attributed are the sum of
    first-touch weights: each has exactly one first touch.)"""
    return (
        "SELECT count(*) AS conversions, coalesce(sum(revenue), 0) AS revenue "
        f"FROM {inputs.conversions} c"
    )


def engagement_sql(inputs: Relations) -> str:
    """Per (campaign, channel): ``sends`` (messages sent or failed), ``delivered``
    (sent), ``failed``, ``held`` (not sent: suppressed, capped, deduped…, control
    excepted), ``control``, ``opens`` and ``clicks`` (distinct messages, or events
    without a message id), ``visits`` (UTM-tagged events)."""
    sent = (
        "SELECT campaign, channel, "
        "sum(CASE WHEN status IN ('sent', 'failed') THEN 1 ELSE 0 END) AS sends, "
        "sum(CASE WHEN status = 'sent' THEN 1 ELSE 0 END) AS delivered, "
        "sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, "
        "sum(CASE WHEN status NOT IN ('sent', 'failed', 'control') THEN 1 ELSE 0 END) "
        "AS held, "
        "sum(CASE WHEN status = 'control' THEN 1 ELSE 0 END) AS control, "
        "0 AS opens, 0 AS clicks, 0 AS visits "
        f"FROM {inputs.messages} m GROUP BY campaign, channel"
    )
    key = "coalesce(message_id, CAST(person_id AS VARCHAR) || '@' || CAST(touched_at AS VARCHAR))"
    events = (
        "SELECT campaign, channel, 0 AS sends, 0 AS delivered, 0 AS failed, 0 AS held, "
        "0 AS control, "
        f"count(DISTINCT CASE WHEN kind = 'open' THEN {key} END) AS opens, "
        f"count(DISTINCT CASE WHEN kind = 'click' THEN {key} END) AS clicks, "
        "sum(CASE WHEN kind = 'visit' THEN 1 ELSE 0 END) AS visits "
        f"FROM {inputs.touches} t WHERE kind <> 'delivered' "
        "GROUP BY campaign, channel"
    )
    sums = ", ".join(
        f"sum({c}) AS {c}"
        for c in ("sends", "delivered", "failed", "held", "control", "opens", "clicks", "visits")
    )
    return (
        f"SELECT campaign, channel, {sums} FROM ({sent} UNION ALL {events}) x "
        "GROUP BY campaign, channel"
    )


def groups_sql(config: AttributionConfig, inputs: Relations) -> str:
    """Per campaign and group (``exposed``: sent the message; ``control``: held out):
    ``persons`` and ``converted`` (with a conversion in the lookback window after the
    campaign's first decision about them). A person sent the message once is exposed."""
    lookback = seconds(config.lookback)
    assigned = (
        "SELECT campaign, person_id, "
        "CASE WHEN max(CASE WHEN status = 'sent' THEN 1 ELSE 0 END) = 1 "
        "THEN 'exposed' ELSE 'control' END AS grp, "
        "min(CASE WHEN status = 'sent' THEN decided_at END) AS sent_at, "
        "min(decided_at) AS first_at "
        f"FROM {inputs.messages} m WHERE status IN ('sent', 'control') "
        "GROUP BY campaign, person_id"
    )
    starts = (
        "SELECT campaign, person_id, grp, "
        "CASE WHEN grp = 'exposed' THEN sent_at ELSE first_at END AS started_at FROM "
        f"({assigned}) a"
    )
    converted = (
        "SELECT DISTINCT s.campaign, s.person_id FROM "
        f"({starts}) s JOIN {inputs.conversions} c ON c.person_id = s.person_id "
        "AND c.converted_at >= s.started_at "
        f"AND date_diff('second', s.started_at, c.converted_at) <= {lookback}"
    )
    return (
        "SELECT s.campaign, s.grp, count(*) AS persons, count(v.person_id) AS converted "
        f"FROM ({starts}) s LEFT JOIN ({converted}) v "
        "ON v.campaign = s.campaign AND v.person_id = s.person_id "
        "GROUP BY s.campaign, s.grp"
    )
