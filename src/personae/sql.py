"""Small helpers to write SQL text safely (identifiers and literals)."""

from __future__ import annotations

from typing import Any


def ident(name: str) -> str:
    """Quote an identifier: ``my col`` -> ``"my col"``."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """Render a Python value as a SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
