"""Golden profiles: one row per live person, each field chosen by its survivorship rule.

Two tables, two statements:

``profile_values`` — one row per (person, field, value) seen: every non-null value of every
identity and attribute field (all the emails of a person, not only the chosen one), as
text (dates and timestamps in ISO form). ``records`` counts the person's records holding
the value; ``source``, ``record_id`` and ``observed_at`` name the record that best supports
the value under the field's rule (see below), so the lineage of a chosen value is its
row here.

``profiles`` — the values ranked per (person, field) and pivoted into columns, with
``<field>__source`` / ``<field>__record_id`` lineage, ``emails`` and ``phones`` (sorted
lists of every distinct value), ``record_count``, ``sources`` (distinct sources, comma
separated), ``first_seen_at`` and ``last_seen_at``.

Survivorship rules (``profiles.fields``; ``profiles.default_rule`` otherwise):

=================  =============================================================
rule               winner, then tie-breaks
=================  =============================================================
source_priority    the most trusted source (the field's ``sources`` or
                   ``profiles.source_priority``; unlisted sources rank after
                   listed ones, equally), then the most recent record
most_recent        the latest ``observed_at``, then source priority
most_frequent      the value held by most records, then the most recent record
first_non_null     the oldest ``observed_at``, then source priority
=================  =============================================================

Every rule ends with source then record id, so the choice is deterministic. A record
without ``observed_at`` loses every time-based comparison.

How: records are joined to live person ids and unpivoted with a ``CROSS JOIN`` of field
positions; one ``GROUP BY (person, field, value)`` counts records and keeps the best
record per value (``arg_min`` over the rule's sort key). The profiles statement ranks the
values with one ``row_number()`` window and pivots with ``max(CASE …)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from personae.config.fields import BUILTIN_FIELDS, BUILTIN_TYPES
from personae.config.models import ProjectConfig, SurvivorshipField
from personae.engine import Engine
from personae.errors import ConfigError, ProjectError
from personae.profile.expressions import suggestion
from personae.profile.people import LIVE_PERSONS_SQL, live_map_sql
from personae.sql import ident, literal

PROFILE_VALUES = "profile_values"
PROFILES = "profiles"

#: list columns of profiles -> the field they collect
LIST_COLUMNS: dict[str, str] = {"emails": "email", "phones": "phone"}
#: per-person statistics over all of the person's records
STAT_COLUMNS: tuple[str, ...] = ("record_count", "sources", "first_seen_at", "last_seen_at")

_SQL_TYPES = {
    "string": "VARCHAR",
    "number": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}
#: a missing timestamp sorts after every real one in the ascending keys below
_NEVER = "1e18"


@dataclass
class ProfilesReport:
    persons: int
    values: int
    #: field -> number of profiles with a value
    filled: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- fields


def value_fields(config: ProjectConfig) -> list[str]:
    """Fields collected into ``profile_values``: built-in and every custom field."""
    return [*BUILTIN_FIELDS, *(n for n in config.custom_fields if n not in BUILTIN_FIELDS)]


def profile_fields(config: ProjectConfig) -> list[str]:
    """Fields chosen into ``profiles``: built-in and custom non-identity fields."""
    custom = [n for n, spec in config.custom_fields.items() if not spec.identity]
    return [*BUILTIN_FIELDS, *(n for n in custom if n not in BUILTIN_FIELDS)]


def field_type(config: ProjectConfig, name: str) -> str:
    if name in BUILTIN_TYPES:
        return _SQL_TYPES[BUILTIN_TYPES[name]]
    return _SQL_TYPES[config.custom_fields[name].type]


def profile_columns(config: ProjectConfig) -> list[str]:
    """Every column of ``profiles``, in order."""
    fields = profile_fields(config)
    lineage = [f"{name}__{part}" for name in fields for part in ("source", "record_id")]
    return ["person_id", *fields, *LIST_COLUMNS, *STAT_COLUMNS, *lineage]


def validate_profiles_config(config: ProjectConfig) -> None:
    known = value_fields(config)
    for name in config.profiles.fields:
        if name not in known:
            raise ConfigError(
                f"unknown field {name!r}{suggestion(name, known)}; "
                f"valid fields: {', '.join(known)}",
                path=f"profiles.fields.{name}",
            )
    if not config.sources:
        return  # nothing declared to check source names against
    lists: list[tuple[str, list[str]]] = [
        ("profiles.source_priority", config.profiles.source_priority)
    ]
    for name in config.profiles.fields:
        rule = config.profiles.rule_for(name)
        if rule.sources is not None:
            lists.append((f"profiles.fields.{name}.sources", rule.sources))
    for path, sources in lists:
        for source in sources:
            if source not in config.sources:
                raise ConfigError(
                    f"unknown source {source!r}{suggestion(source, config.sources)}; "
                    f"sources: {', '.join(config.sources)}",
                    path=path,
                )


# --------------------------------------------------------------------------- sort keys


def _priority_sql(sources: Sequence[str], column: str) -> str:
    """Rank of the source in ``sources`` (0 = most trusted); unlisted sources rank last."""
    if not sources:
        return "0"
    whens = " ".join(f"WHEN {literal(s)} THEN {i}" for i, s in enumerate(sources))
    return f"CASE {column} {whens} ELSE {len(sources)} END"


def _sort_terms(config: ProjectConfig, rule: SurvivorshipField, alias: str) -> tuple[str, str]:
    """Two DOUBLE sort terms, ascending (smaller wins), for the rule's tie-breaks."""
    sources = rule.sources if rule.sources is not None else config.profiles.source_priority
    priority = f"CAST({_priority_sql(sources, f'{alias}.source')} AS DOUBLE)"
    newest_first = f"coalesce(-epoch({alias}.observed_at), {_NEVER})"
    oldest_first = f"coalesce(epoch({alias}.observed_at), {_NEVER})"
    if rule.rule == "source_priority":
        return priority, newest_first
    if rule.rule == "first_non_null":
        return oldest_first, priority
    return newest_first, priority  # most_recent; most_frequent after the count


