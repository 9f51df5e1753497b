"""The profile stage's predictions: fit on the history up to the reference date, write
``predictions`` and add the predicted columns to ``traits``; the fitted models go to
``.personae/predictions/models.json`` for explanations."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personae.catalog import EVENTS, IDENTITY_MAP, PERSONS, PREDICTIONS, TRAITS
from personae.config.models import ProjectConfig
from personae.config.predictions import PredictionsConfig
from personae.engine import Engine
from personae.profile.predict.affinity import top_items
from personae.profile.predict.features import SUMMARY_COLUMNS, engagement_columns
from personae.profile.predict.models import Scores, score
from personae.profile.traits import computed_trait_columns
from personae.query.asof import as_of_end
from personae.query.tables import require_tables
from personae.sql import ident

_CUSTOMERS = "_predict_customers"
_AFFINITY = "_predict_affinity"


@dataclass
class PredictionsReport:
    customers: int = 0
    #: persons with a product affinity
    with_affinity: int = 0
    churn_model: str = ""
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def models_path(state_dir: Path) -> Path:
    return state_dir / "predictions" / "models.json"


def _customers_table(predictions: PredictionsConfig, scores: Scores) -> pa.Table:
    h = predictions.horizon_months
    features = scores.features
    days = scores.next_order_days
    reference = np.datetime64(scores.end.date() - dt.timedelta(days=1), "D")
    dates = np.where(
        np.isnan(days),
        np.datetime64("NaT"),
        reference + np.nan_to_num(days).astype("timedelta64[D]"),
    )
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        name: features[name] for name in features.column_names
    }
    columns.update(
        {
            "p_alive": pa.array(np.round(scores.p_alive, 4)),
            f"expected_orders_{h}m": pa.array(np.round(scores.expected_orders, 3)),
            "expected_order_value": pa.array(np.round(scores.expected_order_value, 2)),
            f"predicted_clv_{h}m": pa.array(np.round(scores.clv, 2)),
            "churn_risk": pa.array(np.round(scores.churn_risk, 4)),
            "bg_nbd_p_no_order": pa.array(np.round(scores.churn_by_model["bg_nbd"], 4)),
            "expected_next_order_date": pa.array(dates, pa.date32(), mask=np.isnat(dates)),
        }
    )
    return pa.table(columns)


def _affinity_table(lists: pa.Table, also: pa.Table) -> pa.Table:
    joined = {
        "person_id": lists["person_id"],
        "product_affinity": pc.binary_join(lists["items"], ", "),
    }
    table = pa.table(joined)
    also_joined = pa.table(
        {"person_id": also["person_id"], "also_bought": pc.binary_join(also["items"], ", ")}
    )
    return table.join(also_joined, "person_id", join_type="full outer")


def compute_predictions(
    engine: Engine, config: ProjectConfig, state_dir: Path
) -> PredictionsReport | None:
    """(Re)build ``predictions`` and the predicted columns of ``traits``; None when
    ``personae.yml`` declares no predictions."""
    predictions = config.predictions
    if predictions is None or not predictions.enabled:
        if engine.table_exists(PREDICTIONS):  # declared once, since removed: not kept stale
            engine.drop_table(PREDICTIONS)
        return None
    import time

    started = time.perf_counter()
    require_tables(engine, [EVENTS, IDENTITY_MAP, PERSONS, TRAITS])
    end = as_of_end(config)
    report = PredictionsReport()
    scores = score(engine, predictions, end)
    parts = ["SELECT person_id FROM " + _CUSTOMERS]
    if scores is None:
        report.warnings.append(
            "predictions: no order event ("
            + ", ".join(o.event for o in predictions.orders)
            + f") in the {predictions.calibration_days} days before the reference date; "
            "check predictions.orders names the purchase events of your sources"
        )
        customers = _customers_table_empty(predictions)
    else:
        customers = _customers_table(predictions, scores)
        report.customers = customers.num_rows
        report.warnings += scores.warnings
        report.churn_model = (
            predictions.churn.model
            if predictions.churn.model in scores.churn_by_model
            else "bg_nbd"
        )
        _save_models(state_dir, config, scores, report.churn_model)
    engine.write_arrow(_CUSTOMERS, customers, mode="replace")
    affinity_columns: list[str] = []
    if predictions.affinity is not None:
        lists, also = top_items(engine, predictions, end)
        affinity = _affinity_table(lists, also)
        report.with_affinity = lists.num_rows
        engine.write_arrow(_AFFINITY, affinity, mode="replace")
        parts.append("SELECT person_id FROM " + _AFFINITY)
        affinity_columns = ["product_affinity", "also_bought"]
    customer_columns = [c for c in customers.column_names if c != "person_id"]
    select = ", ".join(
        ["k.person_id"]
        + [f"c.{ident(c)}" for c in customer_columns]
        + [f"a.{ident(c)}" for c in affinity_columns]
    )
    joins = f"LEFT JOIN {_CUSTOMERS} c ON c.person_id = k.person_id"
    if affinity_columns:
        joins += f" LEFT JOIN {_AFFINITY} a ON a.person_id = k.person_id"
    engine.create_table_as(
        PREDICTIONS,
        f"SELECT {select} FROM ({' UNION '.join(parts)}) k {joins}",
    )
    _add_to_traits(engine, config, predictions)
    for table in (_CUSTOMERS, _AFFINITY):
        engine.drop_table(table)
    report.seconds = time.perf_counter() - started
    return report


def _customers_table_empty(predictions: PredictionsConfig) -> pa.Table:
    h = predictions.horizon_months
    doubles = [*SUMMARY_COLUMNS, *engagement_columns(predictions), "p_alive"]
    doubles += [f"expected_orders_{h}m", "expected_order_value", f"predicted_clv_{h}m"]
    doubles += ["churn_risk", "bg_nbd_p_no_order"]
    fields = [pa.field("person_id", pa.int64())]
    fields += [pa.field(c, pa.float64()) for c in doubles]
    fields.append(pa.field("expected_next_order_date", pa.date32()))
    return pa.schema(fields).empty_table()


def _add_to_traits(engine: Engine, config: ProjectConfig, predictions: PredictionsConfig) -> None:
    computed = [f"t.{ident(c)}" for c in computed_trait_columns(config)]
    predicted = [f"p.{ident(c)}" for c in predictions.columns()]
    engine.create_table_as(
        TRAITS,
        f"SELECT {', '.join(['t.person_id', *computed, *predicted])} FROM {TRAITS} t "
        f"LEFT JOIN {PREDICTIONS} p ON p.person_id = t.person_id",
    )


def _save_models(state_dir: Path, config: ProjectConfig, scores: Scores, churn_model: str) -> None:
    path = models_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "as_of": config.reference_date().isoformat(),
        "fitted_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "churn_model": churn_model,
        **scores.describe(),
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
