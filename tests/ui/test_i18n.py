"""French and English: every text the templates and pages show has its French, and the
user's language chooses the words and how numbers and dates are written."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from personae.ui import i18n

UI = Path(i18n.__file__).parent
CALL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def texts() -> set[str]:
    found: set[str] = set()
    files = [*UI.glob("templates/*.html"), *UI.glob("pages/*.py"), *UI.glob("*.py")]
    for path in files:
        for double, single in CALL.findall(path.read_text()):
            found.add(double or single)
    return found


def test_every_text_of_the_ui_has_a_french_translation() -> None:
    missing = sorted(t for t in texts() if t not in i18n.FRENCH)
    assert len(texts()) > 100
    assert not missing, f"add to personae.ui.i18n.FRENCH: {missing}"


def test_numbers_and_dates_follow_the_language() -> None:
    assert i18n.number(1234567.5, "en") == "1,234,567.5"
    assert i18n.number(1234567.5, "fr").replace("\u202f", " ") == "1 234 567,5"
    day = dt.datetime(2026, 3, 1, 14, 5)
    assert "Mar" in i18n.when(day, "en")
    assert "mars" in i18n.when(day, "fr")
    assert i18n.translate("fr", "Search") == "Rechercher"
    assert i18n.translate("en", "Search") == "Search"