def _by_field(
    config: ProjectConfig,
    fields: Sequence[str],
    term: int,
    alias: str,
    switch: str,
    label: Callable[[str], str],
) -> str:
    """One sort term as SQL, switching on ``switch`` when fields have different rules."""
    groups: dict[str, list[str]] = {}
    for name in fields:
        sql = _sort_terms(config, config.profiles.rule_for(name), alias)[term]
        groups.setdefault(sql, []).append(label(name))
    if len(groups) == 1:
        return next(iter(groups))
    whens = " ".join(
        f"WHEN {switch} IN ({', '.join(labels)}) THEN {sql}" for sql, labels in groups.items()
    )
    return f"CASE {whens} END"


# --------------------------------------------------------------------------- statements


def profile_values_sql(config: ProjectConfig, available: Sequence[str]) -> str:
    """SELECT of ``profile_values`` from ``records`` (only fields present in it)."""
    fields = [name for name in value_fields(config) if name in available]
    if not fields:
        return (
            "SELECT CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS VARCHAR) AS field, "
            "CAST(NULL AS VARCHAR) AS value, CAST(NULL AS VARCHAR) AS source, "
            "CAST(NULL AS VARCHAR) AS record_id, CAST(NULL AS TIMESTAMP) AS observed_at, "
            "CAST(0 AS BIGINT) AS records WHERE FALSE"
        )
    positions = ", ".join(f"({i})" for i in range(len(fields)))
    value = " ".join(
        f"WHEN {i} THEN CAST(r.{ident(name)} AS VARCHAR)" for i, name in enumerate(fields)
    )
    name_of = " ".join(f"WHEN {i} THEN {literal(name)}" for i, name in enumerate(fields))
    position = {name: str(i) for i, name in enumerate(fields)}
    k1 = _by_field(config, fields, 0, "v", "v.pos", position.__getitem__)
    k2 = _by_field(config, fields, 1, "v", "v.pos", position.__getitem__)
    best = (
        "arg_min({'source': v.source, 'record_id': v.record_id, 'observed_at': v.observed_at}, "
        f"{{'k1': {k1}, 'k2': {k2}, 's': v.source, 'r': v.record_id}})"
    )
    return f"""
SELECT g.person_id, CASE g.pos {name_of} END AS field, g.value,
       g.best.source AS source, g.best.record_id AS record_id,
       g.best.observed_at AS observed_at, g.records
FROM (
    SELECT v.person_id, v.pos, v.value, {best} AS best, count(*) AS records
    FROM (
        SELECT m.person_id, f.pos, CASE f.pos {value} END AS value,
               r.source, r.record_id, r.observed_at
        FROM records r
        JOIN ({live_map_sql()}) m ON m.source = r.source AND m.record_id = r.record_id
        CROSS JOIN (VALUES {positions}) AS f(pos)
    ) v
    WHERE v.value IS NOT NULL
    GROUP BY v.person_id, v.pos, v.value
) g
"""


