"""Product affinity by item-to-item co-occurrence, in SQL any engine runs.

A person's interactions are the products (or categories) of their orders, weight 1
each, and of their browsing events, ``browse_weight`` each, over the calibration period.
Two items are similar when the same persons interact with both: the cosine of their
interaction vectors, shrunk toward 0 when few persons share them
(``support / (support + SHRINK)``). A person's score for an item is their weight of it
plus the sum, over what they interacted with, of weight x similarity; their
``product_affinity`` is their top items by that score, and ``also_bought`` the top of
those they have not touched yet: what customers like them also bought.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personae.config.predictions import PredictionsConfig
from personae.engine import Engine
from personae.query.asof import timestamp_sql
from personae.query.expressions import property_sql
from personae.query.people import person_events_sql
from personae.sql import literal

#: pairs shared by this many persons keep half their cosine
SHRINK = 10
#: a person's items kept, the heaviest first: bounds the pairs a heavy browser makes
MAX_ITEMS_PER_PERSON = 30

_INTERACTIONS = "_predict_interactions"
_NEIGHBOURS = "_predict_neighbours"
_SCORES = "_predict_item_scores"


def _item_sql(predictions: PredictionsConfig) -> str:
    affinity = predictions.affinity
    assert affinity is not None
    cases = []
    for order in predictions.orders:
        prop = order.product if affinity.of == "product" else order.category
        if prop:
            cases.append(f"WHEN {literal(order.event)} THEN {property_sql(prop)}")
    for event in affinity.browse_events:
        cases.append(f"WHEN {literal(event)} THEN {property_sql(affinity.browse_property)}")
    return f"CASE e.event {' '.join(cases)} END" if cases else "CAST(NULL AS VARCHAR)"


def interactions_sql(predictions: PredictionsConfig, start: dt.datetime, end: dt.datetime) -> str:
    """``(person_id, item, weight)`` in ``[start, end)``, each person's heaviest items."""
    affinity = predictions.affinity
    assert affinity is not None
    orders = ", ".join(literal(o.event) for o in predictions.orders)
    events = (*(o.event for o in predictions.orders), *affinity.browse_events)
    weight = f"CASE WHEN e.event IN ({orders}) THEN 1.0 ELSE {float(affinity.browse_weight)} END"
    summed = (
        f"SELECT e.person_id, {_item_sql(predictions)} AS item, sum({weight}) AS weight "
        f"FROM ({person_events_sql(timestamp_sql(end), events=events)}) e "
        f"WHERE e.timestamp >= {timestamp_sql(start)} GROUP BY 1, 2"
    )
    return (
        "SELECT person_id, item, weight FROM ("
        "SELECT person_id, item, weight, row_number() OVER "
        "(PARTITION BY person_id ORDER BY weight DESC, item) AS n "
        f"FROM ({summed}) s WHERE item IS NOT NULL AND weight > 0) r "
        f"WHERE n <= {MAX_ITEMS_PER_PERSON}"
    )


def _build(engine: Engine, predictions: PredictionsConfig, end: dt.datetime) -> None:
    affinity = predictions.affinity
    assert affinity is not None
    start = end - dt.timedelta(days=predictions.calibration_days)
    engine.create_table_as(_INTERACTIONS, interactions_sql(predictions, start, end))
    norms = f"SELECT item, sqrt(sum(weight * weight)) AS norm FROM {_INTERACTIONS} GROUP BY item"
    pairs = (
        "SELECT a.item AS item, b.item AS other, sum(a.weight * b.weight) AS dot, "
        "count(*) AS support "
        f"FROM {_INTERACTIONS} a JOIN {_INTERACTIONS} b "
        "ON a.person_id = b.person_id AND a.item <> b.item GROUP BY a.item, b.item"
    )
    similar = (
        "SELECT p.item, p.other, p.dot / (na.norm * nb.norm) "
        f"* p.support / (p.support + {SHRINK}) AS similarity "
        f"FROM ({pairs}) p JOIN ({norms}) na ON na.item = p.item "
        f"JOIN ({norms}) nb ON nb.item = p.other"
    )
    engine.create_table_as(
        _NEIGHBOURS,
        "SELECT item, other, similarity FROM ("
        "SELECT item, other, similarity, row_number() OVER "
        "(PARTITION BY item ORDER BY similarity DESC, other) AS n "
        f"FROM ({similar}) s) r WHERE n <= {affinity.neighbours}",
    )
    popularity = f"SELECT item, count(*) AS buyers FROM {_INTERACTIONS} GROUP BY item"
    scored = (
        "SELECT person_id, item, sum(score) AS score, max(touched) AS touched FROM ("
        f"SELECT person_id, item, weight AS score, 1 AS touched FROM {_INTERACTIONS} "
        "UNION ALL "
        "SELECT i.person_id, n.other AS item, i.weight * n.similarity AS score, 0 AS touched "
        f"FROM {_INTERACTIONS} i JOIN {_NEIGHBOURS} n ON n.item = i.item) c "
        "GROUP BY person_id, item"
    )
    top = affinity.top
    engine.create_table_as(
        _SCORES,
        "SELECT person_id, item, affinity_rank, also_rank FROM ("
        "SELECT s.person_id, s.item, "
        "row_number() OVER (PARTITION BY s.person_id "
        "ORDER BY s.score DESC, pop.buyers DESC, s.item) AS affinity_rank, "
        "CASE WHEN s.touched = 0 THEN row_number() OVER (PARTITION BY s.person_id, s.touched "
        "ORDER BY s.score DESC, pop.buyers DESC, s.item) END AS also_rank "
        f"FROM ({scored}) s JOIN ({popularity}) pop ON pop.item = s.item) r "
        f"WHERE affinity_rank <= {top} OR also_rank <= {top}",
    )


