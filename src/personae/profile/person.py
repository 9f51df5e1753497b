"""One person's golden record with its lineage, every other value seen, and consent: what
the customer 360 of the web UI shows (``profile_values``, ``profile_consent``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from personae.catalog import PROFILE_CONSENT, PROFILE_VALUES
from personae.config.models import ProjectConfig
from personae.engine import Engine


@dataclass(frozen=True)
class SeenValue:
    value: str
    #: how many of the person's records hold it
    records: int
    #: its newest record
    source: str
    record_id: str
    observed_at: dt.datetime | None
    chosen: bool


@dataclass
class FieldValues:
    """A profile field: the golden value, the rule that chose it, every value seen."""

    field: str
    rule: str
    values: list[SeenValue] = dataclasses.field(default_factory=list)

    @property
    def chosen(self) -> SeenValue | None:
        return next((v for v in self.values if v.chosen), None)

    @property
    def others(self) -> list[SeenValue]:
        return [v for v in self.values if not v.chosen]


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    channel: str
    status: str
    occurred_at: dt.datetime | None
    source: str | None
    record_id: str | None
    proof: str | None


def person_values(engine: Engine, config: ProjectConfig, person_id: int) -> list[FieldValues]:
    """Each field of the person's profile (in the order they were declared), its values
    most-held first; empty before the profiles stage ran."""
    if not engine.table_exists(PROFILE_VALUES):
        return []
    rows = engine.rows(
        f"SELECT field, value, records, source, record_id, observed_at, chosen "
        f"FROM {PROFILE_VALUES} WHERE person_id = ? "
        "ORDER BY field, chosen DESC, records DESC, observed_at DESC, value",
        [person_id],
    )
    fields: dict[str, FieldValues] = {}
    for name, value, records, source, record_id, observed_at, chosen in rows:
        entry = fields.get(name)
        if entry is None:
            entry = fields[name] = FieldValues(name, config.profiles.rule_for(name).rule)
        entry.values.append(
            SeenValue(str(value), int(records), source, record_id, observed_at, bool(chosen))
        )
    return list(fields.values())


def person_consent(engine: Engine, person_id: int) -> list[ConsentState]:
    """The winning consent signal per purpose and channel (withdrawals win ties)."""
    if not engine.table_exists(PROFILE_CONSENT):
        return []
    return [
        ConsentState(*row)
        for row in engine.rows(
            f"SELECT purpose, channel, status, occurred_at, source, record_id, proof "
            f"FROM {PROFILE_CONSENT} WHERE person_id = ? ORDER BY purpose, channel",
            [person_id],
        )
    ]