def profiles_sql(config: ProjectConfig) -> str:
    """SELECT of ``profiles`` from ``profile_values``, ``records`` and live persons."""
    fields = profile_fields(config)
    frequent = [n for n in fields if config.profiles.rule_for(n).rule == "most_frequent"]
    count_term = (
        f"CASE WHEN pv.field IN ({', '.join(literal(n) for n in frequent)}) "
        "THEN pv.records ELSE 0 END"
        if frequent
        else "0"
    )
    k1 = _by_field(config, fields, 0, "pv", "pv.field", literal)
    k2 = _by_field(config, fields, 1, "pv", "pv.field", literal)
    pivots: list[str] = []
    for name in fields:
        when = f"WHEN c.field = {literal(name)}"
        pivots.append(
            f"CAST(max(CASE {when} THEN c.value END) AS {field_type(config, name)}) "
            f"AS {ident(name)}"
        )
        pivots += [
            f"max(CASE {when} THEN c.{part} END) AS {ident(name + '__' + part)}"
            for part in ("source", "record_id")
        ]
    lists = ", ".join(
        f"list_sort(list(pv.value) FILTER (WHERE pv.field = {literal(source)})) AS {column}"
        for column, source in LIST_COLUMNS.items()
    )
    list_fields = ", ".join(literal(f) for f in LIST_COLUMNS.values())
    lineage = [f"{name}__{part}" for name in fields for part in ("source", "record_id")]
    select = ", ".join(
        [
            "l.person_id",
            *(f"c.{ident(n)}" for n in fields),
            *(f"li.{c}" for c in LIST_COLUMNS),
            "coalesce(s.record_count, 0) AS record_count",
            "s.sources",
            "s.first_seen_at",
            "s.last_seen_at",
            *(f"c.{ident(n)}" for n in lineage),
        ]
    )
    return f"""
WITH ranked AS (
    SELECT pv.person_id, pv.field, pv.value, pv.source, pv.record_id,
           row_number() OVER (
               PARTITION BY pv.person_id, pv.field
               ORDER BY {count_term} DESC, {k1}, {k2}, pv.source, pv.record_id
           ) AS rn
    FROM profile_values pv
    WHERE pv.field IN ({", ".join(literal(n) for n in fields)})
),
chosen AS (
    SELECT c.person_id, {", ".join(pivots)}
    FROM ranked c
    WHERE c.rn = 1
    GROUP BY c.person_id
),
lists AS (
    SELECT pv.person_id, {lists}
    FROM profile_values pv
    WHERE pv.field IN ({list_fields})
    GROUP BY pv.person_id
),
stats AS (
    SELECT m.person_id, count(*) AS record_count,
           array_to_string(list_sort(list(DISTINCT r.source)), ',') AS sources,
           min(r.observed_at) AS first_seen_at, max(r.observed_at) AS last_seen_at
    FROM records r
    JOIN ({live_map_sql()}) m ON m.source = r.source AND m.record_id = r.record_id
    GROUP BY m.person_id
)
SELECT {select}
FROM ({LIVE_PERSONS_SQL}) l
LEFT JOIN chosen c ON c.person_id = l.person_id
LEFT JOIN lists li ON li.person_id = l.person_id
LEFT JOIN stats s ON s.person_id = l.person_id
"""


def require_tables(engine: Engine, tables: Sequence[str], step: str) -> None:
    missing = [t for t in tables if not engine.table_exists(t)]
    if missing:
        raise ProjectError(f"table {', '.join(missing)} not found: run {step} first")


def build_profiles(engine: Engine, config: ProjectConfig) -> ProfilesReport:
    """(Re)build ``profile_values`` and ``profiles`` from records and the identity map."""
    validate_profiles_config(config)
    require_tables(engine, ("records", "identity_map", "persons"), "clean and unify")
    available = engine.columns("records")
    engine.create_table_as(PROFILE_VALUES, profile_values_sql(config, available))
    engine.create_table_as(PROFILES, profiles_sql(config))
    fields = profile_fields(config)
    counts = engine.rows(
        "SELECT count(*), "
        + ", ".join(f"count({ident(n)})" for n in fields)
        + f" FROM {PROFILES}"
    )[0]
    return ProfilesReport(
        persons=int(counts[0]),
        values=engine.count(PROFILE_VALUES),
        filled={name: int(n) for name, n in zip(fields, counts[1:], strict=True)},
    )
