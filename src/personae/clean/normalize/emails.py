"""E-mail addresses, in Python (:func:`email`) and in DuckDB SQL (:func:`email_sql`).

One regular expression, written in the common subset of Python's ``re`` and RE2
(DuckDB), is the whole definition of a valid e-mail. ASCII letters are spelt out
([A-Za-z], never a case-insensitive flag) because case folding differs between the two
engines (the Kelvin sign folds to k in both). Lengths (RFC 5321) are checked after.
"""

from __future__ import annotations

import re

from personae.sql import literal

__all__ = ["EMAIL_PATTERN", "email", "email_sql"]

_WS = r"[ \t\n\r\f\v" + "\u00a0\u2007\u2009\u200b\u202f\u3000\ufeff" + "]*"
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = _ATEXT + "+(?:\\." + _ATEXT + "+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})"
_MAILTO = r"(?:[Mm][Aa][Ii][Ll][Tt][Oo]:)?"
#: group 1 is the address; surrounding spaces, ``mailto:``, ``<>`` and quotes are dropped
EMAIL_PATTERN = (
    "^" + _WS + _MAILTO + _WS + "[<\"']?" + _WS + _MAILTO + _WS
    + "(" + _LOCAL + "@(?:" + _LABEL + "\\.)+" + _TLD + ")"
    + _WS + "[>\"']?" + _WS + "$"
)  # fmt: skip
_EMAIL = re.compile(EMAIL_PATTERN)
_EMAIL_MAX = 254
_EMAIL_LOCAL_MAX = 64


def email(raw: str | None) -> str | None:
    """Lower-cased e-mail address, syntax and length checked (RFC 5321); else None.

    Surrounding whitespace, ``mailto:``, ``<...>`` and quotes are removed. Only ASCII
    addresses are accepted (no quoted local parts, no IP-literal domains).
    """
    if raw is None:
        return None
    match = _EMAIL.fullmatch(raw)
    if match is None:
        return None
    address = match.group(1).lower()
    if len(address) > _EMAIL_MAX or address.index("@") > _EMAIL_LOCAL_MAX:
        return None
    return address


def email_sql(column_sql: str) -> str:
    """A DuckDB SQL expression equal to :func:`email` applied to ``column_sql``.

    ``lower()`` of the address matched by ``regexp_extract`` with the same pattern,
    NULL when it does not match or breaks the RFC 5321 lengths.
    """
    address = f"nullif(lower(regexp_extract({column_sql}, {literal(EMAIL_PATTERN)}, 1)), '')"
    return (
        f"CASE WHEN length({address}) <= {_EMAIL_MAX} "
        f"AND strpos({address}, '@') <= {_EMAIL_LOCAL_MAX + 1} THEN {address} END"
    )
