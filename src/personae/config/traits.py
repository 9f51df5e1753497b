"""``traits:``: computed traits (aggregates over events, expressions, RFM)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from personae.config.base import Strict

Window = Annotated[str, Field(pattern=r"^\s*\d+\s*(d|day|days|w|week|weeks|h|hour|hours)\s*$")]
Aggregate = Literal[
    "count", "sum", "avg", "min", "max", "first", "last", "distinct_count", "exists"
]


class AggregateTrait(Strict):
    """An aggregate over a person's events, with an optional filter and time window."""

    aggregate: Aggregate
    #: event name(s) to aggregate; all events when omitted
    event: str | list[str] | None = None
    #: the value aggregated: ``timestamp`` or an event property (not needed for count/exists)
    of: str | None = None
    #: SQL condition over event properties, e.g. ``category = 'accessories'``
    where: str | None = None
    #: only events in the last N days/weeks/hours, e.g. ``30d``
    within: Window | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _needs_of(self) -> AggregateTrait:
        if self.aggregate not in ("count", "exists") and not self.of:
            raise ValueError(f"aggregate '{self.aggregate}' needs 'of': the property to aggregate")
        return self


class ExpressionTrait(Strict):
    """A SQL expression over other traits and profile fields, e.g. ``revenue / order_count``."""

    expression: str
    description: str | None = None


class RFMTrait(Strict):
    """Recency, frequency and monetary quintiles plus the named RFM segment."""

    rfm: Literal[True] = True
    #: the purchase event
    event: str = "Order Completed"
    #: the event property holding the amount
    amount: str = "revenue"
    description: str | None = None


Trait = AggregateTrait | ExpressionTrait | RFMTrait
