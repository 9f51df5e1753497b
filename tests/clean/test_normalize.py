"""The normalisers' contract (absent, invalid, valid) and their batch form."""

from __future__ import annotations

import datetime as dt

import pytest

from personae.clean import normalize
from personae.clean.normalize import email, is_blank, normalize_many, outcome, split_full_name

TODAY = dt.date(2026, 11, 23)

# --------------------------------------------------------------------------- absent / invalid


@pytest.mark.parametrize("raw", [None, "", " ", "\t \n", "\u00a0"])
def test_blank_values_are_absent_for_every_kind(raw: str | None) -> None:
    assert is_blank(raw)
    for kind in sorted(normalize.KINDS):
        assert normalize_many(kind, [raw]) == [None]
    assert outcome(raw, None) == "absent"
    assert split_full_name(raw) == (None, None)


def test_outcome_tells_invalid_from_valid() -> None:
    assert outcome("not-an-email", email("not-an-email")) == "invalid"
    assert outcome(" a@b.fr ", email(" a@b.fr ")) == "valid"
    assert not is_blank("x")


# --------------------------------------------------------------------------- batches


def test_normalize_many_returns_canonical_text_in_order() -> None:
    assert normalize_many("email", [" A@B.fr", None, "x", " A@B.fr"]) == [
        "a@b.fr",
        None,
        None,
        "a@b.fr",
    ]
    assert normalize_many("phone", ["06 12 34 56 78", "0471 23 45 67"], region="BE") == [
        None,  # 06 12 34 56 78 is not a Belgian number
        "+32471234567",
    ]
    assert normalize_many("date", ["03/04/85", "31/02/85"], fmt="%m/%d/%y", today=TODAY) == [
        "1985-03-04",
        None,
    ]
    assert normalize_many("timestamp", ["2024-01-05T10:00:00.5+01:00"]) == [
        "2024-01-05 09:00:00.500000"
    ]
    assert normalize_many("postcode", ["1000"], country="FR") == ["01000"]
    assert normalize_many("name_key", ["Hélène"]) == ["helene"]
    assert normalize_many("country", ["Belgique"]) == ["BE"]
    assert normalize_many("gender", ["Mme"]) == ["female"]
    assert normalize_many("language", ["fr_FR"]) == ["fr"]


def test_normalize_many_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        normalize_many("shoe_size", ["42"])
