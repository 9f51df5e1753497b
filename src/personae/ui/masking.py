"""Personal data masked for roles without the ``pii`` permission (the analyst): enough
left to tell values apart on screen, never enough to reach the person."""

from __future__ import annotations

from typing import Any

from personae.activate.pseudonymise import PII_FIELDS

#: profile fields and identifier types that are personal data: those exports pseudonymise
PII_KINDS = frozenset({*PII_FIELDS, "name"})
DOT = "•"


def mask(value: Any, kind: str = "") -> str:
    """``jane.doe@gmail.com`` -> ``j•••@g•••.com``; ``+33612345678`` -> ``+33•••••••78``;
    ``Dupont`` -> ``D•••``; anything else keeps its first character."""
    if value is None or value == "":
        return ""
    text = str(value)
    if "@" in text:
        local, _, domain = text.partition("@")
        host, dot, tld = domain.rpartition(".")
        return f"{local[:1]}{DOT * 3}@{host[:1]}{DOT * 3}{dot}{tld}"
    if kind.startswith("phone") or (text.startswith("+") and text[1:].isdigit()):
        return text[:3] + DOT * max(len(text) - 5, 3) + text[-2:]
    return text[:1] + DOT * 3


def is_pii(kind: str) -> bool:
    return kind in PII_KINDS or kind.endswith("_name")
