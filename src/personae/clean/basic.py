"""Cleaners for free text and flags, beside the specialised ones in ``normalize``."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_TRUE = {"1", "true", "t", "yes", "y", "oui", "o", "vrai", "x"}
_FALSE = {"0", "false", "f", "no", "n", "non", "faux"}


def text(raw: str | None) -> str | None:
    """Unicode NFC, trimmed, inner whitespace collapsed; blank -> None."""
    if raw is None:
        return None
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    return cleaned or None


def boolean(raw: str | None) -> str | None:
    """'true'/'false' from the usual spellings (English and French); unknown -> None."""
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return "true"
    if value in _FALSE:
        return "false"
    return None
