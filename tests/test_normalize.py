"""The value normalisers: each canonical form, what is invalid, and the batch forms."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import phonenumbers
import pytest

from personae.clean import normalize
from personae.clean.normalize import (
    country,
    date,
    email,
    email_sql,
    gender,
    is_blank,
    language,
    name,
    name_key,
    normalize_many,
    outcome,
    phone,
    phones,
    postcode,
    split_full_name,
    timestamp,
)

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


# --------------------------------------------------------------------------- phones

FRENCH_MOBILE = [
    "06 12 34 56 78",
    "+33612345678",
    "+33 (0)6 12 34 56 78",
    "0612345678",
    "06.12.34.56.78",
    "0033612345678",
    "06-12-34-56-78",
    "+33 6 12 34 56 78",
    "+33 06 12 34 56 78",
    "0033 (0)6 12 34 56 78",
    " 06 12 34 56 78 ",
    "06\u00a012\u00a034\u00a056\u00a078",
    "612345678",
]


@pytest.mark.parametrize("raw", FRENCH_MOBILE)
def test_french_formats_are_one_e164_number(raw: str) -> None:
    assert phone(raw, "FR") == "+33612345678"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+32 471 23 45 67", "FR", "+32471234567"),
        ("0032 471 23 45 67", "FR", "+32471234567"),
        ("+32 (0)471 23 45 67", "FR", "+32471234567"),
        ("0471 23 45 67", "BE", "+32471234567"),
        ("+32 2 511 11 11", "FR", "+3225111111"),
        ("+41 79 123 45 67", "FR", "+41791234567"),
        ("0041 79 123 45 67", "FR", "+41791234567"),
        ("+41 (0)79 123 45 67", "FR", "+41791234567"),
        ("079 123 45 67", "CH", "+41791234567"),
        ("01 23 45 67 89", "FR", "+33123456789"),
        ("+1 (212) 555-0123", "FR", "+12125550123"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("+44 (0)20 7946 0958", "FR", "+442079460958"),
        ("0612345678", "fr", "+33612345678"),
        ("+33612345678", None, "+33612345678"),
    ],
)
def test_foreign_numbers_and_regions(raw: str, region: str | None, expected: str) -> None:
    assert phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "0000000000",
        "123",
        "06 12 34 56",
        "06 12 34 56 78 9",
        "abc",
        "06 12 34 56 7a",
        "tel: 06 12 34 56 78",
        "06 12 34 56 78 ext 12",
        "#0612345678",
        "+33",
        "+",
        "06+12345678",
        "0612345678 / 0698765432",
        "+999 123 456 789",
        "0471 23 45 67 89",
        "٠٦١٢٣٤٥٦٧٨",  # Arabic-Indic digits are not read
    ],
)
def test_junk_phones_are_invalid(raw: str) -> None:
    assert phone(raw, "FR") is None
    assert outcome(raw, phone(raw, "FR")) == "invalid"


def test_phones_batch_keeps_order_and_matches_single_values() -> None:
    values = [*FRENCH_MOBILE, None, "", "0000000000", "+32 471 23 45 67", "06 12 34 56 78"]
    assert phones(values, "FR") == [phone(v, "FR") for v in values]
    assert phones([], "FR") == []


def test_phones_batch_in_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalize, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(normalize, "_CHUNK", 7)
    values = [f"06 12 34 56 {i:02d}" for i in range(40)] + ["junk", None]
    assert phones(values, "FR", workers=2) == phones(values, "FR", workers=1)


def _random_keys(count: int, seed: int) -> list[tuple[str, str]]:
    """Keys in every region's styles, many of them mutated into invalid numbers."""
    rng = random.Random(seed)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    common = ["FR", "BE", "CH", "US", "GB", "DE", "IT", "CA", "GP", "RE", "MA", "AR", "BR"]
    keys: list[tuple[str, str]] = []
    while len(keys) < count:
        region = rng.choice(regions + common * 10)
        example = phonenumbers.example_number_for_type(rng.choice(regions), rng.randrange(4))
        if example is None:
            continue
        code = str(example.country_code)
        digits = list(phonenumbers.national_significant_number(example))
        for _ in range(rng.randrange(3)):
            digits[rng.randrange(len(digits))] = str(rng.randrange(10))
        nsn = "".join(digits)
        key = rng.choice(
            [f"+{code}{nsn}", f"00{code}{nsn}", f"0{nsn}", f"{code}{nsn}", f"+{code}0{nsn}", nsn]
        )
        keys.append((key, region))
    return keys


def test_fast_phone_reader_agrees_with_phonenumbers() -> None:
    """The metadata fast path either answers exactly like phonenumbers or defers to it."""
    answered = 0
    for key, region in _random_keys(3000, seed=11):
        fast = normalize._phone_fast(key, normalize._home(region))
        if fast == normalize._ASK:
            continue
        answered += 1
        assert fast == normalize._phone_slow(key, region), (key, region)
    assert answered > 2500


