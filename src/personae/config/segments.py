"""``segments:``: declarative audiences over traits and events."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from personae.config.base import Strict
from personae.config.traits import Window

Operator = Literal["=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not"]


class TraitCondition(Strict):
    """``trait: revenue`` + an operator, e.g. ``{trait: revenue, ">=": 100}``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    trait: str

    @model_validator(mode="after")
    def _one_operator(self) -> TraitCondition:
        extra = dict(self.model_extra or {})
        if len(extra) != 1:
            raise ValueError(
                "a trait condition needs exactly one operator, e.g. "
                "{trait: order_count, '>=': 2} or {trait: unsubscribed, is: false}"
            )
        (op,) = extra
        if op not in Operator.__args__:  # type: ignore[attr-defined]
            raise ValueError(f"unknown operator {op!r}; use one of {list(Operator.__args__)}")  # type: ignore[attr-defined]
        return self

    @property
    def operator(self) -> str:
        (op,) = (self.model_extra or {}).keys()
        return str(op)

    @property
    def value(self) -> Any:
        (value,) = (self.model_extra or {}).values()
        return value


class EventCondition(Strict):
    """The person did (or did not) do an event, within a time window."""

    event: str | list[str]
    where: str | None = None
    within: Window | None = None
    #: at least this many times (default 1)
    at_least: int = 1
    #: at most this many times
    at_most: int | None = None


class AllOf(Strict):
    all: list[Condition]


class AnyOf(Strict):
    any: list[Condition]


class NotCondition(Strict):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Condition = TraitCondition | EventCondition | AllOf | AnyOf | NotCondition


class SegmentConfig(Strict):
    description: str | None = None
    #: every condition must hold
    all: list[Condition] | None = None
    #: at least one condition must hold
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _has_conditions(self) -> SegmentConfig:
        if not self.all and not self.any:
            raise ValueError("a segment needs 'all' or 'any' with a list of conditions")
        return self


AllOf.model_rebuild()
AnyOf.model_rebuild()
NotCondition.model_rebuild()
SegmentConfig.model_rebuild()
