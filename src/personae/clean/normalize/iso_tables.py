"""ISO country and language tables, shipped as package data beside this module (``data/``).

* ``countries.csv``: ISO 3166-1 alpha-2, alpha-3, then the names people write (English,
  French, native, usual aliases) separated by ``; ``.
* ``languages.csv``: ISO 639-1, the ISO 639-2 code(s) separated by spaces, then names
  (English, French and the language itself) separated by ``; ``.
* ``iso639_1.csv``: every ISO 639-1 code; a withdrawn one (``iw``) names today's (``he``).

Each file is read once, on first use.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

__all__ = ["Country", "Language", "countries", "iso_639_1", "languages"]

#: (alpha-2, alpha-3, names)
Country = tuple[str, str, tuple[str, ...]]
#: (ISO 639-1, ISO 639-2 codes, names)
Language = tuple[str, tuple[str, ...], tuple[str, ...]]


def _rows(name: str) -> list[dict[str, str]]:
    data = resources.files("personae.clean.normalize") / "data"
    text = (data / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def countries() -> tuple[Country, ...]:
    """Every ISO 3166-1 country (and Kosovo, ``XK``), in alpha-2 order."""
    return tuple(
        (row["alpha2"], row["alpha3"], tuple(row["names"].split("; ")))
        for row in _rows("countries.csv")
    )


@cache
def languages() -> tuple[Language, ...]:
    """The languages people name, in the file's order (earlier rows win a shared name)."""
    return tuple(
        (row["iso639_1"], tuple(row["iso639_2"].split()), tuple(row["names"].split("; ")))
        for row in _rows("languages.csv")
    )


@cache
def iso_639_1() -> dict[str, str]:
    """Every ISO 639-1 code -> the code to use today (itself, unless withdrawn)."""
    return {row["code"]: row["current"] or row["code"] for row in _rows("iso639_1.csv")}
