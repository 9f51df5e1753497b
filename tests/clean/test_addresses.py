"""Street lines: French street types written in full after the house number."""

from __future__ import annotations

import pytest

from personae.clean.normalize import address


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # the same address written two ways was two values, so most_recent chose the
        # abbreviated one whenever it was newer
        ("6 bis r. des Lilas", "6 bis rue des Lilas"),
        ("16 bd Victor Hugo", "16 boulevard Victor Hugo"),
        ("164 all. des Peupliers", "164 allée des Peupliers"),
        ("12, av de la Gare", "12, avenue de la Gare"),
        ("7 R. Jean Jaurès", "7 Rue Jean Jaurès"),
        ("3 AV. FOCH", "3 AVENUE FOCH"),
        ("  5   pl.  du Marché ", "5 place du Marché"),
        ("4 ter rte de Lyon", "4 ter route de Lyon"),
        ("12 b r. Pasteur", "12 b rue Pasteur"),
    ],
)
def test_abbreviated_street_types_are_written_in_full(raw: str, expected: str) -> None:
    assert address(raw) == expected
    assert address(expected) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "10 Place d'Armes",  # already in full
        "Hauptstraße 5",  # another layout
        "Calle Mayor, 3",
        "Résidence Les Pins",  # no house number
        "12 Saint-Av",  # not a street type
        "BP 42",
    ],
)
def test_other_lines_stay_as_written(raw: str) -> None:
    assert address(raw) == raw


def test_blank_is_absent() -> None:
    assert address("   ") is None and address(None) is None
