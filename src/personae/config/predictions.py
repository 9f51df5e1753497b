"""``predictions:``: predicted traits (lifetime value, churn risk, next order date, product
affinity), fitted on the order events of every source. See docs/predictions.md."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from personae.config.base import Strict

Days = Annotated[int, Field(ge=1, le=3650)]


class OrderEvent(Strict):
    """One source's purchase event: its name and the properties holding what was bought."""

    event: str
    #: the property holding the order's amount (missing amounts count as 0)
    amount: str | None = None
    #: the property naming the product bought (for affinity)
    product: str | None = None
    #: the property naming its category (for affinity when no product is given)
    category: str | None = None


class ChurnModel(Strict):
    """``churn_risk``: the probability that a customer places no order in ``window`` days."""

    #: ``classifier``: gradient-boosted trees on RFM and engagement features, trained on
    #: the previous window; ``bg_nbd``: BG/NBD's probability of no purchase in the window
    model: Literal["classifier", "bg_nbd"] = "classifier"
    window: Days = 180
    #: events counted as engagement features (opens, clicks, visits, tickets, surveys)
    engagement: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct(self) -> ChurnModel:
        stems = [re.sub(r"[^a-z0-9]+", "_", e.lower()).strip("_") for e in self.engagement]
        twice = sorted(
            {e for e, s in zip(self.engagement, stems, strict=True) if stems.count(s) > 1}
        )
        if twice:
            raise ValueError(f"engagement events listed twice (or named alike): {', '.join(twice)}")
        return self


class AffinityModel(Strict):
    """``product_affinity``: each person's top items by item-to-item co-occurrence."""

    #: recommend products, or categories
    of: Literal["product", "category"] = "product"
    top: int = Field(default=5, ge=1, le=50)
    #: browsing events (with the same product or category property) and their weight
    #: against a purchase's 1
    browse_events: list[str] = Field(default_factory=list)
    browse_weight: float = Field(default=0.3, ge=0, le=1)
    #: the property of browsing events naming the product (or category)
    browse_property: str = "product_id"
    #: neighbours kept per item
    neighbours: int = Field(default=20, ge=1, le=200)


class PredictionsConfig(Strict):
    """Predicted traits, columns of ``traits`` like any other."""

    enabled: bool = True
    #: the purchase events of every source
    orders: list[OrderEvent] = Field(min_length=1)
    #: the prediction horizon in months: names ``predicted_clv_<N>m``, ``expected_orders_<N>m``
    horizon_months: int = Field(default=12, ge=1, le=60)
    #: how far back purchases are read to fit the models (the calibration period)
    calibration_days: Days = 730
    #: the yearly discount rate of lifetime value
    discount_rate: float = Field(default=0.1, ge=0, le=1)
    churn: ChurnModel = Field(default_factory=ChurnModel)
    affinity: AffinityModel | None = Field(default_factory=AffinityModel)

    @model_validator(mode="after")
    def _distinct_events(self) -> PredictionsConfig:
        names = [o.event for o in self.orders]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"order event(s) listed twice: {', '.join(twice)}")
        return self

    @property
    def horizon_days(self) -> int:
        return round(self.horizon_months * 365.25 / 12)

    def columns(self) -> list[str]:
        """The columns predictions add to ``traits``, in order."""
        h = self.horizon_months
        columns = [
            "p_alive",
            f"expected_orders_{h}m",
            "expected_order_value",
            f"predicted_clv_{h}m",
            "churn_risk",
            "expected_next_order_date",
        ]
        if self.affinity is not None:
            columns += ["product_affinity", "also_bought"]
        return columns
