"""A destination's audience as a scratch view: one row per member who may be sent
(consent-gated for the destination's purpose), the fields under their output names
(pseudonymised as declared) and their ``fingerprint`` (MD5 of the field values), which
the diff compares with what the destination holds. The ``payload`` sent (JSON text of
the fields, :func:`payload_sql`) is computed for the changed members only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from personae.activate.audience import consented_sql, resolve_channel
from personae.activate.export import checked_fields, profile_view
from personae.activate.journeys.tables import AUDIENCE_SCHEMA
from personae.activate.orchestrator.tables import ensure_table
from personae.activate.pseudonymise import pseudonymise_table, pseudonymised_fields
from personae.catalog import CONSENT_FLAGS, JOURNEY_AUDIENCE_MEMBERS, PERSONS, SEGMENT_MEMBERSHIP
from personae.config.destinations import DestinationBase
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, did_you_mean
from personae.profile.consent import consent_column
from personae.query.tables import require_tables
from personae.sql import ident, literal

#: the fields sent when a destination lists none
DEFAULT_FIELDS = ("email", "first_name", "last_name")
#: names the sync uses for itself, so no output field may take them
RESERVED = ("person_id", "payload", "fingerprint", "kind", "batch")


@dataclass
class Audience:
    #: the scratch view of it: person_id, the output fields, fingerprint
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


def live_table(changes: list[tuple[int, str, bool]]) -> pa.Table:
    """The streaming worker's segment changes as the table :func:`build_audience` reads."""
    return pa.table(
        {
            "person_id": pa.array([c[0] for c in changes], pa.int64()),
            "segment": pa.array([c[1] for c in changes], pa.string()),
            "member": pa.array([c[2] for c in changes], pa.bool_()),
        }
    )


def segment_members_sql(segment: str, live: str | None) -> str:
    """``person_id`` of the segment's members: the run's, changed by the streaming
    worker's entries and exits since (``live``: ``person_id, segment, member``)."""
    members = f"SELECT m.person_id FROM {SEGMENT_MEMBERSHIP} m WHERE m.segment = {literal(segment)}"
    if live is None:
        return members
    mine = f"l.segment = {literal(segment)}"
    return (
        f"{members} AND NOT EXISTS (SELECT 1 FROM {live} l WHERE l.person_id = m.person_id "
        f"AND {mine} AND NOT l.member) "
        f"UNION SELECT l.person_id FROM {live} l WHERE {mine} AND l.member"
    )


#: the scratch table of the streaming worker's segment changes
LIVE = "_destination_live"


def build_audience(
    engine: Engine,
    config: ProjectConfig,
    name: str,
    destination: DestinationBase,
    table: str,
    *,
    live: str | None = None,
) -> Audience:
    """Define destination ``name``'s audience as the scratch view ``table`` (dropped with
    :func:`drop_audience`). ``live`` (``person_id, segment, member``): the streaming
    worker's segment changes since the last run, which segment audiences follow (a
    person no run has seen yet has no profile to send, and waits for it)."""
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
        members = segment_members_sql(destination.segment, live)
        sql = (
            f"SELECT m.person_id{columns} FROM ({members}) m "
            f"JOIN ({view}) p ON p.person_id = m.person_id"
        )
    elif destination.journeys:
        for journey in destination.journeys:
            if journey not in config.journeys:
                hint = did_you_mean(journey, list(config.journeys), prefix="")
                raise ConfigError(
                    f"no journey {journey!r}; {hint or 'declare it under journeys:'}",
                    path=f"{path}.audience.journey",
                )
        members = journey_members_sql(engine, name, destination.journeys)
        sql = (
            f"SELECT p.person_id{columns} FROM ({members}) m "
            f"JOIN ({view}) p ON p.person_id = m.person_id"
        )
    else:
        sql = f"SELECT p.person_id{columns} FROM ({view}) p"
    channel = resolve_channel(config, destination.purpose, destination.channel, f"{path}.purpose")
    column = consent_column(config, destination.purpose, channel)
    base = sql
    sql = consented_sql(engine, config, sql, column, ordered=False)
    # members before and after the consent check, in one pass
    ((total, members),) = engine.rows(
        f"SELECT count(*), count(*) FILTER (WHERE c.{ident(column)}) FROM ({base}) a "
        f"LEFT JOIN {CONSENT_FLAGS} c ON c.person_id = a.person_id"
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
    # a view, not a table: the diff reads it once, the snapshot reads the fields alone,
    # and a million rows are never written to the warehouse but as state
    values = ", ".join(f"coalesce(CAST({ident(out)} AS VARCHAR), chr(0))" for out in outputs)
    engine.drop_relation(table)
    engine.execute(
        f"CREATE VIEW {table} AS SELECT *, md5(concat_ws(chr(31), {values})) AS fingerprint "
        f"FROM {source}"
    )
    return Audience(
        table=table,
        fields=outputs,
        total=int(total),
        members=int(members),
        purpose=destination.purpose,
        channel=channel,
        pseudonymised=pseudonymised,
    )


def journey_members_sql(engine: Engine, destination: str, journeys: list[str]) -> str:
    """The persons ``journeys`` put in ``destination``: those whose latest row of
    ``journey_audience_members`` for it (from those journeys; by ``coalesce(removed_at,
    added_at)``, a removal winning a tie) is an addition. A person merged into another
    counts as the survivor; persons gone (erased, merged into nobody live) are not."""
    ensure_table(engine, JOURNEY_AUDIENCE_MEMBERS, AUDIENCE_SCHEMA)
    require_tables(engine, [PERSONS])
    names = ", ".join(literal(j) for j in journeys)
    return f"""
        SELECT person_id FROM (
            SELECT live.person_id, j.removed_at,
                   row_number() OVER (
                       PARTITION BY live.person_id
                       ORDER BY coalesce(j.removed_at, j.added_at) DESC,
                                CASE WHEN j.removed_at IS NULL THEN 1 ELSE 0 END,
                                j.journey) AS latest
            FROM {JOURNEY_AUDIENCE_MEMBERS} j
            JOIN {PERSONS} p ON p.person_id = j.person_id
            JOIN {PERSONS} live ON live.person_id = coalesce(p.merged_into, j.person_id)
                 AND live.merged_into IS NULL
            WHERE j.destination = {literal(destination)} AND j.journey IN ({names})
        ) r
        WHERE latest = 1 AND removed_at IS NULL"""


def drop_audience(engine: Engine, table: str) -> None:
    engine.drop_relation(table)
    engine.drop_relation(f"{table}_raw")
    engine.drop_table(LIVE)


def payload_sql(fields: list[str], alias: str = "a") -> str:
    """The JSON text of a member's fields, as sent and kept in ``destination_state``."""
    pairs = ", ".join(f"{literal(out)}, {alias}.{ident(out)}" for out in fields)
    return f"CAST(json_object({pairs}) AS VARCHAR)"
