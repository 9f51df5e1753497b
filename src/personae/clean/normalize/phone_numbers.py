"""Phone numbers to E.164: :func:`phone` for one value, :func:`phones` for many.

A phone is read from its *key*: the raw text with the formatting characters removed
(digits and one leading '+'), and a written trunk prefix "(0)" dropped after an
international prefix ("+33 (0)6 ..."). Letters or other symbols make it invalid.
phone(raw) is phonenumbers' reading of the key: E.164 when is_valid_number, else None;
with ``well_formed=True`` a number phonenumbers finds invalid only because its range is
unallocated (the right length and shape for its country) is kept too, and
:func:`phone_kind` tells the two apart, and mobiles from other lines.
Almost every key is answered by the metadata reader of :mod:`.phone_metadata`; the rest
go to :func:`read_with_phonenumbers`, the reference reading.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Literal

import phonenumbers

from personae.clean.normalize.phone_metadata import (
    ASK,
    PhoneRules,
    home_rules,
    is_mobile,
    is_valid,
    is_well_formed,
    read_fast,
    split_country_code,
)

__all__ = [
    "PARALLEL_THRESHOLD",
    "phone",
    "phone_key",
    "phone_kind",
    "phones",
    "read_with_phonenumbers",
]

_PHONE_FORMATTING = str.maketrans(
    "", "", " ().-/\t" + "\u00a0\u2007\u2009\u202f\u2010\u2011\u2012\u2013"
)
_TRUNK_PREFIX = re.compile(r"\(\s*0\s*\)")
_MAX_PHONE_INPUT = 250  # phonenumbers' _MAX_INPUT_STRING_LENGTH
#: more distinct keys than this are spread over worker processes by phones()
PARALLEL_THRESHOLD = 200_000
_CHUNK = 50_000


def phone_key(raw: str) -> str | None:
    """``+33 (0)6 12-34.56 78`` -> ``+33612345678``; None when it cannot be a number. A
    spreadsheet's leading text marker (``'+33612345678``, as Shopify's exports write
    them) is dropped."""
    text = raw.strip().removeprefix("'").strip()
    key = text.translate(_PHONE_FORMATTING)
    digits = key[1:] if key[:1] == "+" else key
    if len(digits) < 3 or len(key) > _MAX_PHONE_INPUT:
        return None
    if not (digits.isascii() and digits.isdigit()):
        return None
    if "(" in text and (key[0] == "+" or key.startswith("00")):
        key = _TRUNK_PREFIX.sub("", text, count=1).translate(_PHONE_FORMATTING)
    return key


def read_with_phonenumbers(
    key: str, region: str | None, *, well_formed: bool = False
) -> str | None:
    """The reference reading: phonenumbers.parse and is_valid_number (or, with
    ``well_formed``, the number's shape and length in its country's plan)."""
    try:
        number = phonenumbers.parse(key, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        national = phonenumbers.national_significant_number(number)
        code = number.country_code or 0
        if not (well_formed and is_well_formed(code, national)):
            return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _read(
    key: str, region: str | None, home: PhoneRules | None, well_formed: bool = False
) -> str | None:
    value = read_fast(key, home, well_formed=well_formed)
    if value == ASK:
        return read_with_phonenumbers(key, region, well_formed=well_formed)
    return value


#: what :func:`phone_kind` answers
PhoneKind = Literal["mobile", "other", "invalid"]


def phone_kind(e164: str) -> PhoneKind:
    """``mobile`` (a valid number of a mobile range: a person's own), ``other`` (a valid
    fixed line, often a household's, or a service number), ``invalid`` (its range is not
    allocated, or not E.164)."""
    code, national = split_country_code(e164[1:]) if e164[1:2].isdigit() else (0, "")
    if e164[:1] != "+" or not code or not is_valid(code, national):
        return "invalid"
    return "mobile" if is_mobile(code, national) else "other"


def _region(region: str | None) -> str | None:
    return region.strip().upper() or None if region else None


def phone(raw: str | None, region: str | None = "FR", *, well_formed: bool = False) -> str | None:
    """E.164 phone number (``+33612345678``) read in ``region`` (ISO alpha-2).

    ``06 12 34 56 78``, ``06.12.34.56.78``, ``0612345678``, ``+33612345678``,
    ``+33 (0)6 12 34 56 78`` and ``0033612345678`` are one number in region FR.
    Numbers phonenumbers does not find valid, letters and symbols give None; with
    ``well_formed``, a number of the right shape and length in an unallocated range
    (``+33 6 99 …`` when unassigned) is kept.
    """
    if raw is None:
        return None
    key = phone_key(raw)
    region = _region(region)
    return None if key is None else _read(key, region, home_rules(region), well_formed)


def _read_chunk(keys: list[str], region: str | None, well_formed: bool) -> list[str | None]:
    home = home_rules(region)
    return [_read(key, region, home, well_formed) for key in keys]


def phones(
    values: Sequence[str | None],
    region: str | None = "FR",
    *,
    workers: int = 1,
    well_formed: bool = False,
) -> list[str | None]:
    """:func:`phone` over many values, in order.

    Values are pre-stripped to their key and each distinct key is read once (about
    3 us per distinct value). With ``workers`` > 1 and more than ``PARALLEL_THRESHOLD``
    distinct keys, chunks are read by that many spawned processes; on 2 CPUs this saved
    under 10%, so it is off by default.
    """
    region = _region(region)
    keys: list[str | None] = [None if v is None else phone_key(v) for v in values]
    distinct = list(dict.fromkeys(k for k in keys if k is not None))
    if workers > 1 and len(distinct) > PARALLEL_THRESHOLD:
        chunks = [distinct[i : i + _CHUNK] for i in range(0, len(distinct), _CHUNK)]
        # spawned, not forked: the caller may hold engine threads
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parts = pool.map(
                _read_chunk, chunks, [region] * len(chunks), [well_formed] * len(chunks)
            )
            mapped = [value for part in parts for value in part]
    else:
        mapped = _read_chunk(distinct, region, well_formed)
    table = dict(zip(distinct, mapped, strict=True))
    return [None if k is None else table[k] for k in keys]
