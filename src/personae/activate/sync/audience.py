"""A destination's audience as a scratch table: one row per member who may be sent
(consent-gated for the destination's purpose), the fields under their output names
(pseudonymised as declared), the ``payload`` (JSON text of those fields) and its
``fingerprint`` (MD5 of the payload), which the diff compares with what the destination
holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.activate.audience import consented_sql, resolve_channel
from personae.activate.export import checked_fields, profile_view
from personae.activate.pseudonymise import pseudonymise_table, pseudonymised_fields
from personae.catalog import SEGMENT_MEMBERSHIP
from personae.config.destinations import DestinationBase
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError
from personae.profile.consent import consent_column
from personae.query.tables import require_tables
from personae.sql import ident, literal

#: the fields sent when a destination lists none
DEFAULT_FIELDS = ("email", "first_name", "last_name")
#: names the sync uses for itself, so no output field may take them
RESERVED = ("person_id", "payload", "fingerprint", "kind", "batch")


@dataclass
class Audience:
    #: the scratch table holding it: person_id, the output fields, payload, fingerprint
    table: str
    #: the output field names, in order
    fields: list[str]
    #: members before the consent check
    total: int
    #: members who may be sent
    members: int
    purpose: str
    channel: str
    pseudonymised: list[str]

    @property
    def held_back(self) -> int:
        return self.total - self.members


def build_audience(
    engine: Engine,
    config: ProjectConfig,
    name: str,
    destination: DestinationBase,
    table: str,
) -> Audience:
    """Write destination ``name``'s audience to scratch table ``table``."""
    path = f"destinations.{name}"
    if destination.purpose is None:
        raise ConfigError(
            "says no purpose, so nobody's consent can be checked; add the purpose it "
            f"serves, one of {', '.join(config.consent.purposes)} (e.g. purpose: "
            "email_marketing)",
            path=f"{path}.purpose",
        )
    field_map = destination.field_map or {f: f for f in DEFAULT_FIELDS}
    for output in field_map:
        if output in RESERVED:
            raise ConfigError(
                f"{output!r} is a name the sync uses itself; send the field under another "
                f"name (fields: {{{output}_: {field_map[output]}}})",
                path=f"{path}.fields",
            )
    view = profile_view(engine)
    checked_fields(engine, view, [f for f in field_map.values() if f != "person_id"])
    columns = "".join(f", p.{ident(field)} AS {ident(out)}" for out, field in field_map.items())
    if destination.segment is not None:
        if destination.segment not in config.segments:
            raise ConfigError(f"unknown segment {destination.segment!r}", path=f"{path}.audience")
        require_tables(engine, [SEGMENT_MEMBERSHIP])
        sql = (
            f"SELECT m.person_id{columns} FROM {SEGMENT_MEMBERSHIP} m "
            f"JOIN ({view}) p ON p.person_id = m.person_id "
            f"WHERE m.segment = {literal(destination.segment)}"
        )
    else:
        sql = f"SELECT p.person_id{columns} FROM ({view}) p"
    channel = resolve_channel(config, destination.purpose, destination.channel, f"{path}.purpose")
    total = int(engine.scalar(f"SELECT count(*) FROM ({sql})") or 0)
    sql = consented_sql(
        engine,
        config,
        sql,
        consent_column(config, destination.purpose, channel),
        ordered=False,
    )
    outputs = list(field_map)
    pseudonymised: list[str] = []
    raw = f"{table}_raw"
    source = f"({sql})"
    if destination.pseudonymise is not None:
        # pseudonymise by profile field (its kind decides the normalisation), then rename
        data = engine.query(sql)
        by_field = data.rename_columns(["person_id", *field_map.values()])
        fields = pseudonymised_fields(
            destination.pseudonymise, by_field.column_names, f"{path}.pseudonymise"
        )
        data = pseudonymise_table(by_field, destination.pseudonymise, fields).rename_columns(
            ["person_id", *outputs]
        )
        pseudonymised = [out for out, field in field_map.items() if field in fields]
        engine.write_arrow(raw, data, mode="replace")
        source = raw
    pairs = ", ".join(f"{literal(out)}, {ident(out)}" for out in outputs)
    engine.create_table_as(
        table,
        f"SELECT *, md5(payload) AS fingerprint FROM (SELECT *, CAST(json_object({pairs}) "
        f"AS VARCHAR) AS payload FROM {source})",
    )
    engine.drop_table(raw)
    return Audience(
        table=table,
        fields=outputs,
        total=total,
        members=engine.count(table),
        purpose=destination.purpose,
        channel=channel,
        pseudonymised=pseudonymised,
    )
