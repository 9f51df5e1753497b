"""Pydantic models of ``personae.yml``. Every model forbids unknown keys.

The file has one section per stage: ``sources`` (collect/centralise/clean),
``identity`` (unify), ``profiles`` and ``traits`` (profile), ``segments`` (segment)
and ``destinations`` (activate).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from personae.config.fields import (
    BUILTIN_FIELDS,
    FULL_NAME,
    IDENTITY_FIELDS,
    FieldType,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- engine


class DuckDBEngineConfig(Strict):
    type: Literal["duckdb"] = "duckdb"
    #: warehouse file, relative to the project folder
    path: str = ".personae/warehouse.duckdb"
    #: worker threads (default: one per core)
    threads: int | None = None
    #: DuckDB's memory cap, e.g. ``8GB`` (default: a fifth of the machine's memory)
    memory_limit: str | None = None


class SparkEngineConfig(Strict):
    type: Literal["spark"]
    #: Spark master URL: ``local[2]``, ``spark://host:7077``, ``yarn``…
    master: str = "local[2]"
    #: where tables are written as Parquet: a path relative to the project folder, or any
    #: Hadoop-compatible URI (``s3a://bucket/personae``, ``hdfs://…``)
    warehouse: str = ".personae/spark-warehouse"
    #: the Spark database (schema) the tables are registered in; default: one named after
    #: the warehouse location. The warehouse folder is the source of truth: tables found
    #: there are registered when the engine opens, so no metastore is needed
    database: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    #: extra Spark settings, e.g. ``spark.driver.memory: 8g``
    conf: dict[str, str] = Field(default_factory=dict)


EngineConfig = Annotated[DuckDBEngineConfig | SparkEngineConfig, Field(discriminator="type")]


# --------------------------------------------------------------------------- sources


class FieldSpec(Strict):
    """How one source column becomes a canonical field."""

    column: str
    #: strftime format of a date or timestamp column, e.g. ``%d/%m/%Y``
    format: str | None = None
    #: default region of phone numbers written without a country code (ISO 3166 alpha-2)
    region: str | None = None
    #: for full_name: the order the parts are written in
    order: Literal["first_last", "last_first"] = "first_last"


class EventSpec(Strict):
    """What makes each row of an event stream an event."""

    #: a fixed event name for every row, e.g. ``Order Completed``
    name: str | None = None
    #: or the column holding the event name
    name_column: str | None = None
    #: rename values of ``name_column``, e.g. ``{open: Email Opened}``
    name_map: dict[str, str] = Field(default_factory=dict)
    timestamp: FieldSpec
    #: event property name -> column (or a FieldSpec for typed properties)
    properties: dict[str, str | PropertySpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_name(self) -> EventSpec:
        if (self.name is None) == (self.name_column is None):
            raise ValueError("give exactly one of 'name' (a fixed event name) or 'name_column'")
        return self


class PropertySpec(Strict):
    column: str
    type: FieldType = "string"
    format: str | None = None


SourceFormat = Literal["csv", "tsv", "json", "jsonl", "parquet"]


class SourceConfig(Strict):
    """One system the data comes from: a CRM export, an order file, an event log…"""

    #: ``people`` rows describe persons; ``events`` rows are things persons did
    kind: Literal["people", "events"]
    #: a file path or glob, relative to the project folder
    path: str
    #: inferred from the file extension when omitted
    format: SourceFormat | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    header: bool = True
    #: the column that identifies a row within this source. When omitted, a hash
    #: of the row's values is used, so an exact duplicate row is quarantined.
    record_id: str | None = None
    #: when the row was last updated (people) — used by the ``most_recent`` survivorship rule
    updated_at: FieldSpec | None = None
    #: canonical field -> column name or FieldSpec
    fields: dict[str, str | FieldSpec] = Field(default_factory=dict)
    #: only for event streams
    event: EventSpec | None = None
    description: str | None = None

    @field_validator("fields", mode="before")
    @classmethod
    def _no_null_fields(cls, value: Any) -> Any:
        return {} if value is None else value

    @model_validator(mode="after")
    def _event_matches_kind(self) -> SourceConfig:
        if self.kind == "events" and self.event is None:
            raise ValueError("an events source needs an 'event' section (name and timestamp)")
        if self.kind == "people" and self.event is not None:
            raise ValueError("'event' is only allowed on sources of kind 'events'")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}")
        return self

    @property
    def file_format(self) -> SourceFormat:
        if self.format is not None:
            return self.format
        suffix = PurePath(self.path).suffix.lower().lstrip(".")
        if suffix in ("csv", "tsv", "json", "jsonl", "parquet"):
            return suffix  # type: ignore[return-value]
        if suffix == "ndjson":
            return "jsonl"
        return "csv"

    def field_specs(self) -> dict[str, FieldSpec]:
        """Every mapped field as a FieldSpec (plain column names expanded)."""
        return {
            name: spec if isinstance(spec, FieldSpec) else FieldSpec(column=spec)
            for name, spec in self.fields.items()
        }


# --------------------------------------------------------------------------- custom fields


class CustomField(Strict):
    type: FieldType = "string"
    #: identity fields link records; attributes only describe them
    identity: bool = False
    description: str | None = None


# --------------------------------------------------------------------------- identity


class IdentityTypeRule(Strict):
    """Limits on one identifier type, as in Segment Unify."""

    #: lower number = higher priority: kept when a merge would exceed a limit
    priority: int = 10
    #: at most this many distinct values per person (None = unlimited)
    limit: int | None = None
    #: apply the limit per source instead of across sources
    per_source: bool = False
    #: when several people-looking records share this value, link only the matching ones
    household_safe: bool = False


def _default_identity_types() -> dict[str, IdentityTypeRule]:
    return {
        "customer_id": IdentityTypeRule(priority=1, limit=1, per_source=True),
        "user_id": IdentityTypeRule(priority=2, limit=1),
        "loyalty_id": IdentityTypeRule(priority=3, limit=2),
        "email": IdentityTypeRule(priority=4, limit=5, household_safe=True),
        "phone": IdentityTypeRule(priority=5, limit=5, household_safe=True),
        "device_id": IdentityTypeRule(priority=6, limit=20),
        "anonymous_id": IdentityTypeRule(priority=7, limit=200),
    }


DEFAULT_BLOCKED_LITERALS: tuple[str, ...] = (
    "null",
    "none",
    "nan",
    "n/a",
    "na",
    "anonymous",
    "unknown",
    "undefined",
    "test",
    "-",
    "0",
)

DEFAULT_BLOCKED_PATTERNS: dict[str, tuple[str, ...]] = {
    "email": (
        r"^test@test\.",
        r"^(no|none|noemail|no-email|no\.email|nomail|noreply|no-reply|donotreply)@",
        r"@(example|test)\.(com|org|net|fr)$",
        r"^(a|x|xx|xxx|abc|aaa|asdf|qwerty|email|mail)@",
    ),
    "phone": (
        r"^\+?\d*?(0{6,}|1{6,}|2{6,}|3{6,}|4{6,}|5{6,}|6{6,}|7{6,}|8{6,}|9{6,})\d{0,2}$",
        r"123456789|987654321|0123456789",
    ),
}


class BlockedValues(Strict):
    """Values that never link records. Matched after cleaning, case-insensitively."""

    literals: list[str] = Field(default_factory=lambda: list(DEFAULT_BLOCKED_LITERALS))
    #: identity type -> regexes (Python/RE2 syntax, matched with search semantics)
    patterns: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_BLOCKED_PATTERNS.items()}
    )

    @field_validator("patterns")
    @classmethod
    def _compile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind, regexes in value.items():
            for regex in regexes:
                try:
                    re.compile(regex)
                except re.error as exc:
                    raise ValueError(f"{kind}: invalid regex {regex!r}: {exc}") from exc
        return value


from personae.config.matching import MatchingConfig  # noqa: E402  (it subclasses Strict)
from personae.config.overrides import IdentityOverrides  # noqa: E402  (it subclasses Strict)


class IdentityConfig(Strict):
    types: dict[str, IdentityTypeRule] = Field(default_factory=_default_identity_types)
    blocked: BlockedValues = Field(default_factory=BlockedValues)
    #: a value held by records of more than this many different people-looking
    #: records (distinct first names) stops linking and is reported as generic
    generic_threshold: int = 5
    #: manual must-link / cannot-link pairs of records, applied on every run
    overrides: IdentityOverrides = Field(default_factory=IdentityOverrides)
    #: probabilistic matching (Splink) of records that carry a name, merged into the graph
    matching: MatchingConfig = Field(default_factory=MatchingConfig)


# --------------------------------------------------------------------------- profiles


SurvivorshipRule = Literal["source_priority", "most_recent", "most_frequent", "first_non_null"]


class SurvivorshipField(Strict):
    rule: SurvivorshipRule = "most_frequent"
    #: for source_priority: the order of sources (defaults to profiles.source_priority)
    sources: list[str] | None = None


class ProfilesConfig(Strict):
    #: default order of trust between sources, most trusted first
    source_priority: list[str] = Field(default_factory=list)
    #: canonical field -> rule; fields not listed use ``default_rule``
    fields: dict[str, SurvivorshipField | SurvivorshipRule] = Field(default_factory=dict)
    default_rule: SurvivorshipRule = "most_frequent"

    def rule_for(self, field: str) -> SurvivorshipField:
        spec = self.fields.get(field, self.default_rule)
        return spec if isinstance(spec, SurvivorshipField) else SurvivorshipField(rule=spec)


# --------------------------------------------------------------------------- traits

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


# --------------------------------------------------------------------------- segments

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


# --------------------------------------------------------------------------- destinations


class FileDestination(Strict):
    type: Literal["file"] = "file"
    segment: str
    path: str
    fields: list[str] | None = None


Destination = Annotated[FileDestination, Field(discriminator="type")]


# --------------------------------------------------------------------------- project


class Defaults(Strict):
    #: region used to read phone numbers written without a country code
    phone_region: str = "FR"
    #: country assumed for addresses and postcodes without one
    country: str | None = None


from personae.config.collect import CollectConfig  # noqa: E402  (it subclasses Strict)


class ProjectConfig(Strict):
    name: str = "personae"
    engine: EngineConfig = Field(default_factory=DuckDBEngineConfig)
    #: reference date for time windows; today when omitted (set it for reproducible runs)
    as_of: dt.date | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    custom_fields: dict[str, CustomField] = Field(default_factory=dict)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    profiles: ProfilesConfig = Field(default_factory=ProfilesConfig)
    traits: dict[str, Trait] = Field(default_factory=dict)
    segments: dict[str, SegmentConfig] = Field(default_factory=dict)
    destinations: dict[str, Destination] = Field(default_factory=dict)
    collect: CollectConfig = Field(default_factory=CollectConfig)

    @field_validator(
        "sources", "traits", "segments", "destinations", "custom_fields", mode="before"
    )
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    # --- derived views used by the stages

    @property
    def identity_fields(self) -> tuple[str, ...]:
        custom = tuple(name for name, spec in self.custom_fields.items() if spec.identity)
        return IDENTITY_FIELDS + custom

    @property
    def known_fields(self) -> tuple[str, ...]:
        return (*BUILTIN_FIELDS, *self.custom_fields, FULL_NAME)

    def reference_date(self) -> dt.date:
        return self.as_of or dt.date.today()


AllOf.model_rebuild()
AnyOf.model_rebuild()
NotCondition.model_rebuild()
SegmentConfig.model_rebuild()
EventSpec.model_rebuild()
