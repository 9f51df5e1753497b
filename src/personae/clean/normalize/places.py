"""Places: ISO countries (:func:`country`) and postcodes in each country's written form."""

from __future__ import annotations

import re
from collections.abc import Callable

from personae.clean.normalize.iso_tables import countries
from personae.clean.normalize.text import word_key

__all__ = ["COUNTRY_ALIASES", "COUNTRY_CODES", "country", "country_option", "postcode"]

#: country -> (pattern over the compact upper-case value, formatter of the match)
_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _whole(match: re.Match[str]) -> str:
    return match.group(0)


def _spaced(match: re.Match[str]) -> str:
    return f"{match.group(1)} {match.group(2)}"


def _dashed(match: re.Match[str]) -> str:
    return f"{match.group(1)}-{match.group(2)}"


def _zip(match: re.Match[str]) -> str:
    return match.group(1) if match.group(2) is None else f"{match.group(1)}-{match.group(2)}"


_FOUR_DIGITS_NO_ZERO: _Rule = (re.compile(r"[1-9]\d{3}"), _whole)
_FOUR_DIGITS: _Rule = (re.compile(r"\d{4}"), _whole)
_FIVE_DIGITS: _Rule = (re.compile(r"(?!00)\d{5}"), _whole)
_GB: _Rule = (
    re.compile(
        r"(GIR)(0AA)|([A-PR-UWYZ](?:\d[\dA-HJKPSTUW]?|[A-HK-Y]\d[\dABEHMNPRV-Y]?))"
        r"(\d[ABD-HJLNP-UW-Z]{2})"
    ),
    lambda m: f"{m.group(1)} {m.group(2)}" if m.group(1) else f"{m.group(3)} {m.group(4)}",
)
_POSTCODE_RULES: dict[str, _Rule] = {
    "FR": _FIVE_DIGITS,
    "MC": (re.compile(r"980\d\d"), _whole),
    "DE": _FIVE_DIGITS,
    "IT": (re.compile(r"\d{5}"), _whole),
    "ES": (re.compile(r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}"), _whole),
    "FI": (re.compile(r"\d{5}"), _whole),
    "BE": _FOUR_DIGITS_NO_ZERO,
    "CH": _FOUR_DIGITS_NO_ZERO,
    "LI": _FOUR_DIGITS_NO_ZERO,
    "AT": _FOUR_DIGITS_NO_ZERO,
    "LU": _FOUR_DIGITS_NO_ZERO,
    "DK": _FOUR_DIGITS,
    "NO": _FOUR_DIGITS,
    "NL": (re.compile(r"([1-9]\d{3})((?!SA|SD|SS)[A-Z]{2})"), _spaced),
    "GB": _GB,
    "GG": _GB,
    "JE": _GB,
    "IM": _GB,
    "US": (re.compile(r"(\d{5})(?:-?(\d{4}))?"), _zip),
    "PT": (re.compile(r"([1-9]\d{3})-?(\d{3})"), _dashed),
    "PL": (re.compile(r"(\d{2})-?(\d{3})"), _dashed),
    "SE": (re.compile(r"([1-9]\d{2})(\d{2})"), _spaced),
    "CA": (
        re.compile(r"([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(\d[ABCEGHJ-NPRSTV-Z]\d)"),
        _spaced,
    ),
}
#: country prefixes written before a postcode (``F-75011``, ``CH-1200``, ``D-10115``)
_POSTCODE_PREFIXES = {
    "FR": "F|FR", "MC": "MC", "DE": "D|DE", "IT": "I|IT", "ES": "E|ES", "FI": "FI|FIN|SF",
    "BE": "B|BE", "CH": "CH", "LI": "FL|LI", "AT": "A|AT", "LU": "L|LU", "DK": "DK",
    "NO": "N|NO", "NL": "NL", "PT": "P|PT", "PL": "PL", "SE": "S|SE",
}  # fmt: skip
_PREFIX_PATTERNS = {
    code: re.compile(rf"(?:{alternatives})[- ]?(?=\d)")
    for code, alternatives in _POSTCODE_PREFIXES.items()
}
_GENERIC_POSTCODE = re.compile(r"[A-Z0-9]+(?:[ -][A-Z0-9]+)*")


def postcode(raw: str | None, country: str | None = None) -> str | None:
    """A postcode in its country's usual written form; invalid for that country -> None.

    ``country`` is an ISO alpha-2 code (a name is read with :func:`country`). FR: 5 digits,
    a 4-digit value gets its lost leading zero (``1000`` -> ``01000``); BE, CH, AT, LU,
    LI, DK, NO: 4 digits; DE, ES, IT, FI: 5 digits; GB: ``SW1A 1AA``; NL: ``1234 AB``;
    US: ``12345`` or ``12345-6789``; PT ``1234-567``; PL ``12-345``; SE ``123 45``; CA
    ``K1A 0B1``. A country prefix (``F-75011``) is dropped, and a spreadsheet's leading
    text marker (``'75011``, as Shopify's exports write zips). Other or unknown countries:
    upper case, single spaces, letters, digits and hyphens only, with a digit.
    """
    if raw is None:
        return None
    text = " ".join(raw.upper().strip().removeprefix("'").split())
    if not text:
        return None
    code = country_option(country)
    rule = _POSTCODE_RULES.get(code) if code else None
    if rule is None:
        if len(text) > 12 or not any(c.isdigit() for c in text):
            return None
        return text if text.isascii() and _GENERIC_POSTCODE.fullmatch(text) else None
    prefix = _PREFIX_PATTERNS.get(code) if code else None
    if prefix is not None:
        text = prefix.sub("", text, count=1) if prefix.match(text) else text
    compact = text.replace(" ", "")
    if code == "FR" and len(compact) == 4 and compact.isdigit():
        compact = "0" + compact
    pattern, written = rule
    match = pattern.fullmatch(compact) if compact.isascii() else None
    return None if match is None else written(match)


def country_option(value: str | None) -> str | None:
    """The ISO alpha-2 code a ``country`` option names (a code or a name); blank -> None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if len(value) == 2 and value.isascii():
        return value.upper()
    return country(value) or value.upper()


def _country_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for alpha2, alpha3, names in countries():
        for alias in (alpha2, alpha3, *names):
            key = word_key(alias)
            if aliases.setdefault(key, alpha2) != alpha2:  # pragma: no cover - table error
                raise ValueError(f"country alias {alias!r} is ambiguous")
    return aliases


#: folded spelling (see ``word_key``) -> ISO 3166-1 alpha-2
COUNTRY_ALIASES: dict[str, str] = _country_aliases()
COUNTRY_CODES: frozenset[str] = frozenset(COUNTRY_ALIASES.values())


def country(raw: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code from a code or a name.

    Codes: ``FR``, ``fr``, ``FRA``. Names in English, French and the local language, with
    or without accents, case or a leading article: ``France``, ``Belgique``, ``België``,
    ``Schweiz``, ``Allemagne``, ``Royaume-Uni``, ``UK``, ``España``, ``Pays-Bas``,
    ``USA``, ``États-Unis``, ``Maroc``… Every ISO 3166-1 country is known (and Kosovo,
    ``XK``); ambiguous or unknown names are invalid.
    """
    if raw is None:
        return None
    key = word_key(raw)
    return COUNTRY_ALIASES.get(key) if key else None
