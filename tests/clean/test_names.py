"""People's names: written form, match key, full names split."""

from __future__ import annotations

import pytest

from personae.clean.normalize import name, name_key, normalize_many, outcome, split_full_name

# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("JEAN-PIERRE", "Jean-Pierre"),
        ("jean-pierre", "Jean-Pierre"),
        ("Jean-Pierre", "Jean-Pierre"),
        ("  Hélène  ", "Hélène"),
        ("He\u0301le\u0300ne", "Hélène"),  # decomposed accents -> NFC
        ("o'neil", "O'Neil"),
        ("O’NEIL", "O’Neil"),
        ("DE LA FONTAINE", "De la Fontaine"),
        ("JEAN DE LA FONTAINE", "Jean de la Fontaine"),
        ("de la Fontaine", "de la Fontaine"),
        ("VAN DER BERG", "Van der Berg"),
        ("CHARLES D'ARTAGNAN", "Charles d'Artagnan"),
        ("MARIE  LE   GALL", "Marie Le Gall"),
        ("McDonald", "McDonald"),
        ("LEFÈVRE", "Lefèvre"),
        ("élodie", "Élodie"),
        ("J.-P.", "J.-P."),
        ("JEAN–PIERRE", "Jean–Pierre"),  # an en dash is kept as written
        ("李", "李"),
    ],
)
def test_names_are_capitalised_only_when_written_in_one_case(raw: str, expected: str) -> None:
    assert name(raw) == expected


@pytest.mark.parametrize(
    "raw", ["N/A", "null", "Inconnu", "XXX", "123", "Jean2", "a@b.fr", "-", "?"]
)
def test_junk_names_are_invalid(raw: str) -> None:
    assert name(raw) is None
    assert outcome(raw, name(raw)) == "invalid"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jean-Pierre", "jeanpierre"),
        ("Jean Pierre", "jeanpierre"),
        ("Hélène", "helene"),
        ("Müller", "muller"),
        ("  LEFÈVRE ", "lefevre"),
        ("O'Neil", "oneil"),
        ("d’Artagnan", "dartagnan"),
        ("De La Fontaine", "delafontaine"),
        ("Œuvray", "oeuvray"),
        ("Straße", "strasse"),
        ("Søren", "soren"),
        ("Łukasz", "lukasz"),
        ("Ｊｅａｎ", "jean"),  # full-width letters
        ("李", None),
        ("null", None),
        ("", None),
    ],
)
def test_name_keys(raw: str, expected: str | None) -> None:
    assert name_key(raw) == expected


def test_name_keys_match_across_spellings() -> None:
    spellings = ["JEAN-PIERRE", "Jean Pierre", "jean-pierre", "Jéan-Pierre", " Jean–Pierre "]
    assert {name_key(s) for s in spellings} == {"jeanpierre"}


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("Jean Dupont", "first_last", ("Jean", "Dupont")),
        ("Jean Paul Dupont", "first_last", ("Jean Paul", "Dupont")),
        ("Jean-Pierre de la Fontaine", "first_last", ("Jean-Pierre", "de la Fontaine")),
        ("Ludwig van Beethoven", "first_last", ("Ludwig", "van Beethoven")),
        ("Marine Le Pen", "first_last", ("Marine", "Le Pen")),
        ("Jean d'Ormesson", "first_last", ("Jean", "d'Ormesson")),
        ("Karim Ben Saïd", "first_last", ("Karim", "Ben Saïd")),
        ("DUPONT Jean", "first_last", ("Jean", "DUPONT")),
        ("DUPONT Marie-Claire", "first_last", ("Marie-Claire", "DUPONT")),
        ("DE LA FONTAINE Jean-Pierre", "first_last", ("Jean-Pierre", "DE LA FONTAINE")),
        ("Jean-Pierre DE LA FONTAINE", "first_last", ("Jean-Pierre", "DE LA FONTAINE")),
        ("Jean de LA FONTAINE", "first_last", ("Jean", "de LA FONTAINE")),
        ("J. DUPONT", "first_last", ("J.", "DUPONT")),
        ("JEAN DUPONT", "first_last", ("JEAN", "DUPONT")),
        ("  jean   dupont ", "first_last", ("jean", "dupont")),
        ("Dupont, Jean", "first_last", ("Jean", "Dupont")),
        ("Dupont Jean", "last_first", ("Jean", "Dupont")),
        ("Dupont Jean Paul", "last_first", ("Jean Paul", "Dupont")),
        ("de la Fontaine Jean-Pierre", "last_first", ("Jean-Pierre", "de la Fontaine")),
        ("Le Pen Marine", "last_first", ("Marine", "Le Pen")),
        ("Jean DUPONT", "last_first", ("Jean", "DUPONT")),  # upper case wins
        ("JEAN DUPONT", "last_first", ("DUPONT", "JEAN")),
        ("Dupont, Jean", "last_first", ("Jean", "Dupont")),
        ("Jean", "first_last", ("Jean", None)),
        ("Dupont", "last_first", (None, "Dupont")),
        ("DUPONT", "first_last", (None, "DUPONT")),
    ],
)
def test_full_names_are_split(
    raw: str, order: str, expected: tuple[str | None, str | None]
) -> None:
    assert split_full_name(raw, order) == expected


def test_split_full_name_rejects_an_unknown_order() -> None:
    with pytest.raises(ValueError, match="order"):
        split_full_name("Jean Dupont", "surname_first")


def test_split_then_name_gives_clean_parts() -> None:
    assert normalize_many("first_of", ["DUPONT Marie", "Jean-Pierre de la Fontaine"]) == [
        "Marie",
        "Jean-Pierre",
    ]
    assert normalize_many("last_of", ["DUPONT Marie", "Jean-Pierre de la Fontaine"]) == [
        "Dupont",
        "de la Fontaine",
    ]
    assert normalize_many("last_of", ["Dupont Jean"], order="last_first") == ["Dupont"]
