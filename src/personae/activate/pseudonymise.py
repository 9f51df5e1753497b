"""Personal data leaving personae hashed (SHA-256 after a platform's normalisation) or
masked.

Normalisation before hashing, as each platform documents it:

=============  ==========================  ===================================  ===============
field          ``meta`` (Custom Audiences)  ``google`` (Customer Match)          ``generic``
=============  ==========================  ===================================  ===============
e-mail         trimmed, lower case          trimmed, lower case; dots of the     trimmed, lower
                                            local part removed for gmail.com     case
                                            and googlemail.com
phone          digits with the country      E.164 with ``+``                     E.164 with
               code, no ``+``, no leading                                        ``+``
               zeros
first/last     lower case, punctuation and  trimmed, lower case                  trimmed, lower
name           spaces removed (accented                                          case
               letters kept, UTF-8)
other fields   trimmed, lower case          trimmed, lower case                  trimmed, lower
                                                                                 case
=============  ==========================  ===================================  ===============

Hashes are lower-case hex SHA-256 of the UTF-8 bytes, unsalted, as the platforms expect
(so a hashed e-mail is still personal data: pseudonymised, not anonymised).

Masks keep enough to recognise a value, never enough to use it: ``j***@example.com``,
``+33*******78``, ``J***``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa

from personae.config.destinations import Platform, Pseudonymise
from personae.errors import ConfigError

#: profile columns holding personal data, pseudonymised when an export asks for it
PII_FIELDS: tuple[str, ...] = (
    "email",
    "emails",
    "phone",
    "phones",
    "first_name",
    "last_name",
    "birth_date",
    "address",
    "postcode",
    "city",
    "customer_id",
    "user_id",
    "anonymous_id",
    "loyalty_id",
    "device_id",
)
_KIND = {"emails": "email", "phones": "phone", "first_name": "name", "last_name": "name"}
_GMAIL = ("gmail.com", "googlemail.com")
_NOT_A_LETTER = re.compile(r"[^\w]|[\d_]")


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalise_email(value: str, platform: Platform) -> str:
    email = value.strip().lower()
    if platform == "google":
        local, at, domain = email.rpartition("@")
        if at and domain in _GMAIL:
            email = f"{local.replace('.', '')}@{domain}"
    return email


def normalise_phone(value: str, platform: Platform) -> str:
    """From E.164 (``+33612345678``, what personae's profiles hold) or digits with the
    country code."""
    digits = re.sub(r"\D", "", value)
    if value.strip().startswith("00"):
        digits = digits[2:]
    digits = digits.lstrip("0")
    return digits if platform == "meta" else f"+{digits}"


def normalise_name(value: str, platform: Platform) -> str:
    name = unicodedata.normalize("NFC", value).strip().lower()
    if platform == "meta":
        return _NOT_A_LETTER.sub("", name)
    return name


def normalise(field: str, value: str, platform: Platform) -> str:
    """``value`` of profile column ``field`` as ``platform`` wants it before hashing."""
    kind = _KIND.get(field, field)
    if kind == "email":
        return normalise_email(value, platform)
    if kind == "phone":
        return normalise_phone(value, platform)
    if kind == "name":
        return normalise_name(value, platform)
    return value.strip().lower()


def mask(field: str, value: str) -> str:
    """``j***@example.com``, ``+33*******78``, ``J***``."""
    kind = _KIND.get(field, field)
    value = value.strip()
    if not value:
        return value
    if kind == "email" and "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "phone" and len(value) > 5:
        return value[:3] + "*" * (len(value) - 5) + value[-2:]
    return f"{value[:1]}***"


def _transform(field: str, spec: Pseudonymise) -> Callable[[str], str]:
    if spec.mode == "mask":
        return lambda value: mask(field, value)
    return lambda value: sha256(normalise(field, value, spec.platform))


def pseudonymised_fields(spec: Pseudonymise, columns: Iterable[str], path: str) -> list[str]:
    """The columns of an export that ``spec`` applies to, checked."""
    present = list(columns)
    if spec.fields is None:
        return [c for c in present if c in PII_FIELDS]
    for name in spec.fields:
        if name not in present:
            raise ConfigError(
                f"{name!r} is not a column of this export ({', '.join(present)}); "
                "pseudonymise only fields it writes",
                path=path,
            )
    return list(spec.fields)


def _cached(transform: Callable[[str], str]) -> Callable[[Any], str | None]:
    """``transform`` of a value as text, each distinct value computed once."""
    cache: dict[str, str] = {}

    def one(value: Any) -> str | None:
        if value is None:
            return None
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        if text not in cache:
            cache[text] = transform(text)
        return cache[text]

    return one


def pseudonymise_table(table: pa.Table, spec: Pseudonymise, fields: list[str]) -> pa.Table:
    """``table`` with ``fields`` hashed or masked. Hashed and masked columns are text
    (lists of text for ``emails`` and ``phones``)."""
    for name in fields:
        one = _cached(_transform(name, spec))
        values = table.column(name).to_pylist()
        if pa.types.is_list(table.schema.field(name).type):
            mapped: Any = [None if v is None else [one(x) for x in v] for v in values]
            column = pa.array(mapped, type=pa.list_(pa.string()))
        else:
            column = pa.array([one(v) for v in values], type=pa.string())
        table = table.set_column(table.schema.get_field_index(name), name, column)
    return table
