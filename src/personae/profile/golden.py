"""Golden profiles: one row per live person, each field chosen by its survivorship rule.

Two tables:

``profile_values`` — one row per (person, field, value) seen: every non-null value of
every identity and attribute field, custom ones included (all the emails of a person, not
only the chosen one), as text (dates and timestamps in ISO form). ``records`` counts the
person's records holding the value; ``source``, ``record_id`` and ``observed_at`` name the
record that best supports the value under the field's rule (see below), so the lineage
of a chosen value is its row here; ``chosen`` says whether the profile shows the value.

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
most_frequent      the value held by most records, then the most recent record,
                   then source priority
first_non_null     the oldest ``observed_at``, then source priority
=================  =============================================================

Before any rule, e-mails and phones rank by whose they are: a value no other person holds
first; for phones, a valid one, then a mobile (a fixed line is often a household's); then
a value declared in a ``people`` source or seen in two sources (not a guest checkout's
address seen once). Text under ``most_frequent`` (not codes such as gender or country)
is counted by spelling (case and accents folded); ties go to the spelling most common in
the whole population, and the best written form (well cased, accented) is shown.

Each rule compares ``observed_at`` in whole seconds; a record without ``observed_at``
loses every time-based comparison. Records still tied are ordered by a hash of
(source, record id): deterministic on a given engine, not alphabetical.

How (all SQL, no Python over rows): the records of live persons are staged once in a
temporary table; per field, one ``GROUP BY (person, value)`` counts records and keeps
the best record by the rule's packed BIGINT sort key (``min``/``arg_min``: no string
sorts), and a ``row_number()`` per person marks the chosen value. One aggregate per field
(``UNION ALL``) keeps hash tables small, which is several times faster than one
aggregate over an unpivot of all fields. ``profiles`` pivots the chosen rows (one filtered
join per field) and adds the lists and statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from personae.catalog import IDENTITY_MAP, PERSONS, PROFILE_VALUES, PROFILES, RECORDS
from personae.config.fields import BUILTIN_FIELDS, BUILTIN_TYPES
from personae.config.models import ProjectConfig
from personae.config.profiles import SurvivorshipField
from personae.engine import Engine
from personae.errors import ConfigError
from personae.query.expressions import suggestion
from personae.query.people import LIVE_PERSONS_SQL, live_map_sql
from personae.query.tables import require_tables
from personae.sql import ident, literal

#: list columns of profiles -> the field they collect
LIST_COLUMNS: dict[str, str] = {"emails": "email", "phones": "phone"}
#: whether the chosen phone is valid (its range allocated), from ``records.phone_valid``
PHONE_VALID = "phone_valid"
#: whether a phone is a mobile's, from ``records.phone_mobile`` (survivorship prefers them)
PHONE_MOBILE = "phone_mobile"
#: the ways to reach a person, ranked by whose they are before the rule
CONTACT_FIELDS: tuple[str, ...] = ("email", "phone")
#: fields cleaned to codes (one spelling per value): never counted by spelling
CODED_FIELDS: tuple[str, ...] = ("gender", "country", "language", "postcode")
#: per-person statistics over all of the person's records
STAT_COLUMNS: tuple[str, ...] = ("record_count", "sources", "first_seen_at", "last_seen_at")

_SQL_TYPES = {
    "string": "VARCHAR",
    "number": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}


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
    return ["person_id", *fields, PHONE_VALID, *LIST_COLUMNS, *STAT_COLUMNS, *lineage]


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

#: bits of each part of a packed sort key (BIGINT, smaller wins): 6 + 33 + 20 = 59 bits
_PRIORITY_BITS = 6
_TIME_BITS = 33  # seconds since 1970, until the year 2242
_TIE_BITS = 20
_MAX_PRIORITY = 2**_PRIORITY_BITS - 1
_MAX_TIME = 2**_TIME_BITS - 1


def _priority_sql(sources: Sequence[str]) -> str:
    """Rank of ``source`` in ``sources`` (0 = most trusted); unlisted sources rank last."""
    listed = list(sources)[:_MAX_PRIORITY]
    if not listed:
        return "0"
    whens = " ".join(f"WHEN {literal(s)} THEN {i}" for i, s in enumerate(listed))
    return f"CASE source {whens} ELSE {len(listed)} END"


def sort_key_sql(config: ProjectConfig, rule: SurvivorshipField) -> str:
    """The rule's order of a record as one BIGINT (smaller wins), over columns
    ``source``, ``record_id`` and ``observed_at``.

    The key packs, most significant first, the rule's two criteria (source priority and
    ``observed_at`` in whole seconds, newest or oldest first; a missing time always loses)
    and a hash of the record, so equal keys are the same record and ``min``/``arg_min``
    are deterministic without sorting strings.
    """
    sources = rule.sources if rule.sources is not None else config.profiles.source_priority
    priority = _priority_sql(sources)
    seconds = f"least(greatest(CAST(floor(epoch(observed_at)) AS BIGINT), 0), {_MAX_TIME - 1})"
    # least/greatest skip NULLs, so a missing time is handled before them
    missing = "observed_at IS NULL"
    newest_first = f"CASE WHEN {missing} THEN {_MAX_TIME} ELSE {_MAX_TIME - 1} - {seconds} END"
    oldest_first = f"CASE WHEN {missing} THEN {_MAX_TIME} ELSE {seconds} END"
    tie = f"CAST(abs(hash(source, record_id)) % {2**_TIE_BITS} AS BIGINT)"
    if rule.rule == "source_priority":
        packed = f"({priority}) * {2**_TIME_BITS} + {newest_first}"
    elif rule.rule == "first_non_null":
        packed = f"{oldest_first} * {2**_PRIORITY_BITS} + ({priority})"
    else:  # most_recent, and most_frequent after the count
        packed = f"{newest_first} * {2**_PRIORITY_BITS} + ({priority})"
    return f"({packed}) * {2**_TIE_BITS} + {tie}"


# --------------------------------------------------------------------------- statements

#: staging table: records with their live person id, dropped after the build
STAGE = "_profile_records"


def stage_sql(config: ProjectConfig, available: Sequence[str]) -> str:
    """Records of live persons with the columns the profile needs."""
    fields = [name for name in value_fields(config) if name in available]
    fields += [c for c in (PHONE_VALID, PHONE_MOBILE) if c in available]
    columns = "".join(f", r.{ident(name)}" for name in fields)
    return (
        f"SELECT m.person_id, r.source, r.record_id, r.source_kind, r.observed_at{columns} "
        f"FROM {RECORDS} r JOIN ({live_map_sql()}) m "
        "ON m.source = r.source AND m.record_id = r.record_id"
    )


def _spelling(value: str) -> str:
    """A text value with case and accents folded: the spelling it writes."""
    return f"lower(strip_accents({value}))"


def _field_values_sql(config: ProjectConfig, name: str, available: Sequence[str]) -> str:
    """The values of one field: grouped per (person, value), best record, chosen flag.

    Before the rule, e-mails and phones (:data:`CONTACT_FIELDS`) rank by whose they are:

    1. a value no other person holds beats a shared one (a family e-mail, a household
       landline, a junk value);
    2. for phones, a valid one beats one whose range is not allocated, then a mobile
       beats a fixed line (often a household's);
    3. a value the person declared (in a record of a ``people`` source: an account, a
       loyalty card) or used in two sources or more (the address they use everywhere)
       beats one seen in a single event source (a guest checkout's).

    Text under ``most_frequent`` (codes aside: :data:`CODED_FIELDS`) is counted by
    spelling: case and accents folded, so ``ALIX``, ``Alix`` and ``alix`` vote together.
    A tie goes to the spelling most common in the whole population (``Raymond`` over the
    typo ``Raymod``, a first name over a last name typed in its place), and the form
    shown is the best written one: well cased, then with its accents (``Andrée`` over
    ``Andree``).
    """
    rule = config.profiles.rule_for(name)
    column = ident(name)
    kinds = [c for c in (PHONE_VALID, PHONE_MOBILE) if name == "phone" and c in available]
    identity = name in CONTACT_FIELDS
    spelled = (
        rule.rule == "most_frequent"
        and field_type(config, name) == "VARCHAR"
        and name not in CODED_FIELDS
    )
    # each criterion is computed only for the fields it ranks: they cost time at scale
    group: list[str] = [f"coalesce(bool_or(v.{c}), false) AS {c}" for c in kinds]
    outer: list[str] = []
    order: list[str] = []
    if identity:
        group.append(
            "min(v.source) <> max(v.source) OR bool_or(v.source_kind = 'people') AS supported"
        )
        outer.append("coalesce(p.shared, false) AS shared")
        order.append("shared")
    # a valid phone, then a mobile (a person's own, where a fixed line is a household's)
    order += [f"{c} DESC" for c in kinds]
    if identity:
        order.append("supported DESC")
    if spelled:
        outer += [
            f"sum(a.records) OVER (PARTITION BY a.person_id, {_spelling('a.value')}) "
            "AS spelling_records",
            "p.spelling_population",
            "p.n AS population",
            r"regexp_matches(a.value, '\p{Lu}\p{Lu}') "
            "OR (a.value = lower(a.value) AND a.value <> upper(a.value)) AS bad_case",
        ]
        order += [
            "spelling_records DESC",
            "spelling_population DESC",
            "bad_case",
            "value = strip_accents(value)",
            "population DESC",
        ]
    elif rule.rule == "most_frequent":
        order.append("records DESC")
    order.append("k")
    population = ""
    if identity or spelled:
        spelling = _spelling("value") if spelled else "value"
        population = f"""
    LEFT JOIN (
        SELECT value, n, shared, sum(n) OVER (PARTITION BY {spelling}) AS spelling_population
        FROM (
            SELECT CAST({column} AS VARCHAR) AS value, count(*) AS n,
                   min(person_id) <> max(person_id) AS shared
            FROM {STAGE} WHERE {column} IS NOT NULL GROUP BY 1)
    ) p ON p.value = a.value"""
    flags = "".join(f"{c}, " for c in kinds)
    return f"""
SELECT g.person_id, {literal(name)} AS field, g.value, g.records,
       g.source, g.record_id, g.observed_at,
       row_number() OVER (PARTITION BY g.person_id ORDER BY {", ".join(order)}) = 1
           AS chosen
FROM (
    SELECT a.*{"".join(", " + c for c in outer)}
    FROM (
        SELECT v.person_id, v.value, count(*) AS records,{"".join(" " + c + "," for c in group)}
               min(v.k) AS k, arg_min(v.source, v.k) AS source,
               arg_min(v.record_id, v.k) AS record_id, arg_min(v.observed_at, v.k) AS observed_at
        FROM (
            SELECT person_id, CAST({column} AS VARCHAR) AS value, source, source_kind,
                   record_id, observed_at, {flags}{sort_key_sql(config, rule)} AS k
            FROM {STAGE}
            WHERE {column} IS NOT NULL
        ) v
        GROUP BY v.person_id, v.value
    ) a{population}
) g"""


def profile_values_sql(config: ProjectConfig, available: Sequence[str]) -> str:
    """SELECT of ``profile_values`` from the staged records (fields present in records)."""
    fields = [name for name in value_fields(config) if name in available]
    if not fields:
        return (
            "SELECT CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS VARCHAR) AS field, "
            "CAST(NULL AS VARCHAR) AS value, CAST(0 AS BIGINT) AS records, "
            "CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS record_id, "
            "CAST(NULL AS TIMESTAMP) AS observed_at, FALSE AS chosen WHERE FALSE"
        )
    # one aggregate per field: small hash tables are much faster than one big one
    return "\nUNION ALL\n".join(_field_values_sql(config, name, available) for name in fields)


def profiles_sql(config: ProjectConfig, available: Sequence[str] = ()) -> str:
    """SELECT of ``profiles`` from ``profile_values``, the staged records and persons.

    The chosen values are pivoted by joining one filtered scan of ``profile_values`` per
    field: a column scan with a filter and a join on ``person_id`` per field is about twice
    as fast as one ``GROUP BY person_id`` with three ``max(CASE …)`` per field.
    ``phone_valid`` says whether the chosen phone is valid, where ``records`` (whose
    columns are ``available``) says it; NULL otherwise.
    """
    fields = profile_fields(config)
    joins: list[str] = []
    values: list[str] = []
    lineage: list[str] = []
    for i, name in enumerate(fields):
        alias = f"f{i}"
        joins.append(
            f"LEFT JOIN (SELECT person_id, value, source, record_id FROM {PROFILE_VALUES} "
            f"WHERE chosen AND field = {literal(name)}) {alias} "
            f"ON {alias}.person_id = l.person_id"
        )
        values.append(f"CAST({alias}.value AS {field_type(config, name)}) AS {ident(name)}")
        lineage += [
            f"{alias}.{part} AS {ident(name + '__' + part)}" for part in ("source", "record_id")
        ]
    lists = ", ".join(
        f"list_sort(list(pv.value) FILTER (WHERE pv.field = {literal(source)})) AS {column}"
        for column, source in LIST_COLUMNS.items()
    )
    list_fields = ", ".join(literal(f) for f in LIST_COLUMNS.values())
    phone = f"f{fields.index('phone')}"
    validity = f"bool_or({PHONE_VALID})" if PHONE_VALID in available else "NULL"
    select = ",\n       ".join(
        [
            "l.person_id",
            *values,
            f"ph.{PHONE_VALID} AS {PHONE_VALID}",
            *(f"li.{c}" for c in LIST_COLUMNS),
            "coalesce(s.record_count, 0) AS record_count",
            "s.sources",
            "s.first_seen_at",
            "s.last_seen_at",
            *lineage,
        ]
    )
    return f"""
WITH lists AS (
    SELECT pv.person_id, {lists}
    FROM {PROFILE_VALUES} pv
    WHERE pv.field IN ({list_fields})
    GROUP BY pv.person_id
),
stats AS (
    SELECT person_id, count(*) AS record_count,
           array_to_string(list_sort(list(DISTINCT source)), ',') AS sources,
           min(observed_at) AS first_seen_at, max(observed_at) AS last_seen_at
    FROM {STAGE}
    GROUP BY person_id
),
phones AS (
    SELECT phone, CAST({validity} AS BOOLEAN) AS {PHONE_VALID}
    FROM {STAGE} WHERE phone IS NOT NULL GROUP BY phone
)
SELECT {select}
FROM ({LIVE_PERSONS_SQL}) l
LEFT JOIN lists li ON li.person_id = l.person_id
LEFT JOIN stats s ON s.person_id = l.person_id
{chr(10).join(joins)}
LEFT JOIN phones ph ON ph.phone = {phone}.value
"""


def build_profiles(engine: Engine, config: ProjectConfig) -> ProfilesReport:
    """(Re)build ``profile_values`` and ``profiles`` from records and the identity map."""
    validate_profiles_config(config)
    require_tables(engine, (RECORDS, IDENTITY_MAP, PERSONS))
    available = engine.columns(RECORDS)
    # a temporary table (a temporary view once transpiled for Spark)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {stage_sql(config, available)}")
    try:
        engine.create_table_as(PROFILE_VALUES, profile_values_sql(config, available))
        engine.create_table_as(PROFILES, profiles_sql(config, available))
    finally:
        engine.drop_table(STAGE)
    fields = profile_fields(config)
    counts = engine.rows(
        "SELECT count(*), " + ", ".join(f"count({ident(n)})" for n in fields) + f" FROM {PROFILES}"
    )[0]
    return ProfilesReport(
        persons=int(counts[0]),
        values=engine.count(PROFILE_VALUES),
        filled={name: int(n) for name, n in zip(fields, counts[1:], strict=True)},
    )
