"""Collected messages as canonical ``records`` and ``events`` rows (DuckDB SQL).

One record per message: ``source`` is the write key's source, ``record_id`` the
messageId, ``source_kind`` ``'events'``. Identities come from userId, anonymousId,
``traits``/``context.traits`` (email, names…) and ``context.device.id``; an alias is one
record holding user_id = userId and anonymous_id = previousId, so stitching merges them.
Phones (``traits.phone``) are read through the clean stage's phone lookup, with the
project's default region: :func:`collected_phone_request` asks for them.
"""

from __future__ import annotations

from typing import Any

from personae.catalog import RAW_COLLECTED
from personae.clean.lookups import PHONE, PHONE_KIND, LookupRequest, lookup_table, refresh_lookup
from personae.clean.normalize import email_sql
from personae.clean.plan import record_columns
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.sql import literal

EVENT_NAMES = {
    "page": "Page Viewed",
    "screen": "Screen Viewed",
    "identify": "Identified",
    "group": "Group",
    "alias": "Alias",
}


def _text(*paths: str) -> str:
    """The first non-blank string among JSON paths of the payload."""
    parts = [f"nullif(trim(json_extract_string(payload, {literal(p)})), '')" for p in paths]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _traits(*names: str) -> str:
    paths = [f"$.traits.{n}" for n in names] + [f"$.context.traits.{n}" for n in names]
    return _text(*paths)


def _name_key(expr: str) -> str:
    return f"nullif(regexp_replace(strip_accents(lower({expr})), '[^a-z]', '', 'g'), '')"


def _canonical() -> dict[str, str]:
    first = _traits("firstName", "first_name")
    last = _traits("lastName", "last_name")
    return {
        "email": email_sql(_traits("email")),
        "user_id": "nullif(trim(user_id), '')",
        "anonymous_id": (
            "coalesce(nullif(trim(anonymous_id), ''), "
            "CASE WHEN type = 'alias' THEN nullif(trim(previous_id), '') END)"
        ),
        "device_id": _text("$.context.device.id"),
        "first_name": first,
        "last_name": last,
        "first_name_key": _name_key(first),
        "last_name_key": _name_key(last),
        "gender": f"lower({_traits('gender')})",
        "birth_date": f"TRY_CAST({_traits('birthday', 'birth_date')} AS DATE)",
        "address": _traits("address.street"),
        "postcode": _traits("address.postalCode", "address.postal_code"),
        "city": _traits("address.city"),
        "country": _traits("address.country"),
        "language": _text("$.context.locale"),
    }


#: the parts of a payload :func:`collected_records_sql` and :func:`collected_events_sql`
#: read (``traits``, ``properties``, and ``context``'s ``traits``, ``device`` and
#: ``locale``): a payload cut down to them gives the same records and events
#: (:func:`record_payload`)
RECORD_KEYS = ("traits", "properties")
RECORD_CONTEXT_KEYS = ("traits", "device", "locale")


def record_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` without what the records and events SQL do not read, so it parses in
    a fraction of the time (the streaming worker's micro-batches)."""
    out = {k: payload[k] for k in RECORD_KEYS if k in payload}
    context = payload.get("context")
    if isinstance(context, dict):
        kept = {k: context[k] for k in RECORD_CONTEXT_KEYS if k in context}
        if kept:
            out["context"] = kept
    return out


def _phone_raw() -> str:
    return _traits("phone")


def collected_phone_request(config: ProjectConfig) -> LookupRequest:
    """The distinct raw phones of collected messages, for the phone lookup."""
    region = literal(config.defaults.phone_region.upper())
    return LookupRequest(
        PHONE, f"SELECT DISTINCT {region} AS opt, {_phone_raw()} AS raw FROM {RAW_COLLECTED}"
    )


def collected_records_sql(config: ProjectConfig) -> str:
    """A SELECT over raw_collected with exactly the columns of ``records``."""
    mapped = _canonical()
    mapped["phone"] = "lk_phone.value"
    mapped["phone_valid"] = "lkv_phone.value <> 'invalid'"
    mapped["phone_mobile"] = "lkv_phone.value = 'mobile'"
    columns = [
        "source",
        "message_id AS record_id",
        "'events' AS source_kind",
        "timestamp AS observed_at",
    ]
    for column, sql_type in record_columns(config):
        expr = mapped.get(column, "NULL")
        columns.append(f"CAST({expr} AS {sql_type}) AS {column}")
    region = literal(config.defaults.phone_region.upper())
    phones, valid = lookup_table(PHONE), lookup_table(PHONE_KIND)
    return (
        f"SELECT {', '.join(columns)} FROM {RAW_COLLECTED} "
        f"LEFT JOIN {phones} lk_phone ON lk_phone.raw = {_phone_raw()} AND lk_phone.opt = {region} "
        f"LEFT JOIN {valid} lkv_phone ON lkv_phone.raw = lk_phone.value AND lkv_phone.opt = ''"
    )


def collected_events_sql(config: ProjectConfig) -> str:
    """A SELECT over raw_collected with exactly the columns of ``events``."""
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in EVENT_NAMES.items())
    return (
        "SELECT source, message_id AS record_id, "
        f"CASE type {cases} ELSE event END AS event, timestamp, "
        "coalesce(CAST(json_extract(payload, '$.properties') AS VARCHAR), '{}') AS properties "
        f"FROM {RAW_COLLECTED}"
    )


def refresh_collected_lookups(engine: Engine, config: ProjectConfig) -> None:
    """Map the phones of ``raw_collected`` (and their kinds), as the clean stage does, so
    :func:`collected_records_sql` can run (the streaming worker's micro-batches)."""
    refresh_lookup(engine, PHONE, [collected_phone_request(config)])
    numbers = f"SELECT '' AS opt, value AS raw FROM {lookup_table(PHONE)} WHERE value IS NOT NULL"
    refresh_lookup(engine, PHONE_KIND, [LookupRequest(PHONE_KIND, numbers)])
