"""``segments:``: declarative audiences over traits and events."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from personae.config.base import Strict
from personae.config.traits import Window

Operator = Literal["=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not"]


class Comparison(Strict):
    """A condition holding its comparison as its one extra key: ``{OP: value}``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @property
    def operator(self) -> str:
        (op,) = (self.model_extra or {}).keys()
        return str(op)

    @property
    def value(self) -> Any:
        (value,) = (self.model_extra or {}).values()
        return value


class TraitCondition(Comparison):
    """``trait: revenue`` + an operator, e.g. ``{trait: revenue, ">=": 100}``."""

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


Aggregate = Literal["sum", "avg", "min", "max", "distinct_count"]
AGGREGATES: tuple[str, ...] = Aggregate.__args__  # type: ignore[attr-defined]
OPERATORS: tuple[str, ...] = Operator.__args__  # type: ignore[attr-defined]


class EventCondition(Comparison):
    """The person did (or did not) do an event, within a time window; or an aggregate of
    a property of those events compares with a value:
    ``{event: Order Completed, sum: revenue, ">": 200, within: 90d}``."""

    event: str | list[str]
    where: str | None = None
    within: Window | None = None
    #: at least this many times (default 1)
    at_least: int = 1
    #: at most this many times
    at_most: int | None = None
    sum: str | None = None
    avg: str | None = None
    min: str | None = None
    max: str | None = None
    distinct_count: str | None = None

    @model_validator(mode="after")
    def _aggregate_and_operator(self) -> EventCondition:
        extra = dict(self.model_extra or {})
        unknown = [key for key in extra if key not in OPERATORS]
        if unknown:
            raise ValueError(
                f"unknown key {unknown[0]!r} in an event condition; keys: event, where, "
                f"within, at_least, at_most, an aggregate ({', '.join(AGGREGATES)}) "
                f"with an operator ({', '.join(OPERATORS)})"
            )
        aggregates = [name for name in AGGREGATES if getattr(self, name) is not None]
        if len(aggregates) > 1:
            raise ValueError(f"one aggregate per condition, not {' and '.join(aggregates)}")
        if aggregates and len(extra) != 1:
            raise ValueError(
                f"'{aggregates[0]}' needs exactly one operator, e.g. "
                f"{{event: Order Completed, {aggregates[0]}: revenue, '>': 200, within: 90d}}"
            )
        if not aggregates and extra:
            raise ValueError(
                f"operator {next(iter(extra))!r} needs an aggregate of a property "
                f"({', '.join(AGGREGATES)}), e.g. {{event: Order Completed, sum: revenue, "
                "'>': 200}; to count events use at_least / at_most"
            )
        if aggregates and ("at_least" in self.model_fields_set or self.at_most is not None):
            raise ValueError(
                "at_least / at_most count events; with an aggregate compare it with an "
                "operator instead"
            )
        return self

    @property
    def aggregate(self) -> tuple[str, str] | None:
        """(aggregate, property) when the condition aggregates a property."""
        for name in AGGREGATES:
            value = getattr(self, name)
            if value is not None:
                return name, str(value)
        return None


class SegmentReference(Strict):
    """``{segment: other}``: the person is a member of another segment (``member:
    false``: is not), as of the same run."""

    segment: str
    member: bool = True


class SequenceStep(Strict):
    """One step of a sequence: an event, optionally filtered."""

    event: str | list[str]
    where: str | None = None


class AbsentStep(Strict):
    """``{not: {event: ...}}``: the last step of an abandonment sequence."""

    not_: SequenceStep = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SequenceCondition(Strict):
    """``{sequence: [A, B], within: 1h}``: A, then B after it, B at most ``within`` after
    A; ``{sequence: [A, {not: B}], within: 1h}``: an A not followed by B within 1h, the
    hour being over. ``started_within`` bounds when the first step happened."""

    sequence: list[SequenceStep | AbsentStep]
    within: Window | None = None
    started_within: Window | None = None

    @model_validator(mode="after")
    def _steps(self) -> SequenceCondition:
        steps = self.sequence
        if len(steps) < 2:
            raise ValueError(
                "a sequence needs at least two steps, e.g. "
                "[{event: Product Added}, {event: Order Completed}]"
            )
        if isinstance(steps[0], AbsentStep):
            raise ValueError("a sequence starts with an event, not with {not: ...}")
        absent = [i for i, step in enumerate(steps) if isinstance(step, AbsentStep)]
        if absent and (len(steps) != 2 or absent != [1]):
            raise ValueError(
                "{not: ...} is the second and last step of a two-step sequence: "
                "[{event: Product Added}, {not: {event: Order Completed}}] "
                "(an A not followed by a B)"
            )
        return self

    @property
    def steps(self) -> list[SequenceStep]:
        return [s.not_ if isinstance(s, AbsentStep) else s for s in self.sequence]

    @property
    def abandoned(self) -> bool:
        return isinstance(self.sequence[-1], AbsentStep)


class OccurrenceCondition(Strict):
    """The person's first (or last) matching event falls in a window:
    ``{first: Order Completed, within: 30d}`` (first order in the last 30 days),
    ``{last: Order Completed, before: 90d}`` (last order more than 90 days ago)."""

    first: str | list[str] | None = None
    last: str | list[str] | None = None
    where: str | None = None
    #: it happened in the window ending at the end of the reference date
    within: Window | None = None
    #: it happened before the window of this length
    before: Window | None = None

    @model_validator(mode="after")
    def _one_side(self) -> OccurrenceCondition:
        if (self.first is None) == (self.last is None):
            raise ValueError(
                "give exactly one of first or last, e.g. {first: Order Completed, within: 30d}"
            )
        if self.within is None and self.before is None:
            raise ValueError(
                "an occurrence needs within (in the last ...) or before (earlier than ...), "
                "e.g. {last: Order Completed, before: 90d}"
            )
        return self

    @property
    def key(self) -> str:
        """``first`` or ``last``: the key naming the event."""
        return "first" if self.first is not None else "last"

    @property
    def event(self) -> str | list[str]:
        value = self.first if self.first is not None else self.last
        assert value is not None
        return value


class AllOf(Strict):
    all: list[Condition]


class AnyOf(Strict):
    any: list[Condition]


class NotCondition(Strict):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Condition = (
    TraitCondition
    | EventCondition
    | SegmentReference
    | SequenceCondition
    | OccurrenceCondition
    | AllOf
    | AnyOf
    | NotCondition
)


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