def _lists(rows: pa.Table, rank: str) -> pa.Table:
    """``(person_id, items)`` from ``(person_id, item, <rank>)`` rows, items in rank order."""
    rows = rows.filter(pc.is_valid(rows[rank])).sort_by(
        [("person_id", "ascending"), (rank, "ascending")]
    )
    persons = rows["person_id"].to_numpy(zero_copy_only=False)
    if len(persons) == 0:
        return pa.table(
            {"person_id": pa.array([], pa.int64()), "items": pa.array([], pa.list_(pa.string()))}
        )
    starts = np.flatnonzero(np.r_[True, persons[1:] != persons[:-1]])
    offsets = pa.array(np.r_[starts, len(persons)].astype(np.int32))
    items = pa.ListArray.from_arrays(offsets, rows["item"].combine_chunks().cast(pa.string()))
    return pa.table({"person_id": pa.array(persons[starts], pa.int64()), "items": items})


def top_items(
    engine: Engine, predictions: PredictionsConfig, end: dt.datetime
) -> tuple[pa.Table, pa.Table]:
    """Each person's top items (``product_affinity``) and top untouched items
    (``also_bought``) from their interactions before ``end``: two tables of
    ``(person_id, items)``, items a list in rank order."""
    _build(engine, predictions, end)
    try:
        rows = engine.query(f"SELECT person_id, item, affinity_rank, also_rank FROM {_SCORES}")
    finally:
        for table in (_INTERACTIONS, _NEIGHBOURS, _SCORES):
            engine.drop_table(table)
    top = predictions.affinity.top if predictions.affinity else 5
    affinity = rows.filter(pc.less_equal(rows["affinity_rank"], top))
    return _lists(affinity, "affinity_rank"), _lists(rows, "also_rank")


def _without_browsing(predictions: PredictionsConfig) -> PredictionsConfig:
    """The same predictions, their interactions limited to orders."""
    if predictions.affinity is None:
        return predictions
    affinity = predictions.affinity.model_copy(update={"browse_events": []})
    return predictions.model_copy(update={"affinity": affinity})


def popular_items(
    engine: Engine, predictions: PredictionsConfig, end: dt.datetime, top: int
) -> list[str]:
    """The ``top`` items bought by the most persons in the calibration period (the
    baseline affinity must beat)."""
    start = end - dt.timedelta(days=predictions.calibration_days)
    orders_only = _without_browsing(predictions)
    sql = (
        f"SELECT item, count(*) AS buyers FROM ({interactions_sql(orders_only, start, end)}) i "
        f"GROUP BY item ORDER BY buyers DESC, item LIMIT {int(top)}"
    )
    return [str(row[0]) for row in engine.rows(sql)]


def bought_items_sql(predictions: PredictionsConfig, start: dt.datetime, end: dt.datetime) -> str:
    """``(person_id, item, weight)`` of orders only in ``[start, end)``: what was bought in a
    holdout period."""
    orders_only = _without_browsing(predictions)
    return interactions_sql(orders_only, start, end)
