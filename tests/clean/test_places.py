"""Postcodes by country and countries from codes and names."""

from __future__ import annotations

import pytest

from personae.clean import normalize
from personae.clean.normalize import country, postcode

# --------------------------------------------------------------------------- postcodes


@pytest.mark.parametrize(
    ("raw", "code", "expected"),
    [
        ("75011", "FR", "75011"),
        ("75 011", "FR", "75011"),
        ("1000", "FR", "01000"),  # Bourg-en-Bresse lost its leading zero
        ("F-75011", "FR", "75011"),
        ("98000", "MC", "98000"),
        ("1000", "BE", "1000"),
        ("B-1000", "BE", "1000"),
        ("1200", "CH", "1200"),
        ("CH-1200", "CH", "1200"),
        ("1010", "AT", "1010"),
        ("1000", "DK", "1000"),
        ("0150", "NO", "0150"),
        ("L-1234", "LU", "1234"),
        ("10115", "DE", "10115"),
        ("01067", "DE", "01067"),
        ("28001", "ES", "28001"),
        ("00118", "IT", "00118"),
        ("sw1a1aa", "GB", "SW1A 1AA"),
        ("SW1A  1AA", "GB", "SW1A 1AA"),
        ("m1 1ae", "GB", "M1 1AE"),
        ("EC1A1BB", "GB", "EC1A 1BB"),
        ("1234ab", "NL", "1234 AB"),
        ("1234 AB", "NL", "1234 AB"),
        ("12345", "US", "12345"),
        ("12345-6789", "US", "12345-6789"),
        ("123456789", "US", "12345-6789"),
        ("1000-001", "PT", "1000-001"),
        ("00950", "PL", "00-950"),
        ("11455", "SE", "114 55"),
        ("k1a0b1", "CA", "K1A 0B1"),
        ("1000", "Belgique", "1000"),  # a country name is read too
        (" ab-12  3 ", None, "AB-12 3"),
        ("d02 x285", "IE", "D02 X285"),  # no rule: upper case, single spaces
    ],
)
def test_postcodes_by_country(raw: str, code: str | None, expected: str) -> None:
    assert postcode(raw, code) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("123", "FR"),
        ("123456", "FR"),
        ("7501A", "FR"),
        ("00100", "FR"),
        ("75011 Paris", "FR"),
        ("0100", "BE"),
        ("12345", "BE"),
        ("123", "CH"),
        ("1234", "DE"),
        ("99000", "ES"),
        ("SW1A", "GB"),
        ("QW1A 1AA", "GB"),
        ("1234 SA", "NL"),
        ("0123 AB", "NL"),
        ("1234", "US"),
        ("12345-67", "US"),
        ("N/A", None),
        ("PARIS", None),
        ("7501#", None),
    ],
)
def test_invalid_postcodes(raw: str, code: str | None) -> None:
    assert postcode(raw, code) is None


# --------------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("France", "FR"),
        ("FRANCE", "FR"),
        ("fr", "FR"),
        ("FR", "FR"),
        ("FRA", "FR"),
        (" france ", "FR"),
        ("Belgique", "BE"),
        ("Belgium", "BE"),
        ("België", "BE"),
        ("Belgie", "BE"),
        ("Suisse", "CH"),
        ("Schweiz", "CH"),
        ("Switzerland", "CH"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Germany", "DE"),
        ("Royaume-Uni", "GB"),
        ("royaume uni", "GB"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("GBR", "GB"),
        ("España", "ES"),
        ("Espana", "ES"),
        ("Espagne", "ES"),
        ("Italie", "IT"),
        ("Italia", "IT"),
        ("Luxembourg", "LU"),
        ("Pays-Bas", "NL"),
        ("The Netherlands", "NL"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("États-Unis", "US"),
        ("ETATS-UNIS", "US"),
        ("Canada", "CA"),
        ("Maroc", "MA"),
        ("Morocco", "MA"),
        ("Algérie", "DZ"),
        ("Tunisie", "TN"),
        ("Norvège", "NO"),
        ("Österreich", "AT"),
        ("Polska", "PL"),
        ("Ελλάδα", "GR"),
        ("Côte d’Ivoire", "CI"),
        ("Sénégal", "SN"),
        ("La Réunion", "RE"),
        ("Türkiye", "TR"),
        ("Turquie", "TR"),
    ],
)
def test_countries(raw: str, expected: str) -> None:
    assert country(raw) == expected


@pytest.mark.parametrize("raw", ["Atlantis", "XX", "Europe", "Paris", "123", "Korea", "-"])
def test_unknown_countries_are_invalid(raw: str) -> None:
    assert country(raw) is None


EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"


def test_every_country_code_reads_as_itself() -> None:
    assert len(normalize.COUNTRY_CODES) >= 249
    for code in [*EU.split(), "GB", "CH", "NO", "IS", "LI", "US", "CA", "MA", "DZ", "TN"]:
        assert code in normalize.COUNTRY_CODES
    for code in normalize.COUNTRY_CODES:
        assert country(code) == code
        assert country(code.lower()) == code


def test_a_spreadsheet_text_marker_before_a_postcode_is_dropped() -> None:
    # Shopify's order export writes Billing Zip as '75011 so Excel keeps the zero
    assert postcode("'75011", "FR") == "75011"
    assert postcode("'01000", "FR") == "01000"
    assert postcode("'SW1A 1AA", "GB") == "SW1A 1AA"
    assert postcode("'", "FR") is None
