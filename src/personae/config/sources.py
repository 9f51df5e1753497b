"""``sources:`` and ``custom_fields:``: the systems data comes from, and how their columns
map to canonical fields."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from personae.config.base import Strict
from personae.config.fields import FieldType


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


class CustomField(Strict):
    type: FieldType = "string"
    #: identity fields link records; attributes only describe them
    identity: bool = False
    description: str | None = None


EventSpec.model_rebuild()
