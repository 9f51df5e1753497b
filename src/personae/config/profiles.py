"""``profiles:``: survivorship rules that choose each golden value."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from personae.config.base import Strict

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