# --------------------------------------------------------------------------- e-mails


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jean.dupont@gmail.com", "jean.dupont@gmail.com"),
        (" Jean.Dupont@Gmail.COM ", "jean.dupont@gmail.com"),
        ("mailto:jean@x.fr", "jean@x.fr"),
        ("MailTo:Jean@X.fr", "jean@x.fr"),
        ("<jean@x.fr>", "jean@x.fr"),
        ('"jean@x.fr"', "jean@x.fr"),
        ("'jean@x.fr'", "jean@x.fr"),
        ("<mailto:jean@x.fr>", "jean@x.fr"),
        ("o'neil@x.fr", "o'neil@x.fr"),
        ("jean+promo@x.fr", "jean+promo@x.fr"),
        ("a@sub.domain.example.org", "a@sub.domain.example.org"),
        ("a@x.xn--p1ai", "a@x.xn--p1ai"),
        ("a" * 64 + "@x.fr", "a" * 64 + "@x.fr"),
    ],
)
def test_valid_emails(raw: str, expected: str) -> None:
    assert email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "not-an-email",
        "jean@",
        "@x.fr",
        "jean@x",
        "jean@x.f",
        "jean@x.f1",
        "jean@@x.fr",
        "je an@x.fr",
        "jean@x .fr",
        "jean..dupont@x.fr",
        ".jean@x.fr",
        "jean.@x.fr",
        "jean@x..fr",
        "jean@-x.fr",
        "jean@x-.fr",
        "jean@x.fr.",
        "jean@[192.168.0.1]",
        '"jean dupont"@x.fr',
        "jéan@x.fr",
        "jean@exämple.fr",
        "\u212aelvin@x.fr",
        "a@x.fr,b@x.fr",
        "a" * 65 + "@x.fr",
        "a@" + "b" * 64 + ".fr",
        "a@" + ("b" * 62 + ".") * 4 + "fr",  # 256 characters
    ],
)
def test_invalid_emails(raw: str) -> None:
    assert email(raw) is None


EMAIL_PARITY = [
    None,
    "",
    "   ",
    "jean.dupont@gmail.com",
    " Jean.Dupont@Gmail.COM ",
    "\tjean@x.fr\n",
    "\u00a0jean@x.fr\u00a0",
    "\ufeffjean@x.fr",
    "jean@x.fr\u200b",
    "mailto:jean@x.fr",
    "MAILTO:Jean@X.fr",
    "mailto: jean@x.fr",
    "<jean@x.fr>",
    ' "jean@x.fr" ',
    "'jean@x.fr'",
    "<mailto:jean@x.fr>",
    "mailto:<jean@x.fr>",
    " < jean@x.fr > ",
    "<jean@x.fr",
    "jean@x.fr>",
    "<<jean@x.fr>>",
    "o'neil@x.fr",
    "'o'neil@x.fr'",
    "j_d-x!#$%&*/=?^`{|}~@x.fr",
    "a@b.co",
    "a@xn--bcher-kva.de",
    "a@x.xn--p1ai",
    "a@1-2.fr",
    "JEAN@X.FR",
    "jean@",
    "jean@x",
    "jean@x.f",
    "jean@@x.fr",
    "je an@x.fr",
    "jean..dupont@x.fr",
    ".jean@x.fr",
    "jean@x..fr",
    "jean@-x.fr",
    "jean@x-.fr",
    "jean@x.fr.",
    "jean@[192.168.0.1]",
    '"jean dupont"@x.fr',
    "jéan@x.fr",
    "\u212aelvin@x.fr",
    "ſam@x.fr",
    "jean@x.fr\nother",
    "a@x.fr,b@x.fr",
    "a" * 64 + "@x.fr",
    "a" * 65 + "@x.fr",
    "a" * 64 + "@" + ("b" * 62 + ".") * 3 + "b" * 57 + ".fr",  # 254 characters
    "a" * 64 + "@" + ("b" * 62 + ".") * 3 + "b" * 58 + ".fr",  # 255 characters
    "a@" + "b" * 63 + ".fr",
    "a@" + "b" * 64 + ".fr",
]


