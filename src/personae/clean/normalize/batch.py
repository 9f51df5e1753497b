"""Many raw values of one kind at once, as canonical text ready for a lookup table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from personae.clean.normalize.codes import gender, language
from personae.clean.normalize.dates import date, timestamp
from personae.clean.normalize.emails import email
from personae.clean.normalize.names import name, name_key, split_full_name
from personae.clean.normalize.phone_numbers import phones
from personae.clean.normalize.places import country, country_option, postcode

__all__ = ["KINDS", "normalize_many"]

#: the kinds normalize_many accepts
KINDS = frozenset(
    ("email", "phone", "name", "name_key", "first_of", "last_of", "date", "timestamp",
     "postcode", "country", "gender", "language")
)  # fmt: skip


def _as_text(value: dt.date | dt.datetime | str | None) -> str | None:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _single(
    kind: str,
    region: str | None,
    fmt: str | None,
    country_code: str | None,
    order: str,
    today: dt.date | None,
) -> Callable[[str], str | None]:
    if kind == "email":
        return email
    if kind == "name":
        return name
    if kind == "name_key":
        return name_key
    if kind in ("first_of", "last_of"):
        part = 0 if kind == "first_of" else 1
        return lambda raw: name(split_full_name(raw, order)[part])
    if kind == "date":
        return lambda raw: _as_text(date(raw, fmt, today=today))
    if kind == "timestamp":
        return lambda raw: _as_text(timestamp(raw, fmt))
    if kind == "postcode":
        code = country_option(country_code)
        return lambda raw: postcode(raw, code)
    if kind == "country":
        return country
    if kind == "gender":
        return gender
    if kind == "language":
        return language
    raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")


def normalize_many(
    kind: str,
    values: Sequence[str | None],
    *,
    region: str | None = "FR",
    fmt: str | None = None,
    country: str | None = None,
    order: str = "first_last",
    today: dt.date | None = None,
) -> list[str | None]:
    """Normalise many raw values of one kind; returns canonical text, in order.

    Options: ``region`` (phone), ``fmt`` (date, timestamp), ``country`` (postcode),
    ``order`` (first_of, last_of: the first or last name of a full name), ``today``
    (date). Dates come back as ``YYYY-MM-DD`` and timestamps as ``YYYY-MM-DD
    HH:MM:SS[.ffffff]``. Each distinct value is computed once; ``None`` stays ``None``.
    Tell absent from invalid with :func:`is_blank` on the raw value.
    """
    if kind == "phone":
        return phones(values, region)
    single = _single(kind, region, fmt, country, order, today)
    seen: dict[str, str | None] = {}
    out: list[str | None] = []
    for raw in values:
        if raw is None:
            out.append(None)
            continue
        if raw not in seen:
            seen[raw] = single(raw)
        out.append(seen[raw])
    return out
