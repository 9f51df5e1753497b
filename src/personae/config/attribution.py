"""``attribution:``: what counts as a touch and a conversion, the lookback window, the
attribution models reported, and the control groups campaigns hold out.

A *touch* is a message delivered (``activation_messages`` rows ``sent``), an open or a
click (events carrying the message's ``campaign`` and ``message_id``) or a visit tagged
with UTM parameters (``utm_campaign``). A *conversion* is an order: any event named in
``conversions.events``, from every source, its revenue read from ``conversions.revenue``.
A conversion is attributed to the touches of the same person in the ``lookback`` window
before it, by each model of ``models``.

A control group holds out ``control_groups.<campaign>`` percent of the audience of a
campaign another tool sends: :func:`personae.activate.attribution.control.held_out` picks
them from a hash of the campaign and the person id. A campaign the orchestrator sends
declares its control group as ``orchestration.campaigns.<c>.control_share`` (the same
hash) and may not appear here
(:func:`personae.activate.attribution.control.check_control_groups`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from personae.config.base import Strict
from personae.config.traits import Window

Model = Literal["first", "last", "linear", "time_decay"]
#: every model, in the order reports show them
MODELS: tuple[Model, ...] = ("first", "last", "linear", "time_decay")


class Conversions(Strict):
    """Which events are conversions (orders, from every source) and what they earned."""

    #: event names that are conversions
    events: tuple[str, ...] = ("Order Completed",)
    #: the event property holding the revenue (a number); 0 when missing
    revenue: str = "revenue"
    #: an event property identifying the order: one order seen by several sources (the
    #: shop's export and a collected ``Order Completed``) then counts once
    order_id: str | None = None

    @field_validator("events", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _some_events(self) -> Conversions:
        if not self.events:
            raise ValueError(
                "conversions.events is empty: name the events that are conversions, e.g. "
                "events: [Order Completed]"
            )
        return self


class Touches(Strict):
    """Which events are opens, clicks and visits of a campaign."""

    #: events that are opens of a message (the tracking pixel's)
    opens: tuple[str, ...] = ("Email Opened",)
    #: events that are clicks of a message (the click redirect's)
    clicks: tuple[str, ...] = ("Email Link Clicked",)
    #: count events carrying ``utm_campaign`` (page views landing from a campaign) as touches
    visits: bool = True

    @field_validator("opens", "clicks", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class AttributionConfig(Strict):
    #: how long after a touch a conversion still counts for it, e.g. ``7d``
    lookback: Window = "7d"
    #: the models the report computes; the first is the terminal's default
    models: tuple[Model, ...] = MODELS
    #: time decay: a touch this long before the conversion weighs half of one at its time
    half_life: Window = "1d"
    conversions: Conversions = Field(default_factory=Conversions)
    touches: Touches = Field(default_factory=Touches)
    #: campaign -> percent of its audience held out as a control group (0 < x < 100), for
    #: campaigns not sent by the orchestrator (those declare ``control_share``)
    control_groups: dict[str, float] = Field(default_factory=dict)
    #: the confidence level of the uplift's interval
    confidence: float = 0.95

    @field_validator("models", mode="before")
    @classmethod
    def _models(cls, value: Any) -> Any:
        names = [value] if isinstance(value, str) else value
        if isinstance(names, list | tuple):
            for name in names:
                if name not in MODELS:
                    raise ValueError(
                        f"unknown attribution model {name!r}: use some of {', '.join(MODELS)}"
                    )
            if not names:
                raise ValueError(f"models is empty: list some of {', '.join(MODELS)}")
        return names

    @field_validator("control_groups", mode="before")
    @classmethod
    def _percents(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for campaign, percent in value.items():
            number = percent
            if isinstance(percent, str) and percent.strip().endswith("%"):
                number = percent.strip()[:-1]
            try:
                number = float(number)
            except (TypeError, ValueError):
                raise ValueError(
                    f"control_groups.{campaign}: {percent!r} is not a percentage; write "
                    f"{campaign}: 10% to hold out 10% of its audience"
                ) from None
            if not 0 < number < 100:
                raise ValueError(
                    f"control_groups.{campaign}: {percent!r} must be between 0 and 100 "
                    f"(exclusive); write {campaign}: 10% to hold out 10% of its audience"
                )
            out[campaign] = number
        return out

    @field_validator("lookback", "half_life")
    @classmethod
    def _not_zero(cls, value: str) -> str:
        if not any(ch in "123456789" for ch in value):
            raise ValueError(f"{value!r} is no time at all: write a window such as 7d or 12h")
        return value

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, value: float) -> float:
        if not 0.5 <= value < 1:
            raise ValueError(f"confidence {value} must be in [0.5, 1), e.g. 0.95")
        return value

    def holdout(self, campaign: str) -> float:
        """The percent of ``campaign``'s audience held out (0 for none)."""
        return self.control_groups.get(campaign, 0.0)