def _sql_emails(values: list[str | None], wrap: str = "{}") -> list[str | None]:
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (i INTEGER, raw VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
        sql = email_sql(wrap.format("raw"))
        return [row[0] for row in con.execute(f"SELECT {sql} FROM t ORDER BY i").fetchall()]
    finally:
        con.close()


def test_email_sql_gives_the_python_result_on_tricky_inputs() -> None:
    assert len(EMAIL_PARITY) >= 40
    assert _sql_emails(EMAIL_PARITY) == [email(v) for v in EMAIL_PARITY]
    # as the clean stage calls it: over the trimmed raw text, blank as NULL
    trimmed = _sql_emails(EMAIL_PARITY, "nullif(trim({}), '')")
    assert trimmed == [email(v) for v in EMAIL_PARITY]
    assert sum(v is not None for v in trimmed) >= 15


def test_email_sql_gives_the_python_result_on_random_strings() -> None:
    rng = random.Random(5)
    alphabet = [*"ab.@-_ <>\"'+xnfr0é\t", "mailto:", ".fr", "@x", "xn--"]
    values: list[str | None] = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(4000)
    ]
    assert _sql_emails(values) == [email(v) for v in values]


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


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("03/04/85", "%d/%m/%y", dt.date(1985, 4, 3)),
        ("03/04/85", "%m/%d/%y", dt.date(1985, 3, 4)),
        ("3/4/85", "%m/%d/%y", dt.date(1985, 3, 4)),
        ("1/2/15", "%m/%d/%y", dt.date(2015, 1, 2)),
        ("11/23/26", "%m/%d/%y", dt.date(2026, 11, 23)),  # today stays in this century
        ("12/31/26", "%m/%d/%y", dt.date(1926, 12, 31)),  # would be in the future
        ("29/02/00", "%d/%m/%y", dt.date(2000, 2, 29)),
        ("03/04/1985", "%d/%m/%Y", dt.date(1985, 4, 3)),
        (" 3/4/1985 ", "%d/%m/%Y", dt.date(1985, 4, 3)),
        ("1985-04-03", "%Y-%m-%d", dt.date(1985, 4, 3)),
        ("1985-4-3", "%Y-%m-%d", dt.date(1985, 4, 3)),
        ("19850403", "%Y%m%d", dt.date(1985, 4, 3)),
        ("29/02/2024", "%d/%m/%Y", dt.date(2024, 2, 29)),
        ("24/11/2026", "%d/%m/%Y", dt.date(2026, 11, 24)),  # one day ahead is tolerated
        ("1985-04-03", None, dt.date(1985, 4, 3)),
        (" 1985-4-3 ", None, dt.date(1985, 4, 3)),
        ("19850403", None, dt.date(1985, 4, 3)),
        ("1985-04-03T23:30:00-05:00", None, dt.date(1985, 4, 3)),
    ],
)
def test_dates(raw: str, fmt: str | None, expected: dt.date) -> None:
    assert date(raw, fmt, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [
        ("31/02/1980", "%d/%m/%Y"),
        ("29/02/2023", "%d/%m/%Y"),
        ("13/13/85", "%m/%d/%y"),
        ("00/01/1985", "%d/%m/%Y"),
        ("01/01/1899", "%d/%m/%Y"),
        ("25/11/2026", "%d/%m/%Y"),  # more than a day in the future
        ("01/01/2100", "%d/%m/%Y"),
        ("1985-04-03", "%d/%m/%Y"),  # another format than the source's
        ("03/04/85", "%d/%m/%Y"),
        ("03/04/1985", "%d/%m/%y"),
        ("03/04/1985", None),
        ("1985-02-30", None),
        ("not a date", None),
        ("not a date", "%d/%m/%Y"),
    ],
)
def test_impossible_or_unreadable_dates_are_invalid(raw: str, fmt: str | None) -> None:
    assert date(raw, fmt, today=TODAY) is None


def test_date_defaults_to_the_current_day() -> None:
    assert date("1/2/15", "%m/%d/%y") == dt.date(2015, 1, 2)
    tomorrow_plus_one = dt.date.today() + dt.timedelta(days=2)
    assert date(tomorrow_plus_one.isoformat()) is None


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("2024-01-05T10:00:00Z", None, dt.datetime(2024, 1, 5, 10)),
        ("2024-01-05T10:00:00+02:00", None, dt.datetime(2024, 1, 5, 8)),
        ("2024-01-05T10:00:00-0500", None, dt.datetime(2024, 1, 5, 15)),
        ("2024-01-05T23:30:00-01:00", None, dt.datetime(2024, 1, 6, 0, 30)),
        ("2024-01-05 10:00:00.123456789", None, dt.datetime(2024, 1, 5, 10, 0, 0, 123456)),
        ("2024-01-05T10:00:00.5Z", None, dt.datetime(2024, 1, 5, 10, 0, 0, 500000)),
        (" 2024-01-05 10:00 ", None, dt.datetime(2024, 1, 5, 10)),
        ("2024-01-05", None, dt.datetime(2024, 1, 5)),
        ("02/10/2026 14:30", "%d/%m/%Y %H:%M", dt.datetime(2026, 10, 2, 14, 30)),
        ("2024-01-05 10:00 +0100", "%Y-%m-%d %H:%M %z", dt.datetime(2024, 1, 5, 9)),
        ("2090-01-01T00:00:00", None, dt.datetime(2090, 1, 1)),
    ],
)
def test_timestamps_are_naive_utc(raw: str, fmt: str | None, expected: dt.datetime) -> None:
    value = timestamp(raw, fmt)
    assert value == expected
    assert value is not None and value.tzinfo is None


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [("not a date", None), ("1850-01-01T00:00:00", None), ("2024-13-01", None), ("x", "%Y")],
)
def test_unreadable_timestamps_are_invalid(raw: str, fmt: str | None) -> None:
    assert timestamp(raw, fmt) is None


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
