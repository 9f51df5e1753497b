"""Street lines: whitespace tidied and French street types written in full.

``12 bis r. Victor Hugo`` and ``12 bis rue Victor Hugo`` are one address: the street type
after the house number is written in full when it is one of the abbreviations of the
French postal standard (AFNOR NF Z10-011) or of common use, with or without its dot.
Only that position is read, so a name (``Place d'Armes``, ``Saint-Av``) is never
touched, and lines in other layouts (``Hauptstraße 5``) stay as written.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STREET_TYPES", "address"]

#: abbreviation (lower case, no dot) -> the street type in full
STREET_TYPES: dict[str, str] = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "bvd": "boulevard",
    "all": "allée",
    "ch": "chemin",
    "chem": "chemin",
    "imp": "impasse",
    "pl": "place",
    "rte": "route",
    "sq": "square",
    "crs": "cours",
    "fg": "faubourg",
    "fbg": "faubourg",
    "pass": "passage",
    "prom": "promenade",
    "espl": "esplanade",
    "res": "résidence",
    "rés": "résidence",
    "lot": "lotissement",
    "ham": "hameau",
    "sen": "sentier",
    "vla": "villa",
    "cite": "cité",
    "rpt": "rond-point",
}
#: house number (with bis, ter, a letter…), an optional comma, the street type, the rest
_LINE = re.compile(
    r"(\d+(?:\s*(?:bis|ter|quater|[a-z]))?\b,?\s+)([^\W\d_]+)(\.?)(\s+.*)", re.IGNORECASE
)


def _recased(full: str, written: str) -> str:
    if written.isupper() and len(written) > 1:
        return full.upper()
    return full.capitalize() if written[:1].isupper() else full


def address(raw: str | None) -> str | None:
    """``12 bis r. Victor Hugo`` -> ``12 bis rue Victor Hugo``; blank -> None.

    Whitespace is collapsed as for any text; a street type written in full, and any
    word that is not a known abbreviation, is kept as written.
    """
    if raw is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not text:
        return None
    match = _LINE.fullmatch(text)
    if match is None:
        return text
    number, word, _, rest = match.groups()
    full = STREET_TYPES.get(word.lower())
    if full is None:
        return text
    return f"{number}{_recased(full, word)}{rest}"
