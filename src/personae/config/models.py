"""Pydantic models of ``personae.yml``. Every model forbids unknown keys.

The file has one section per stage, each modelled in its own module: ``engine``
(:mod:`.engine`), ``sources`` and ``custom_fields`` (:mod:`.sources`: ingest and clean),
``identity`` (:mod:`.identity`, :mod:`.matching`, :mod:`.overrides`: unify), ``profiles``
(:mod:`.profiles`) and ``traits`` (:mod:`.traits`: profile), ``segments``
(:mod:`.segments`: segment), ``destinations`` (:mod:`.destinations`: activate) and
``collect`` (:mod:`.collect`). This module assembles them into :class:`ProjectConfig`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, field_validator

from personae.config.attribution import AttributionConfig
from personae.config.base import Strict
from personae.config.collect import CollectConfig
from personae.config.consent import ConsentConfig
from personae.config.destinations import Destination
from personae.config.engine import DuckDBEngineConfig, EngineConfig
from personae.config.exports import PostgresExport
from personae.config.fields import BUILTIN_FIELDS, FULL_NAME, IDENTITY_FIELDS
from personae.config.identity import IdentityConfig
from personae.config.journeys import Journey, Orchestration
from personae.config.messages import MessagesConfig
from personae.config.predictions import PredictionsConfig
from personae.config.profiles import ProfilesConfig
from personae.config.protect import ProtectConfig
from personae.config.segments import SegmentConfig
from personae.config.serving import ServingConfig
from personae.config.sources import CustomField, SourceConfig
from personae.config.traits import Trait


class Defaults(Strict):
    #: region used to read phone numbers written without a country code
    phone_region: str = "FR"
    #: country assumed for addresses and postcodes without one
    country: str | None = None


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
    predictions: PredictionsConfig | None = None
    segments: dict[str, SegmentConfig] = Field(default_factory=dict)
    destinations: dict[str, Destination] = Field(default_factory=dict)
    collect: CollectConfig = Field(default_factory=CollectConfig)
    consent: ConsentConfig = Field(default_factory=ConsentConfig)
    protect: ProtectConfig = Field(default_factory=ProtectConfig)
    messages: MessagesConfig = Field(default_factory=MessagesConfig)
    journeys: dict[str, Journey] = Field(default_factory=dict)
    orchestration: Orchestration = Field(default_factory=Orchestration)
    attribution: AttributionConfig = Field(default_factory=AttributionConfig)
    serving: ServingConfig = Field(default_factory=ServingConfig)
    #: PostgreSQL schemas every whole run publishes to (name -> export)
    exports: dict[str, PostgresExport] = Field(default_factory=dict)

    @field_validator(
        "sources",
        "traits",
        "segments",
        "destinations",
        "custom_fields",
        "journeys",
        "exports",
        mode="before",
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
