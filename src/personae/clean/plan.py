"""How each mapped column of a source becomes a canonical value: a plan per field.

A plan says which raw SQL expression feeds the field, and either a SQL expression that
cleans it (emails, identifiers, numbers, timestamps) or the lookup that maps it
(phones, names, dates, countries, postcodes…). The stage turns plans into one SELECT.
"""

from __future__ import annotations

from dataclasses import dataclass

from personae.clean import normalize
from personae.clean.lookups import PHONE
from personae.config.fields import ATTRIBUTE_FIELDS, FULL_NAME, IDENTITY_FIELDS
from personae.config.models import ProjectConfig
from personae.config.sources import FieldSpec, SourceConfig
from personae.sql import ident, literal

#: lookup kind used for each built-in attribute
ATTRIBUTE_LOOKUPS = {
    "first_name": "name",
    "last_name": "name",
    "gender": "gender",
    "birth_date": "date",
    "address": "address",
    "postcode": "postcode",
    "city": "text",
    "country": "country",
    "language": "language",
}


def column_sql(column: str, alias: str = "l") -> str:
    """A source column as SQL; ``a.b`` reads key ``b`` of a JSON column ``a``."""
    if "." in column:
        head, _, path = column.partition(".")
        return f"json_extract_string({alias}.{ident(head)}, {literal('$.' + path)})"
    return f"{alias}.{ident(column)}"


def raw_sql(column: str, alias: str = "l") -> str:
    return f"nullif(trim({column_sql(column, alias)}), '')"


def timestamp_sql(expr: str, fmt: str | None) -> str:
    if fmt:
        # a format with %z reads an offset: the UTC time, naive like every timestamp
        return f"CAST(try_strptime({expr}, {literal(fmt)}) AS TIMESTAMP)"
    return f"CAST(TRY_CAST({expr} AS TIMESTAMPTZ) AS TIMESTAMP)"


def number_sql(expr: str) -> str:
    return (
        f"coalesce(TRY_CAST({expr} AS DOUBLE), "
        f"TRY_CAST(replace(replace({expr}, ' ', ''), ',', '.') AS DOUBLE))"
    )


@dataclass
class FieldPlan:
    field: str
    #: SQL over the latest raw row (alias ``l``) giving the raw text, NULL when blank
    raw: str
    #: lookup kind, or None when ``clean`` is plain SQL
    lookup: str | None = None
    #: SQL giving the lookup's option (may reference earlier fields' lookup aliases)
    option: str = "''"
    #: SQL for the clean value when no lookup is used
    clean: str | None = None
    #: SQL type of the clean value
    sql_type: str = "VARCHAR"
    #: counted in data_quality
    measured: bool = True


def plan_source(config: ProjectConfig, source: SourceConfig) -> list[FieldPlan]:
    """One plan per canonical field the source maps, in dependency order."""
    specs = source.field_specs()
    plans: list[FieldPlan] = []
    identity = set(config.identity_fields)
    for name, spec in specs.items():
        if name == FULL_NAME:
            continue
        if spec.mixed:
            plans += [
                _plan_field(config, target, spec, identity, routed_sql(spec.column, target))
                for target in spec.mixed
            ]
            continue
        plans.append(_plan_field(config, name, spec, identity))
    if FULL_NAME in specs:
        spec = specs[FULL_NAME]
        raw = raw_sql(spec.column)
        for part, kind in (("first_name", "first_of"), ("last_name", "last_of")):
            if part not in specs:
                plans.append(FieldPlan(part, raw, lookup=kind, option=literal(spec.order)))
    # countries first, so postcodes can be read by their country
    plans.sort(key=lambda p: 0 if p.field == "country" else 1)
    return plans


def routed_sql(column: str, target: str) -> str:
    """The values of a mixed e-mail/phone column that have ``target``'s shape: an e-mail
    holds an '@', a phone does not. A value goes to one field only, so it is never
    counted invalid for the other in ``data_quality``."""
    raw = raw_sql(column)
    test = "> 0" if target == "email" else "= 0"
    return f"CASE WHEN strpos({raw}, '@') {test} THEN {raw} END"


def _plan_field(
    config: ProjectConfig, name: str, spec: FieldSpec, identity: set[str], raw: str | None = None
) -> FieldPlan:
    raw = raw or raw_sql(spec.column)
    if name == "email":
        return FieldPlan(name, raw, clean=normalize.email_sql(raw))
    if name == "phone":
        region = spec.region or config.defaults.phone_region
        return FieldPlan(name, raw, lookup=PHONE, option=literal(region.upper()))
    if name in identity:
        return FieldPlan(name, raw, clean=raw)
    if name in ATTRIBUTE_LOOKUPS:
        kind = ATTRIBUTE_LOOKUPS[name]
        option = "''"
        if kind == "date":
            option = literal(spec.format) if spec.format else option
        plan = FieldPlan(name, raw, lookup=kind, option=option)
        if name == "birth_date":
            plan.sql_type = "DATE"
        return plan
    custom = config.custom_fields[name]
    if custom.type == "number":
        return FieldPlan(name, raw, clean=number_sql(raw), sql_type="DOUBLE")
    if custom.type == "timestamp":
        return FieldPlan(name, raw, clean=timestamp_sql(raw, spec.format), sql_type="TIMESTAMP")
    if custom.type == "date":
        option = literal(spec.format or "")
        return FieldPlan(name, raw, lookup="calendar_date", option=option, sql_type="DATE")
    if custom.type == "boolean":
        return FieldPlan(name, raw, lookup="boolean", sql_type="BOOLEAN")
    return FieldPlan(name, raw, lookup="text")


def record_columns(config: ProjectConfig) -> list[tuple[str, str]]:
    """The columns of ``records`` after the bookkeeping ones: (name, SQL type)."""
    types = {"birth_date": "DATE"}
    custom_types = {
        "number": "DOUBLE",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "boolean": "BOOLEAN",
        "string": "VARCHAR",
    }
    columns = [(f, "VARCHAR") for f in IDENTITY_FIELDS]
    columns += [(f, types.get(f, "VARCHAR")) for f in ATTRIBUTE_FIELDS]
    columns += [("first_name_key", "VARCHAR"), ("last_name_key", "VARCHAR")]
    columns += [("phone_valid", "BOOLEAN"), ("phone_mobile", "BOOLEAN")]
    columns += [(name, custom_types[spec.type]) for name, spec in config.custom_fields.items()]
    return columns
