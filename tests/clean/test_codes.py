"""Gender and language from codes, words and locales."""

from __future__ import annotations

import pytest

from personae.clean.normalize import gender, language

# --------------------------------------------------------------------------- gender, language


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("F", "female"),
        ("f", "female"),
        ("Femme", "female"),
        ("FEMALE", "female"),
        ("Mme", "female"),
        ("Mme.", "female"),
        ("Mlle", "female"),
        ("Madame", "female"),
        ("Mrs", "female"),
        ("W", "female"),
        ("Féminin", "female"),
        ("M", "male"),
        ("H", "male"),
        ("Homme", "male"),
        ("Male", "male"),
        ("Mr", "male"),
        ("M.", "male"),
        ("Monsieur", "male"),
        ("Masculin", "male"),
        ("X", "other"),
        ("Autre", "other"),
        ("non-binaire", "other"),
        ("Non binary", "other"),
        ("D", "other"),
    ],
)
def test_genders(raw: str, expected: str) -> None:
    assert gender(raw) == expected


@pytest.mark.parametrize("raw", ["?", "U", "unknown", "inconnu", "1", "2", "Dr", "N/A"])
def test_unknown_genders_are_invalid(raw: str) -> None:
    assert gender(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("fr-FR", "fr"),
        ("fr_FR", "fr"),
        ("fr_FR.UTF-8", "fr"),
        ("fr-be", "fr"),
        ("fra", "fr"),
        ("fre", "fr"),
        ("French", "fr"),
        ("Français", "fr"),
        ("francais", "fr"),
        ("Français (France)", "fr"),
        ("English", "en"),
        ("Anglais", "en"),
        ("en-GB", "en"),
        ("Deutsch", "de"),
        ("Allemand", "de"),
        ("ger", "de"),
        ("Español", "es"),
        ("Néerlandais", "nl"),
        ("Vlaams", "nl"),
        ("pt-BR", "pt"),
        ("zh-Hant-TW", "zh"),
        ("Arabe", "ar"),
        ("iw", "he"),
        ("br", "br"),
    ],
)
def test_languages(raw: str, expected: str) -> None:
    assert language(raw) == expected


@pytest.mark.parametrize("raw", ["zz", "xx-XX", "Klingon", "123", "France"])
def test_unknown_languages_are_invalid(raw: str) -> None:
    assert language(raw) is None
