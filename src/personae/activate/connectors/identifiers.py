"""Reading the identifiers of a :class:`Change`'s fields: values that may be lists
(``emails``), dates or already hashed (a destination pseudonymised upstream)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from personae.activate.pseudonymise import normalise, sha256
from personae.config.destinations import Platform

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: a plausible e-mail address: something, one @, a dotted domain, no spaces
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def texts(value: Any) -> list[str]:
    """Every non-empty value as text (a list gives each of its items)."""
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        text = item.isoformat() if hasattr(item, "isoformat") else str(item)
        if text.strip():
            out.append(text.strip())
    return out


def first(fields: Mapping[str, Any], *names: str) -> str | None:
    """The first non-empty value of the first of ``names`` that has one."""
    for name in names:
        value = fields.get(name)
        if isinstance(value, str):  # the usual case, without building a list
            if value.strip():
                return value.strip()
            continue
        values = texts(value)
        if values:
            return values[0]
    return None


def is_sha256(value: str) -> bool:
    return bool(_SHA256.match(value))


def hashed(field: str, value: str, platform: Platform) -> str:
    """SHA-256 of ``value`` after ``platform``'s normalisation, unless it already is one."""
    if is_sha256(value):
        return value
    return sha256(normalise(field, value, platform))


def valid_email(value: str) -> bool:
    return bool(_EMAIL.match(value))
