"""Phones to E.164: the formats people write, junk, batches, the fast reader."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from personae.clean.normalize import (
    outcome,
    phone,
    phone_kind,
    phone_metadata,
    phone_numbers,
    phones,
)

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
    monkeypatch.setattr(phone_numbers, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(phone_numbers, "_CHUNK", 7)
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
        fast = phone_metadata.read_fast(key, phone_metadata.home_rules(region))
        if fast == phone_metadata.ASK:
            continue
        answered += 1
        assert fast == phone_numbers.read_with_phonenumbers(key, region), (key, region)
    assert answered > 2500


def test_fast_reader_keeps_the_same_well_formed_numbers_as_phonenumbers() -> None:
    answered = kept = 0
    for key, region in _random_keys(3000, seed=12):
        home = phone_metadata.home_rules(region)
        fast = phone_metadata.read_fast(key, home, well_formed=True)
        if fast == phone_metadata.ASK:
            continue
        answered += 1
        reference = phone_numbers.read_with_phonenumbers(key, region, well_formed=True)
        assert fast == reference, (key, region)
        kept += fast is not None and phone_metadata.read_fast(key, home) is None
    assert answered > 2500 and kept > 50


# --------------------------------------------------------------------------- unallocated ranges


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("04 00 12 34 56", "+33400123456"),  # French geographic, range not allocated
        ("07 00 00 00 00", "+33700000000"),
        ("+49 100 1234567", "+491001234567"),
        ("+32 400 00 00 00", "+32400000000"),
    ],
)
def test_a_well_formed_number_in_an_unallocated_range_is_kept_and_flagged(
    raw: str, e164: str
) -> None:
    assert phone(raw) is None  # phonenumbers: not a valid number
    assert phone(raw, well_formed=True) == e164
    assert phones([raw, "06 12 34 56 78"], "FR", well_formed=True) == [e164, "+33612345678"]
    assert phone_kind(e164) == "invalid"
    assert phone_kind("+33612345678") == "mobile"
    assert phone_kind("+33145678901") == "other"  # a Paris fixed line


@pytest.mark.parametrize("raw", ["0000000000", "06 12 34 56", "06 12 34 56 78 90 12", "abc"])
def test_malformed_numbers_stay_invalid_even_when_kept_well_formed(raw: str) -> None:
    assert phone(raw, well_formed=True) is None


@pytest.mark.parametrize(
    ("e164", "kind"),
    [
        ("+33612345678", "mobile"),
        ("+33761234567", "mobile"),
        ("+33145678901", "other"),
        ("+33912345678", "other"),
        ("+4917612345678", "mobile"),
        ("+3222345678", "other"),
        ("+12015550123", "mobile"),  # the US does not tell mobiles from fixed lines
        ("+33400123456", "invalid"),
        ("0612345678", "invalid"),
        ("+", "invalid"),
    ],
)
def test_phone_kind_agrees_with_phonenumbers(e164: str, kind: str) -> None:
    assert phone_kind(e164) == kind
    if kind != "invalid":
        number = phonenumbers.parse(e164)
        types = {
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        }
        assert (phonenumbers.number_type(number) in types) == (kind == "mobile")


def test_a_spreadsheet_text_marker_before_a_phone_is_dropped() -> None:
    # exports meant for Excel write '+33612345678 so the + survives
    assert phone("'+33612345678", "FR") == "+33612345678"
    assert phone("'06 12 34 56 78", "FR") == "+33612345678"
    assert phone("'", "FR") is None
