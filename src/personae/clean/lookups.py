"""Python cleaners applied to distinct raw values, kept as lookup tables in the warehouse.

A lookup table ``_lookup_<kind>(opt, raw, value)`` maps each distinct raw value (and
its option: a phone region, a date format, a country) to its canonical value, NULL when
invalid. Lookups persist between runs, so a run only maps values it has not seen before.
The stage joins them in SQL; the engine never runs Python per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from personae.clean import basic, normalize
from personae.engine import Engine

#: kind -> batch function (values, option) -> canonical values
BatchCleaner = Callable[[Sequence[str], str | None], list[str | None]]


def _each(fn: Callable[[str, str | None], str | None]) -> BatchCleaner:
    def batch(values: Sequence[str], option: str | None) -> list[str | None]:
        return [fn(v, option) for v in values]

    return batch


def _date(raw: str, fmt: str | None) -> str | None:
    """Birth dates: never in the future, two-digit years go back a century if needed."""
    parsed = normalize.date(raw, fmt)
    return parsed.isoformat() if parsed else None


def _calendar_date(raw: str, fmt: str | None) -> str | None:
    """Any date, future ones included (a contract end, a renewal)."""
    parsed = normalize.date(raw, fmt, today=dt.date(9998, 12, 31))
    return parsed.isoformat() if parsed else None


def _split(part: int) -> Callable[[str, str | None], str | None]:
    def split(raw: str, order: str | None) -> str | None:
        first, last = normalize.split_full_name(raw, order or "first_last")
        return normalize.name((first, last)[part]) if (first, last)[part] else None

    return split


#: lookup kind of phone numbers: E.164 of every well-formed number, valid or not (the
#: ``_lookup_phone`` of earlier versions held valid ones only, and is no longer read)
PHONE = "phone_number"
#: lookup kind of phone kinds: E.164 -> 'mobile', 'other' (valid) or 'invalid' (range
#: not allocated)
PHONE_KIND = "phone_kind"

CLEANERS: dict[str, BatchCleaner] = {
    PHONE: lambda values, region: normalize.phones(values, region or "FR", well_formed=True),
    PHONE_KIND: _each(lambda e164, _: normalize.phone_kind(e164)),
    "name": _each(lambda raw, _: normalize.name(raw)),
    "name_key": _each(lambda raw, _: normalize.name_key(raw)),
    "first_of": _each(_split(0)),
    "last_of": _each(_split(1)),
    "date": _each(_date),
    "calendar_date": _each(_calendar_date),
    "country": _each(lambda raw, _: normalize.country(raw)),
    "postcode": _each(lambda raw, country: normalize.postcode(raw, country)),
    "gender": _each(lambda raw, _: normalize.gender(raw)),
    "language": _each(lambda raw, _: normalize.language(raw)),
    "text": _each(lambda raw, _: basic.text(raw)),
    "address": _each(lambda raw, _: normalize.address(raw)),
    "boolean": _each(lambda raw, _: basic.boolean(raw)),
}

LOOKUP_SCHEMA = pa.schema([("opt", pa.string()), ("raw", pa.string()), ("value", pa.string())])


def lookup_table(kind: str) -> str:
    return f"_lookup_{kind}"


@dataclass(frozen=True)
class LookupRequest:
    """Distinct (option, raw) pairs to map: a query returning columns ``opt`` and ``raw``.

    ``opt`` is never NULL: ``''`` means "no option"."""

    kind: str
    sql: str


def refresh_lookup(engine: Engine, kind: str, requests: list[LookupRequest]) -> int:
    """Map every (opt, raw) pair the requests return that the lookup does not hold yet."""
    table = lookup_table(kind)
    if not engine.table_exists(table):
        engine.write_arrow(table, LOOKUP_SCHEMA.empty_table(), mode="replace")
    if not requests:
        return 0
    union = " UNION ".join(f"SELECT opt, raw FROM ({r.sql})" for r in requests)
    todo = engine.query(
        f"""
        SELECT DISTINCT n.opt, n.raw FROM ({union}) n
        WHERE n.raw IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {table} l
            WHERE l.raw = n.raw AND l.opt = n.opt)
        """
    )
    if todo.num_rows == 0:
        return 0
    opts = todo.column("opt").to_pylist()
    raws = todo.column("raw").to_pylist()
    values: list[str | None] = [None] * len(raws)
    by_option: dict[str, list[int]] = {}
    for i, opt in enumerate(opts):
        by_option.setdefault(opt, []).append(i)
    cleaner = CLEANERS[kind]
    for opt, indexes in by_option.items():
        mapped = cleaner([raws[i] for i in indexes], opt or None)
        for i, value in zip(indexes, mapped, strict=True):
            values[i] = value
    engine.write_arrow(
        table,
        pa.table({"opt": opts, "raw": raws, "value": values}, schema=LOOKUP_SCHEMA),
        mode="append",
    )
    return len(raws)
