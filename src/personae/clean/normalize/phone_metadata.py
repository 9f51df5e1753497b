"""A fast, exact reader of phonenumbers' metadata for the phone keys it fully understands.

``phonenumbers.parse`` + ``is_valid_number`` cost about 16-23 us a number, and the clean
stage reads millions of distinct phone strings. Of that, ``is_valid_number`` alone is
about 10 us (it tries each number type's pattern in turn, through phonenumbers' regex
cache) and ``parse`` most of the rest. Neither has a cheaper public form, so this module
repeats their steps from the same ``PhoneMetadata``, compiled once per region into
:class:`PhoneRules` (validity: under 1 us; a whole key: about 3 us):

* ``parse``: a '+' or the region's literal international prefix (``00``), the country
  calling code, national prefix stripping without a transform rule;
* ``is_valid_number``: the region of a shared calling code (``region_code_for_number``)
  and "some number type matches", as one regular expression per number length.

:func:`read_fast` returns :data:`ASK` for a key that takes any other branch of ``parse``;
the caller then asks phonenumbers itself. ``tests/clean/test_phone.py`` checks that both
readings agree on many generated keys in every region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

__all__ = [
    "ASK",
    "MAX_NSN",
    "PhoneRules",
    "home_rules",
    "is_mobile",
    "is_valid",
    "is_well_formed",
    "read_fast",
    "rules_for",
    "split_country_code",
]

MAX_NSN = 17  # phonenumbers' _MAX_LENGTH_FOR_NSN
#: read_fast's answer when the key needs a branch of parse() not reproduced here
ASK = ""


@dataclass(frozen=True, slots=True)
class PhoneRules:
    """The parts of one ``PhoneMetadata`` that parse() and is_valid_number() read."""

    country_code: int
    prefix: str  # str(country_code)
    idd: str | None  # international prefix when it is a plain digit string
    idd_pattern: re.Pattern[str] | None  # international prefix when it is not
    national_prefix: re.Pattern[str] | None
    transform: bool  # national prefix transform rule present
    leading_digits: re.Pattern[str] | None
    general: re.Pattern[str] | None
    possible_lengths: tuple[int, ...]  # of the general description, sorted
    local_lengths: frozenset[int]
    #: length -> one regex over every number type that admits that length
    by_length: dict[int, re.Pattern[str]]
    #: numbers that can be mobiles (phonenumbers' MOBILE or FIXED_LINE_OR_MOBILE)
    mobile: re.Pattern[str] | None = None

    @classmethod
    def from_metadata(cls, metadata: Any) -> PhoneRules | None:
        general = metadata.general_desc
        if general is None or not general.possible_length:
            return None
        mobile_counts = not metadata.same_mobile_and_fixed_line_pattern
        # the descriptions phonenumbers' _number_type_helper tries, UNKNOWN when none match
        descs = [
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
            metadata.fixed_line,
            metadata.mobile if mobile_counts else None,
        ]
        by_length: dict[int, re.Pattern[str]] = {}
        for size in general.possible_length:
            patterns = [
                d.national_number_pattern
                for d in descs
                if d is not None
                and d.national_number_pattern
                and (not d.possible_length or size in d.possible_length)
            ]
            if patterns:
                by_length[size] = re.compile("|".join(f"(?:{p})" for p in patterns))
        idd = metadata.international_prefix
        npfp = metadata.national_prefix_for_parsing
        leading = metadata.leading_digits
        return cls(
            country_code=metadata.country_code,
            prefix=str(metadata.country_code),
            idd=idd if idd and idd.isdigit() else None,
            idd_pattern=re.compile(idd) if idd and not idd.isdigit() else None,
            national_prefix=re.compile(npfp) if npfp else None,
            transform=bool(metadata.national_prefix_transform_rule),
            leading_digits=re.compile(leading) if leading else None,
            general=re.compile(general.national_number_pattern)
            if general.national_number_pattern
            else None,
            possible_lengths=tuple(general.possible_length),
            local_lengths=frozenset(general.possible_length_local_only),
            by_length=by_length,
            mobile=_pattern(metadata.mobile),
        )

    def matches_general(self, number: str) -> bool:
        return self.general is not None and self.general.fullmatch(number) is not None

    def is_known_type(self, number: str) -> bool:
        """phonenumbers' ``_number_type_helper(number) != UNKNOWN``."""
        pattern = self.by_length.get(len(number))  # only lengths of the general description
        if pattern is None or not self.matches_general(number):
            return False
        return pattern.fullmatch(number) is not None

    def length_allows_strip(self, number: str) -> bool:
        """phonenumbers' ``_test_number_length`` is not TOO_SHORT/LOCAL_ONLY/INVALID."""
        size = len(number)
        if size in self.local_lengths:
            return False
        return size in self.possible_lengths or size > self.possible_lengths[-1]


