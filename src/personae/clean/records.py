"""The clean stage: raw tables -> ``records``, ``events`` and ``data_quality``.

For each source it takes the latest version of every record, maps the distinct raw
values that need a Python cleaner into lookup tables, then builds the canonical columns
in one SELECT per source. Raw values stay untouched in raw tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from personae.catalog import DATA_QUALITY, EVENTS, RAW_COLLECTED, RECORDS
from personae.clean.collected import (
    collected_events_sql,
    collected_phone_request,
    collected_records_sql,
)
from personae.clean.consent import build_ledger
from personae.clean.lookups import (
    PHONE,
    PHONE_KIND,
    LookupRequest,
    lookup_table,
    refresh_lookup,
)
from personae.clean.plan import (
    FieldPlan,
    column_sql,
    number_sql,
    plan_source,
    raw_sql,
    record_columns,
    timestamp_sql,
)
from personae.clean.quality import EXAMPLES_SEPARATOR
from personae.config.models import ProjectConfig
from personae.config.sources import PropertySpec, SourceConfig
from personae.engine import Engine
from personae.ingest.tables import has_versions, raw_table
from personae.project import Project
from personae.sql import literal

#: the order lookups are refreshed in: later kinds read earlier ones
LOOKUP_ORDER = (
    "country",
    "postcode",
    PHONE,
    PHONE_KIND,
    "first_of",
    "last_of",
    "name",
    "name_key",
    "date",
    "calendar_date",
    "gender",
    "language",
    "text",
    "address",
    "boolean",
)


@dataclass
class CleanReport:
    records: int = 0
    events: int = 0
    invalid: dict[str, int] = field(default_factory=dict)
    values_mapped: int = 0
    #: rows of the consent ledger
    consent_signals: int = 0
    warnings: list[str] = field(default_factory=list)


Progress = Callable[[str], None]


def latest_table(source: str) -> str:
    return f"_latest_{source}"


def clean(project: Project, progress: Progress | None = None) -> CleanReport:
    engine, config = project.engine, project.config
    sources = {n: s for n, s in config.sources.items() if engine.table_exists(raw_table(n))}
    report = CleanReport()
    plans = {name: plan_source(config, source) for name, source in sources.items()}
    for name in sources:
        _create_latest(engine, name)
    if progress:
        progress("lookups")
    for kind in LOOKUP_ORDER:
        requests = _lookup_requests(config, kind, plans)
        if kind == PHONE and engine.table_exists(RAW_COLLECTED):
            requests.append(collected_phone_request(config))
        report.values_mapped += refresh_lookup(engine, kind, requests)

    selects: list[str] = []
    event_selects: list[str] = []
    quality: list[dict[str, object]] = []
    for name, source in sources.items():
        if progress:
            progress(name)
        cleaned = f"_clean_{name}"
        engine.create_table_as(cleaned, _clean_select(config, name, source, plans[name]))
        selects.append(_records_select(config, name, source, plans[name], cleaned))
        if source.event is not None:
            event_selects.append(
                f"SELECT {literal(name)} AS source, record_id, event, timestamp, properties "
                f"FROM {cleaned}"
            )
        measured = [(p.field, _raw_col(p.field), p.field) for p in plans[name] if p.measured]
        if source.event is not None:
            measured.append(("timestamp", "raw__timestamp", "timestamp"))
        quality.extend(_measure_quality(engine, name, cleaned, measured))

    if engine.table_exists(RAW_COLLECTED):
        selects.append(collected_records_sql(config))
        event_selects.append(collected_events_sql(config))
    if selects:
        engine.create_table_as(RECORDS, " UNION ALL ".join(selects))
    else:
        engine.create_table_as(RECORDS, _empty_records(config))
    if event_selects:
        engine.create_table_as(EVENTS, " UNION ALL ".join(event_selects))
    else:
        engine.create_table_as(
            EVENTS,
            "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS record_id, "
            "CAST(NULL AS VARCHAR) AS event, CAST(NULL AS TIMESTAMP) AS timestamp, "
            "CAST(NULL AS VARCHAR) AS properties WHERE false",
        )
    report.consent_signals = build_ledger(engine, config, sources)
    engine.write_arrow(
        DATA_QUALITY, pa.Table.from_pylist(quality, schema=QUALITY_SCHEMA), mode="replace"
    )
    for name in sources:
        engine.drop_table(f"_clean_{name}")
        _drop_latest(engine, name)
    report.records = engine.count(RECORDS)
    report.events = engine.count(EVENTS)
    report.invalid = {
        f"{source}.{field_name}": int(invalid)
        for source, field_name, invalid in engine.rows(
            f"SELECT source, field, invalid FROM {DATA_QUALITY} WHERE invalid > 0 ORDER BY 1, 2"
        )
    }
    return report


def _create_latest(engine: Engine, source: str) -> None:
    """The latest version of each record: a view of raw while no record has two versions."""
    raw, latest = raw_table(source), latest_table(source)
    _drop_latest(engine, source)
    if not has_versions(engine, source):
        engine.execute(f"CREATE VIEW {latest} AS SELECT * FROM {raw}")
        return
    engine.create_table_as(
        latest,
        f"""
        SELECT * FROM (
            SELECT *, row_number() OVER (
                PARTITION BY _record_id ORDER BY _loaded_at DESC, _load_id DESC) AS _version
            FROM {raw}) WHERE _version = 1
        """,
    )


def _drop_latest(engine: Engine, source: str) -> None:
    engine.drop_relation(latest_table(source))


# --------------------------------------------------------------------------- lookups


def _lookup_requests(
    config: ProjectConfig, kind: str, plans: dict[str, list[FieldPlan]]
) -> list[LookupRequest]:
    if kind == "name_key":
        names = " UNION ".join(
            f"SELECT '' AS opt, value AS raw FROM {lookup_table(k)} WHERE value IS NOT NULL"
            for k in ("name", "first_of", "last_of")
        )
        return [LookupRequest(kind, names)]
    if kind == PHONE_KIND:
        numbers = (
            f"SELECT '' AS opt, value AS raw FROM {lookup_table(PHONE)} WHERE value IS NOT NULL"
        )
        return [LookupRequest(kind, numbers)]
    requests = []
    for source, source_plans in plans.items():
        for plan in source_plans:
            if plan.lookup != kind:
                continue
            option = plan.option
            joins = ""
            if kind == "postcode":
                option, joins = _postcode_option(config, source_plans)
            requests.append(
                LookupRequest(
                    kind,
                    f"SELECT DISTINCT {option} AS opt, {plan.raw} AS raw "
                    f"FROM {latest_table(source)} l {joins}",
                )
            )
    return requests


def _postcode_option(config: ProjectConfig, plans: list[FieldPlan]) -> tuple[str, str]:
    """Postcodes are read by their row's country, or the project's default country."""
    default = literal(config.defaults.country or "")
    country = next((p for p in plans if p.field == "country"), None)
    if country is None:
        return default, ""
    join = (
        f"LEFT JOIN {lookup_table('country')} lk_country "
        f"ON lk_country.raw = {country.raw} AND lk_country.opt = ''"
    )
    return f"coalesce(lk_country.value, {default})", join


# --------------------------------------------------------------------------- per source


def _clean_select(
    config: ProjectConfig, name: str, source: SourceConfig, plans: list[FieldPlan]
) -> str:
    """One row per record: bookkeeping, raw__<field> and <field> for every plan."""
    columns = ["l._record_id AS record_id", "l._loaded_at AS _loaded_at"]
    joins: list[str] = []
    for plan in plans:
        alias = f"lk_{plan.field}"
        columns.append(f"{plan.raw} AS {_raw_col(plan.field)}")
        if plan.lookup is None:
            columns.append(f"{plan.clean} AS {plan.field}")
            continue
        option = plan.option
        if plan.lookup == "postcode":
            option, _ = _postcode_option(config, plans)
        joins.append(
            f"LEFT JOIN {lookup_table(plan.lookup)} {alias} "
            f"ON {alias}.raw = {plan.raw} AND {alias}.opt = {option}"
        )
        value = f"{alias}.value"
        if plan.sql_type != "VARCHAR":
            value = f"TRY_CAST({value} AS {plan.sql_type})"
        columns.append(f"{value} AS {plan.field}")
        if plan.field in ("first_name", "last_name"):
            key_alias = f"lkk_{plan.field}"
            joins.append(
                f"LEFT JOIN {lookup_table('name_key')} {key_alias} "
                f"ON {key_alias}.raw = {alias}.value AND {key_alias}.opt = ''"
            )
            columns.append(f"{key_alias}.value AS {plan.field}_key")
        if plan.field == "phone":
            joins.append(
                f"LEFT JOIN {lookup_table(PHONE_KIND)} lkv_phone "
                f"ON lkv_phone.raw = {alias}.value AND lkv_phone.opt = ''"
            )
            columns.append("lkv_phone.value <> 'invalid' AS phone_valid")
            columns.append("lkv_phone.value = 'mobile' AS phone_mobile")
    if source.updated_at is not None:
        updated = timestamp_sql(raw_sql(source.updated_at.column), source.updated_at.format)
        columns.append(f"coalesce({updated}, l._loaded_at) AS observed_at")
    if source.event is not None:
        columns.extend(_event_columns(source))
    return f"SELECT {', '.join(columns)} FROM {latest_table(name)} l {' '.join(joins)}"


def _raw_col(field_name: str) -> str:
    return f"raw__{field_name}"


def _event_columns(source: SourceConfig) -> list[str]:
    event = source.event
    assert event is not None
    if event.name is not None:
        name = literal(event.name)
    else:
        assert event.name_column is not None
        raw_name = raw_sql(event.name_column)
        cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in event.name_map.items())
        name = f"CASE {raw_name} {cases} ELSE {raw_name} END" if cases else raw_name
    ts_raw = raw_sql(event.timestamp.column)
    pairs: list[str] = []
    for prop, spec in event.properties.items():
        spec = spec if isinstance(spec, PropertySpec) else PropertySpec(column=spec)
        pairs.append(literal(prop))
        pairs.append(_property_sql(spec))
    properties = f"CAST(json_object({', '.join(pairs)}) AS VARCHAR)" if pairs else "'{}'"
    return [
        f"{name} AS event",
        f"{ts_raw} AS raw__timestamp",
        f"{timestamp_sql(ts_raw, event.timestamp.format)} AS timestamp",
        f"{properties} AS properties",
    ]


#: how the keys of a list property's objects are read (``json_transform``'s types)
_ITEM_TYPES = {"string": "VARCHAR", "number": "DOUBLE", "boolean": "BOOLEAN"}


def _property_sql(spec: PropertySpec) -> str:
    raw = raw_sql(spec.column)
    if spec.items is not None:
        # a JSON list of objects (rows_per_record.collect): the declared keys, typed; a
        # value that does not read as its type is null, text that is not a list is null
        # (on Spark: engine.spark.transpile.json_list)
        shape = json.dumps([{k: _ITEM_TYPES[t] for k, t in spec.items.items()}])
        return (
            f"CASE WHEN json_valid({raw}) THEN to_json(json_transform({raw}, {literal(shape)})) END"
        )
    if spec.type == "number":
        return number_sql(raw)
    if spec.type == "boolean":
        return f"TRY_CAST({raw} AS BOOLEAN)"
    if spec.type in ("date", "timestamp"):
        return f"CAST({timestamp_sql(raw, spec.format)} AS VARCHAR)"
    if "." in spec.column:
        return column_sql(spec.column)
    return raw


def _records_select(
    config: ProjectConfig,
    name: str,
    source: SourceConfig,
    plans: list[FieldPlan],
    cleaned: str,
) -> str:
    mapped = {p.field for p in plans}
    mapped |= {f"{p.field}_key" for p in plans if p.field in ("first_name", "last_name")}
    mapped |= {c for p in plans if p.field == "phone" for c in ("phone_valid", "phone_mobile")}
    if source.event is not None:
        observed = "coalesce(timestamp, _loaded_at)"
    elif source.updated_at is not None:
        observed = "observed_at"
    else:
        observed = "_loaded_at"
    columns = [
        f"{literal(name)} AS source",
        "record_id",
        f"{literal(source.kind)} AS source_kind",
        f"{observed} AS observed_at",
    ]
    for column, sql_type in record_columns(config):
        columns.append(column if column in mapped else f"CAST(NULL AS {sql_type}) AS {column}")
    return f"SELECT {', '.join(columns)} FROM {cleaned}"


def _empty_records(config: ProjectConfig) -> str:
    columns = [
        "CAST(NULL AS VARCHAR) AS source",
        "CAST(NULL AS VARCHAR) AS record_id",
        "CAST(NULL AS VARCHAR) AS source_kind",
        "CAST(NULL AS TIMESTAMP) AS observed_at",
    ]
    columns += [f"CAST(NULL AS {t}) AS {c}" for c, t in record_columns(config)]
    return f"SELECT {', '.join(columns)} WHERE false"


# --------------------------------------------------------------------------- data quality

QUALITY_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("field", pa.string()),
        ("rows", pa.int64()),
        ("filled", pa.int64()),
        ("valid", pa.int64()),
        ("invalid", pa.int64()),
        ("examples", pa.string()),
    ]
)


def _measure_quality(
    engine: Engine, source: str, table: str, fields: list[tuple[str, str, str]]
) -> list[dict[str, object]]:
    """Filled, valid and invalid counts of every field in one scan; examples of invalid
    raw values only where there are some."""
    if not fields:
        return []
    counts = ", ".join(f"count({raw}), count({value})" for _, raw, value in fields)
    row = engine.rows(f"SELECT count(*), {counts} FROM {table}")[0]
    result = []
    for i, (field_name, raw, value) in enumerate(fields):
        filled, valid = int(row[1 + 2 * i]), int(row[2 + 2 * i])
        examples = None
        if filled > valid:
            examples = EXAMPLES_SEPARATOR.join(
                str(r[0])
                for r in engine.rows(
                    f"SELECT DISTINCT {raw} FROM {table} "
                    f"WHERE {raw} IS NOT NULL AND {value} IS NULL ORDER BY 1 LIMIT 5"
                )
            )
        result.append(
            {
                "source": source,
                "field": field_name,
                "rows": int(row[0]),
                "filled": filled,
                "valid": valid,
                "invalid": filled - valid,
                "examples": examples,
            }
        )
    return result