def _pattern(desc: Any) -> re.Pattern[str] | None:
    pattern = desc.national_number_pattern if desc is not None else None
    return re.compile(pattern) if pattern else None


@cache
def rules_for(country_code: int, region: str) -> PhoneRules | None:
    """The rules of ``region`` (of ``country_code`` for the non-geographic region ``001``)."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    return None if metadata is None else PhoneRules.from_metadata(metadata)


def home_rules(region: str | None) -> PhoneRules | None:
    """The rules of the region numbers without a country code are read in; None: none."""
    return rules_for(phonenumbers.country_code_for_region(region), region) if region else None


def is_valid(country_code: int, number: str) -> bool:
    """phonenumbers' ``is_valid_number`` for a country code and national number."""
    rules = _number_rules(country_code, number)
    return rules is not None and rules.is_known_type(number)


def is_mobile(country_code: int, number: str) -> bool:
    """A valid number of a mobile range (where a country does not tell mobiles from fixed
    lines, any valid number): a person's own phone rather than a household's line."""
    rules = _number_rules(country_code, number)
    if rules is None or not rules.is_known_type(number):
        return False
    return rules.mobile is not None and rules.mobile.fullmatch(number) is not None


def _number_rules(country_code: int, number: str) -> PhoneRules | None:
    """The rules of the region a number belongs to, as ``region_code_for_number`` finds it."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return None
    region: str | None = regions[0]
    if len(regions) > 1:  # region_code_for_number, as phonenumbers does it
        region = None
        for candidate in regions:
            rules = rules_for(country_code, candidate)
            if rules is None:
                continue
            if rules.leading_digits is not None:
                if rules.leading_digits.match(number):
                    region = candidate
                    break
            elif rules.is_known_type(number):
                region = candidate
                break
        if region is None:
            return None
    return rules_for(country_code, region)


def is_well_formed(country_code: int, number: str) -> bool:
    """A number of the country's numbering plan: its general pattern and one of its
    possible lengths (not a local-only one). Its range may be unallocated, so
    ``is_valid`` may still say no: such a number is kept, flagged as not valid."""
    for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        rules = rules_for(country_code, region)
        possible = rules is not None and len(number) in rules.possible_lengths
        if possible and rules is not None and rules.matches_general(number):
            return True
    return False


def _strip_national_prefix(number: str, rules: PhoneRules) -> str | None:
    """parse()'s national prefix stripping; None when it needs phonenumbers itself."""
    if rules.national_prefix is None or not number:
        return number
    match = rules.national_prefix.match(number)
    if match is None:
        return number
    if rules.transform:
        return None
    stripped = number[match.end() :]
    if rules.matches_general(number) and not rules.matches_general(stripped):
        return number
    return stripped if rules.length_allows_strip(stripped) else number


def split_country_code(digits: str) -> tuple[int, str]:
    """parse()'s ``_extract_country_code``: (0, digits) when none is known."""
    if digits[0] == "0":
        return 0, digits
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[size:]
    return 0, digits


def read_fast(key: str, home: PhoneRules | None, *, well_formed: bool = False) -> str | None:
    """phonenumbers' reading of a key (see ``phone_numbers.phone_key``) in the region
    ``home``: E.164 when valid (or, with ``well_formed``, when :func:`is_well_formed`),
    None when invalid, :data:`ASK` when the key needs a branch of parse() not reproduced
    here."""
    international: str | None = None
    if key[0] == "+":
        international = key[1:]
    elif home is not None and home.idd is not None and key.startswith(home.idd):
        rest = key[len(home.idd) :]
        if rest[:1] != "0":
            international = rest
    if international is not None:
        if len(international) <= 2:
            return None  # TOO_SHORT_AFTER_IDD
        code, number = split_country_code(international)
        if code == 0:
            return ASK  # phonenumbers retries without the '+'
        rules = rules_for(code, COUNTRY_CODE_TO_REGION_CODE[code][0])
    else:
        if home is None or key.startswith(home.prefix):
            return ASK  # no region, or a country code without '+'
        if home.idd_pattern is not None and home.idd_pattern.match(key):
            return ASK
        code, number, rules = home.country_code, key, home
    if rules is None:
        return ASK
    if len(number) < 2:
        return None  # TOO_SHORT_NSN
    national = _strip_national_prefix(number, rules)
    if national is None:
        return ASK  # a national prefix transform rule
    if len(national) > MAX_NSN:
        return None
    if is_valid(code, national) or (well_formed and is_well_formed(code, national)):
        return f"+{code}{national}"
    return None
