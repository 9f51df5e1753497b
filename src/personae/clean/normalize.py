"""Value normalisers: one raw value in, its canonical value (or ``None``) out.

Contract
========
Every normaliser takes a raw string (or ``None``) and returns the canonical value or
``None``. A ``None`` result has one of two meanings, and the caller tells them apart
with :func:`is_blank` (or :func:`outcome`, which does it for you):

* **absent** -- the raw value is ``None``, empty or whitespace only
  (``is_blank(raw)``). Not a data-quality problem: it is not counted as invalid.
* **invalid** -- the raw value is not blank but cannot be read with certainty.
  Nothing is ever guessed: ``31/02/1980``, ``0000000000`` or ``jean@`` give ``None``.
* **valid** -- anything else: the canonical value.

Functions are pure (no I/O; the only state is a few internal caches) and cheap. The
clean stage applies them to *distinct* raw values only, stores the mapping and joins it
back in SQL (see ARCHITECTURE.md, "The engine seam"); e-mails are cleaned in SQL
directly with :func:`email_sql`, the twin of :func:`email`.

API
===
==========================================================  =============================
``email(raw) -> str | None``                                ``jean.dupont@gmail.com``
``email_sql(column_sql) -> str``                            DuckDB SQL giving ``email``
``phone(raw, region="FR") -> str | None``                   E.164: ``+33612345678``
``phones(values, region="FR", *, workers=1)``               batch form of ``phone``
``name(raw) -> str | None``                                 ``JEAN-PIERRE`` -> ``Jean-Pierre``
``name_key(raw) -> str | None``                             ``Lefèvre`` -> ``lefevre``
``split_full_name(raw, order="first_last")``                ``(first, last)``
``date(raw, fmt=None, *, today=None) -> datetime.date``     strftime format or ISO 8601
``timestamp(raw, fmt=None) -> datetime.datetime``           naive UTC
``postcode(raw, country=None) -> str | None``               per-country written form
``country(raw) -> str | None``                              ISO 3166-1 alpha-2
``gender(raw) -> str | None``                               ``female``/``male``/``other``
``language(raw) -> str | None``                             ISO 639-1
``is_blank(raw) -> bool``, ``outcome(raw, value)``          absent / invalid / valid
``normalize_many(kind, values, **options)``                 batch form, canonical text
==========================================================  =============================

``normalize_many(kind, values, *, region, fmt, country, order, today)`` maps a list of
raw values with one kind (``KINDS``) and returns canonical *text* (dates as
``YYYY-MM-DD``, timestamps as ``YYYY-MM-DD HH:MM:SS[.ffffff]``), ready to be written to a
lookup table; each distinct value is computed once. Phones go through :func:`phones`,
which pre-strips every value to digits, de-duplicates, answers almost every number with
an exact reader of the phonenumbers metadata and hands the rest to ``phonenumbers.parse``
(about 3 us per distinct value instead of 16 us).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from personae.clean.iso_tables import COUNTRY_TABLE, LANGUAGE_TABLE
from personae.sql import literal

__all__ = [
    "KINDS",
    "country",
    "date",
    "email",
    "email_sql",
    "gender",
    "is_blank",
    "language",
    "name",
    "name_key",
    "normalize_many",
    "outcome",
    "phone",
    "phones",
    "postcode",
    "split_full_name",
    "timestamp",
]

Outcome = Literal["absent", "invalid", "valid"]


def is_blank(raw: str | None) -> bool:
    """True for an *absent* value: ``None``, empty or whitespace only."""
    return raw is None or not raw.strip()


def outcome(raw: str | None, value: object) -> Outcome:
    """Classify one normalisation: ``absent``, ``invalid`` or ``valid``."""
    if value is not None:
        return "valid"
    return "absent" if is_blank(raw) else "invalid"


def _fold(text: str) -> str:
    """Lower case without accents, for matching words people type (``États`` -> ``etats``)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold()


# =========================================================================== e-mail
#
# One regular expression, written in the common subset of Python's ``re`` and RE2
# (DuckDB), is the whole definition of a valid e-mail. ASCII letters are spelt out
# ([A-Za-z], never a case-insensitive flag) because case folding differs between the two
# engines (the Kelvin sign folds to k in both). Lengths (RFC 5321) are checked after.

_WS = r"[ \t\n\r\f\v" + "\u00a0\u2007\u2009\u200b\u202f\u3000\ufeff" + "]*"
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = _ATEXT + "+(?:\\." + _ATEXT + "+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})"
_MAILTO = r"(?:[Mm][Aa][Ii][Ll][Tt][Oo]:)?"
#: group 1 is the address; surrounding spaces, ``mailto:``, ``<>`` and quotes are dropped
EMAIL_PATTERN = (
    "^" + _WS + _MAILTO + _WS + "[<\"']?" + _WS + _MAILTO + _WS
    + "(" + _LOCAL + "@(?:" + _LABEL + "\\.)+" + _TLD + ")"
    + _WS + "[>\"']?" + _WS + "$"
)  # fmt: skip
_EMAIL = re.compile(EMAIL_PATTERN)
_EMAIL_MAX = 254
_EMAIL_LOCAL_MAX = 64


def email(raw: str | None) -> str | None:
    """Lower-cased e-mail address, syntax and length checked (RFC 5321); else None.

    Surrounding whitespace, ``mailto:``, ``<...>`` and quotes are removed. Only ASCII
    addresses are accepted (no quoted local parts, no IP-literal domains).
    """
    if raw is None:
        return None
    match = _EMAIL.fullmatch(raw)
    if match is None:
        return None
    address = match.group(1).lower()
    if len(address) > _EMAIL_MAX or address.index("@") > _EMAIL_LOCAL_MAX:
        return None
    return address


def email_sql(column_sql: str) -> str:
    """A DuckDB SQL expression equal to :func:`email` applied to ``column_sql``.

    ``lower()`` of the address matched by ``regexp_extract`` with the same pattern,
    NULL when it does not match or breaks the RFC 5321 lengths.
    """
    address = f"nullif(lower(regexp_extract({column_sql}, {literal(EMAIL_PATTERN)}, 1)), '')"
    return (
        f"CASE WHEN length({address}) <= {_EMAIL_MAX} "
        f"AND strpos({address}, '@') <= {_EMAIL_LOCAL_MAX + 1} THEN {address} END"
    )


# =========================================================================== phone
#
# A phone is read from its *key*: the raw text with the formatting characters removed
# (digits and one leading '+'), and a written trunk prefix "(0)" dropped after an
# international prefix ("+33 (0)6 ..."). Letters or other symbols make it invalid.
# phone(raw) is phonenumbers' reading of the key: E.164 when is_valid_number, else None.
#
# phonenumbers.parse + is_valid_number costs ~16 us. The fast path below reads the same
# metadata directly: it repeats parse()'s steps for keys it fully understands (a '+' or
# a literal IDD such as "00", a country calling code, national prefix stripping without
# transform rules) and is_valid_number()'s region and type checks with the same regular
# expressions; anything else, and every number it finds invalid, goes to phonenumbers.
# tests/test_normalize.py checks both paths agree on many generated keys.

_PHONE_FORMATTING = str.maketrans(
    "", "", " ().-/\t" + "\u00a0\u2007\u2009\u202f\u2010\u2011\u2012\u2013"
)
_TRUNK_PREFIX = re.compile(r"\(\s*0\s*\)")
_MAX_NSN = 17  # phonenumbers' _MAX_LENGTH_FOR_NSN
_MAX_PHONE_INPUT = 250  # phonenumbers' _MAX_INPUT_STRING_LENGTH
#: more distinct keys than this are spread over worker processes by phones()
PARALLEL_THRESHOLD = 200_000
_CHUNK = 50_000


def _phone_key(raw: str) -> str | None:
    """``+33 (0)6 12-34.56 78`` -> ``+33612345678``; None when it cannot be a number."""
    text = raw.strip()
    key = text.translate(_PHONE_FORMATTING)
    digits = key[1:] if key[:1] == "+" else key
    if len(digits) < 3 or len(key) > _MAX_PHONE_INPUT:
        return None
    if not (digits.isascii() and digits.isdigit()):
        return None
    if "(" in text and (key[0] == "+" or key.startswith("00")):
        key = _TRUNK_PREFIX.sub("", text, count=1).translate(_PHONE_FORMATTING)
    return key


@dataclass(frozen=True, slots=True)
class _Meta:
    """The parts of one ``PhoneMetadata`` that parse() and is_valid_number() read."""

    country_code: int
    prefix: str  # str(country_code)
    idd: str | None  # international prefix when it is a plain digit string
    idd_pattern: re.Pattern[str] | None  # international prefix when it is not
    national_prefix: re.Pattern[str] | None
    transform: bool  # national prefix transform rule present
    leading_digits: re.Pattern[str] | None
    general: re.Pattern[str] | None
    general_lengths: frozenset[int]
    possible_lengths: tuple[int, ...]
    local_lengths: frozenset[int]
    #: length -> one regex over every number type that admits that length
    by_length: dict[int, re.Pattern[str]]

    def matches_general(self, number: str) -> bool:
        return self.general is not None and self.general.fullmatch(number) is not None

    def is_known_type(self, number: str) -> bool:
        """phonenumbers' ``_number_type_helper(number) != UNKNOWN``."""
        if self.general_lengths and len(number) not in self.general_lengths:
            return False
        if not self.matches_general(number):
            return False
        pattern = self.by_length.get(len(number))
        return pattern is not None and pattern.fullmatch(number) is not None

    def length_allows_strip(self, number: str) -> bool:
        """phonenumbers' ``_test_number_length`` is not TOO_SHORT/LOCAL_ONLY/INVALID."""
        size = len(number)
        lengths = self.possible_lengths
        if size in self.local_lengths:
            return False
        return size in lengths or size > lengths[-1]


def _compile_meta(metadata: Any) -> _Meta | None:
    general = metadata.general_desc
    if general is None or not general.possible_length:
        return None
    mobile_counts = not metadata.same_mobile_and_fixed_line_pattern
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
    for size in range(1, _MAX_NSN + 1):
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
    return _Meta(
        country_code=metadata.country_code,
        prefix=str(metadata.country_code),
        idd=idd if idd and idd.isdigit() else None,
        idd_pattern=re.compile(idd) if idd and not idd.isdigit() else None,
        national_prefix=re.compile(npfp) if npfp else None,
        transform=bool(metadata.national_prefix_transform_rule),
        leading_digits=re.compile(metadata.leading_digits) if metadata.leading_digits else None,
        general=re.compile(general.national_number_pattern)
        if general.national_number_pattern
        else None,
        general_lengths=frozenset(general.possible_length),
        possible_lengths=tuple(general.possible_length),
        local_lengths=frozenset(general.possible_length_local_only),
        by_length=by_length,
    )


@cache
def _meta(country_code: int, region: str) -> _Meta | None:
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    return None if metadata is None else _compile_meta(metadata)


@cache
def _region_meta(region: str) -> _Meta | None:
    metadata = PhoneMetadata.metadata_for_region(region, None)
    return None if metadata is None else _compile_meta(metadata)


def _is_valid(country_code: int, number: str) -> bool:
    """phonenumbers' ``is_valid_number`` for a country code and national number."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return False
    region: str | None = regions[0]
    if len(regions) > 1:  # region_code_for_number, as phonenumbers does it
        region = None
        for candidate in regions:
            meta = _region_meta(candidate)
            if meta is None:
                continue
            if meta.leading_digits is not None:
                if meta.leading_digits.match(number):
                    region = candidate
                    break
            elif meta.is_known_type(number):
                region = candidate
                break
        if region is None:
            return False
    meta = _meta(country_code, region)
    return meta is not None and meta.is_known_type(number)


def _strip_national_prefix(number: str, meta: _Meta) -> str | None:
    """parse()'s national prefix stripping; None when it needs phonenumbers itself."""
    if meta.national_prefix is None or not number:
        return number
    match = meta.national_prefix.match(number)
    if match is None:
        return number
    if meta.transform:
        return None
    stripped = number[match.end() :]
    if meta.matches_general(number) and not meta.matches_general(stripped):
        return number
    return stripped if meta.length_allows_strip(stripped) else number


def _split_country_code(digits: str) -> tuple[int, str]:
    if digits[0] == "0":
        return 0, digits
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[size:]
    return 0, digits


#: _phone_fast's answer when the key takes a branch it does not reproduce
_ASK = ""


def _phone_fast(key: str, home: _Meta | None) -> str | None:
    """phonenumbers' reading of a key in the region ``home``, from its metadata: E.164 when
    valid, None when invalid, ``_ASK`` when the key needs a branch of parse() not
    reproduced here."""
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
        code, number = _split_country_code(international)
        if code == 0:
            return _ASK  # phonenumbers retries without the '+'
        meta = _meta(code, COUNTRY_CODE_TO_REGION_CODE[code][0])
    else:
        if home is None or key.startswith(home.prefix):
            return _ASK  # no region, or a country code without '+'
        if home.idd_pattern is not None and home.idd_pattern.match(key):
            return _ASK
        code, number, meta = home.country_code, key, home
    if meta is None:
        return _ASK
    if len(number) < 2:
        return None  # TOO_SHORT_NSN
    national = _strip_national_prefix(number, meta)
    if national is None:
        return _ASK  # a national prefix transform rule
    if len(national) > _MAX_NSN or not _is_valid(code, national):
        return None
    return f"+{code}{national}"


def _phone_slow(key: str, region: str | None) -> str | None:
    """The reference reading: phonenumbers.parse and is_valid_number."""
    try:
        number = phonenumbers.parse(key, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _home(region: str | None) -> _Meta | None:
    return _region_meta(region) if region else None


def _phone_from_key(key: str, region: str | None, home: _Meta | None) -> str | None:
    value = _phone_fast(key, home)
    return _phone_slow(key, region) if value == _ASK else value


def _region(region: str | None) -> str | None:
    return region.strip().upper() or None if region else None


def phone(raw: str | None, region: str | None = "FR") -> str | None:
    """E.164 phone number (``+33612345678``) read in ``region`` (ISO alpha-2).

    ``06 12 34 56 78``, ``06.12.34.56.78``, ``0612345678``, ``+33612345678``,
    ``+33 (0)6 12 34 56 78`` and ``0033612345678`` are one number in region FR.
    Numbers phonenumbers does not find valid, letters and symbols give None.
    """
    if raw is None:
        return None
    key = _phone_key(raw)
    region = _region(region)
    return None if key is None else _phone_from_key(key, region, _home(region))


def _phone_chunk(keys: list[str], region: str | None) -> list[str | None]:
    home = _home(region)
    return [_phone_from_key(key, region, home) for key in keys]


def phones(
    values: Sequence[str | None], region: str | None = "FR", *, workers: int = 1
) -> list[str | None]:
    """:func:`phone` over many values, in order.

    Values are pre-stripped to their key and each distinct key is read once (about
    3 us per distinct value). With ``workers`` > 1 and more than ``PARALLEL_THRESHOLD``
    distinct keys, chunks are read by that many spawned processes; on 2 CPUs this saved
    under 10%, so it is off by default.
    """
    region = _region(region)
    keys: list[str | None] = [None if v is None else _phone_key(v) for v in values]
    distinct = list(dict.fromkeys(k for k in keys if k is not None))
    if workers > 1 and len(distinct) > PARALLEL_THRESHOLD:
        chunks = [distinct[i : i + _CHUNK] for i in range(0, len(distinct), _CHUNK)]
        # spawned, not forked: the caller may hold engine threads
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parts = pool.map(_phone_chunk, chunks, [region] * len(chunks))
            mapped = [value for part in parts for value in part]
    else:
        mapped = _phone_chunk(distinct, region)
    table = dict(zip(distinct, mapped, strict=True))
    return [None if k is None else table[k] for k in keys]


# =========================================================================== names


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: lower-case words that start a last name ("Jean de la Fontaine", "Ludwig van Beethoven")
PARTICLES = _words(
    "de du des la le van von der den ten ter da das do dos di del della ben ibn bin el al ait aït"
)
#: particles written in lower case inside a name (French, Dutch, German usage)
_LOWER_PARTICLES = _words("de du des van von der den ten ter zu")
#: after "de": "Jean de la Fontaine", "Pierre de l'Isle"
_AFTER_DE = frozenset(("la", "le", "les"))
_APOSTROPHES = "'’ʼ"
_NAME_PUNCTUATION = frozenset(" -.‐‑" + _APOSTROPHES)
_ASCII_NAME = re.compile(r"[A-Za-z .'-]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_NOT_A_TO_Z = re.compile(r"[^a-z]+")
_PLACEHOLDERS = _words(
    "null none nil nan n/a n.a. n.a n.c. n.c nc inconnu inconnue unknown neant néant x xx xxx"
)
#: letters NFKD does not decompose
_KEY_LETTERS = str.maketrans(
    {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
     "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th",
     "ı": "i", "ħ": "h", "Ħ": "h"}
)  # fmt: skip


def _clean_text(raw: str) -> str:
    """NFC, trimmed, inner whitespace collapsed to one space."""
    if not raw.isascii():
        raw = unicodedata.normalize("NFC", raw)
    return " ".join(raw.split())


def _is_name_text(text: str) -> bool:
    """Letters, marks, spaces, dashes, apostrophes and dots only, with one letter."""
    if text.isascii():
        if _ASCII_NAME.fullmatch(text) is None:
            return False
    else:
        for char in text:
            category = unicodedata.category(char)
            if category[0] not in "LM" and category != "Pd" and char not in _NAME_PUNCTUATION:
                return False
    return _LETTERS.search(text) is not None and text.casefold() not in _PLACEHOLDERS


def _capitalise(match: re.Match[str]) -> str:
    word = match.group(0)
    return word[:1].upper() + word[1:]


def _recase(text: str) -> str:
    """``JEAN DE LA FONTAINE`` -> ``Jean de la Fontaine``; ``o'neil`` -> ``O'Neil``."""
    words = text.lower().split(" ")
    out: list[str] = []
    for i, word in enumerate(words):
        previous = words[i - 1] if i else ""
        if i and (word in _LOWER_PARTICLES or (previous == "de" and word in _AFTER_DE)):
            out.append(word)
        elif i and len(word) > 2 and word[0] in "dl" and word[1] in _APOSTROPHES:
            out.append(word[:2] + _LETTERS.sub(_capitalise, word[2:]))  # d'Artagnan
        else:
            out.append(_LETTERS.sub(_capitalise, word))
    return " ".join(out)


def name(raw: str | None) -> str | None:
    """A person's name as written: NFC, trimmed, inner whitespace collapsed.

    Input entirely in upper or lower case is capitalised (``JEAN-PIERRE`` ->
    ``Jean-Pierre``, ``o'neil`` -> ``O'Neil``, ``JEAN DE LA FONTAINE`` -> ``Jean de la
    Fontaine``); mixed case is kept. Digits, symbols, no letter at all or a placeholder
    (``N/A``, ``null``, ``inconnu``, ``XXX``) make it invalid.
    """
    if raw is None:
        return None
    text = _clean_text(raw)
    if not text or not _is_name_text(text):
        return None
    if text.isupper() or text.islower():
        text = _recase(text)
    return text


def name_key(raw: str | None) -> str | None:
    """Match key of a name: no accents, lower case, letters a-z only.

    ``Jean-Pierre`` -> ``jeanpierre``, ``Hélène`` -> ``helene``, ``Müller`` -> ``muller``,
    ``Œuvray`` -> ``oeuvray``. None when nothing is left (non-Latin scripts) or the value
    is a placeholder.
    """
    if raw is None:
        return None
    text = raw
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_KEY_LETTERS))
    text = text.lower()
    if text.strip() in _PLACEHOLDERS:
        return None
    return _NOT_A_TO_Z.sub("", text) or None


def _is_upper_word(token: str) -> bool:
    """``DUPONT``, ``LE-GALL``: two letters or more, all in upper case."""
    return token.isupper() and sum(c.isalpha() for c in token) > 1


def _is_elided_particle(token: str) -> bool:
    """``d'Ormesson``: a particle and a name in one word."""
    return len(token) > 2 and token[0] in "dD" and token[1] in _APOSTROPHES


def _join(tokens: list[str]) -> str | None:
    return " ".join(tokens) or None


def split_full_name(raw: str | None, order: str = "first_last") -> tuple[str | None, str | None]:
    """Split a full name into ``(first, last)``, each as written (apply :func:`name` after).

    * ``Dupont, Jean``: a comma always separates the last name from the first.
    * Words entirely in UPPER CASE are the last name when the other words are not (the
      French convention): ``DUPONT Jean`` and ``Jean DUPONT`` -> (Jean, DUPONT), in
      either order; lower-case particles before them join them (``Jean de LA FONTAINE``).
    * ``first_last``: the last name starts at the first particle after the first word
      (de, du, des, de la, le, la, van, von, der, da, di, del, ben, el, al, d'…) or is
      the last word: ``Jean-Pierre de la Fontaine`` -> (Jean-Pierre, de la Fontaine).
    * ``last_first``: the first word, with its particles, is the last name:
      ``de la Fontaine Jean`` -> (Jean, de la Fontaine).
    * A single word is a last name when written in upper case or when ``order`` is
      ``last_first``; otherwise (``first_last``) it is a first name: ``Jean`` ->
      (Jean, None), ``DUPONT`` -> (None, DUPONT).
    * Blank -> (None, None).
    """
    if order not in ("first_last", "last_first"):
        raise ValueError(f"order must be 'first_last' or 'last_first', not {order!r}")
    if raw is None:
        return None, None
    text = _clean_text(raw)
    if not text:
        return None, None
    if "," in text:
        last, _, first = text.partition(",")
        return _join(first.strip(" ,").split()), _join(last.strip(" ,").split())
    tokens = text.split(" ")
    if len(tokens) == 1:
        if _is_upper_word(text) or order == "last_first":
            return None, text
        return text, None
    upper = [i for i, token in enumerate(tokens) if _is_upper_word(token)]
    if upper and len(upper) < len(tokens) and upper[-1] - upper[0] == len(upper) - 1:
        start, end = upper[0], upper[-1] + 1
        if end == len(tokens):
            while start > 1 and tokens[start - 1].casefold() in PARTICLES:
                start -= 1
        if start == 0 or end == len(tokens):
            given = tokens[:start] + tokens[end:]
            if given:
                return _join(given), _join(tokens[start:end])
    if order == "last_first":
        end = 0
        while end < len(tokens) - 1 and tokens[end].casefold() in PARTICLES:
            end += 1
        end += 1
        return _join(tokens[end:]), _join(tokens[:end])
    for i in range(1, len(tokens)):
        particle = tokens[i].casefold() in PARTICLES and i < len(tokens) - 1
        if particle or _is_elided_particle(tokens[i]):
            return _join(tokens[:i]), _join(tokens[i:])
    return _join(tokens[:-1]), tokens[-1]


# =========================================================================== dates

MIN_YEAR = 1900
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_FRACTION = re.compile(r"(\.\d{6})\d+")


def _two_digit_year(parsed: dt.date, today: dt.date) -> dt.date | None:
    """A ``%y`` year in today's century, or the one before when that is in the future."""
    century = today.year - today.year % 100
    for year in (century + parsed.year % 100, century - 100 + parsed.year % 100):
        try:
            candidate = parsed.replace(year=year)
        except ValueError:  # 29 February
            continue
        if candidate <= today:
            return candidate
    return None


def date(
    raw: str | None, fmt: str | None = None, *, today: dt.date | None = None
) -> dt.date | None:
    """A calendar date, read with a strftime format or, without one, as ISO 8601.

    Surrounding whitespace and missing zero padding are accepted (``3/4/85``). With
    ``%y``, a year that would be after ``today`` (default: the current date) belongs to
    the previous century: ``03/04/85`` -> 1985, ``1/2/15`` -> 2015. Impossible dates
    (``31/02/1980``), years before 1900 and dates more than one day after ``today`` are
    invalid. Without ``fmt``: ``2024-01-05``, ``2024-1-5``, ``20240105`` and the date
    part of an ISO date-time as written.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    today = today or dt.date.today()
    try:
        if fmt:
            parsed = dt.datetime.strptime(text, fmt).date()
        elif match := _ISO_DATE.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
            parsed = dt.date(year, month, day)
        elif len(text) > 10:
            parsed = dt.datetime.fromisoformat(_ISO_FRACTION.sub(r"\1", text)).date()
        else:
            parsed = dt.date.fromisoformat(text)
    except ValueError:
        return None
    if fmt and "%y" in fmt:
        two_digit = _two_digit_year(parsed, today)
        if two_digit is None:
            return None
        parsed = two_digit
    if parsed.year < MIN_YEAR or parsed > today + dt.timedelta(days=1):
        return None
    return parsed


def timestamp(raw: str | None, fmt: str | None = None) -> dt.datetime | None:
    """A naive UTC date-time.

    Without ``fmt``, ISO 8601: ``T`` or space separator, ``Z`` or an offset (converted to
    UTC), fractional seconds (beyond microseconds truncated), or a date alone
    (midnight). With ``fmt``, ``datetime.strptime`` (``%z`` offsets are converted too).
    Years before 1900 are invalid; future instants are accepted.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    try:
        if fmt:
            parsed = dt.datetime.strptime(text, fmt)
        else:
            parsed = dt.datetime.fromisoformat(_ISO_FRACTION.sub(r"\1", text))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed if parsed.year >= MIN_YEAR else None


# =========================================================================== postcodes

#: country -> (pattern over the compact upper-case value, formatter of the match)
_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _whole(match: re.Match[str]) -> str:
    return match.group(0)


def _spaced(match: re.Match[str]) -> str:
    return f"{match.group(1)} {match.group(2)}"


def _dashed(match: re.Match[str]) -> str:
    return f"{match.group(1)}-{match.group(2)}"


def _zip(match: re.Match[str]) -> str:
    return match.group(1) if match.group(2) is None else f"{match.group(1)}-{match.group(2)}"


_FOUR_DIGITS_NO_ZERO: _Rule = (re.compile(r"[1-9]\d{3}"), _whole)
_FOUR_DIGITS: _Rule = (re.compile(r"\d{4}"), _whole)
_FIVE_DIGITS: _Rule = (re.compile(r"(?!00)\d{5}"), _whole)
_GB: _Rule = (
    re.compile(
        r"(GIR)(0AA)|([A-PR-UWYZ](?:\d[\dA-HJKPSTUW]?|[A-HK-Y]\d[\dABEHMNPRV-Y]?))"
        r"(\d[ABD-HJLNP-UW-Z]{2})"
    ),
    lambda m: f"{m.group(1)} {m.group(2)}" if m.group(1) else f"{m.group(3)} {m.group(4)}",
)
_POSTCODE_RULES: dict[str, _Rule] = {
    "FR": _FIVE_DIGITS,
    "MC": (re.compile(r"980\d\d"), _whole),
    "DE": _FIVE_DIGITS,
    "IT": (re.compile(r"\d{5}"), _whole),
    "ES": (re.compile(r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}"), _whole),
    "FI": (re.compile(r"\d{5}"), _whole),
    "BE": _FOUR_DIGITS_NO_ZERO,
    "CH": _FOUR_DIGITS_NO_ZERO,
    "LI": _FOUR_DIGITS_NO_ZERO,
    "AT": _FOUR_DIGITS_NO_ZERO,
    "LU": _FOUR_DIGITS_NO_ZERO,
    "DK": _FOUR_DIGITS,
    "NO": _FOUR_DIGITS,
    "NL": (re.compile(r"([1-9]\d{3})((?!SA|SD|SS)[A-Z]{2})"), _spaced),
    "GB": _GB,
    "GG": _GB,
    "JE": _GB,
    "IM": _GB,
    "US": (re.compile(r"(\d{5})(?:-?(\d{4}))?"), _zip),
    "PT": (re.compile(r"([1-9]\d{3})-?(\d{3})"), _dashed),
    "PL": (re.compile(r"(\d{2})-?(\d{3})"), _dashed),
    "SE": (re.compile(r"([1-9]\d{2})(\d{2})"), _spaced),
    "CA": (
        re.compile(r"([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(\d[ABCEGHJ-NPRSTV-Z]\d)"),
        _spaced,
    ),
}
#: country prefixes written before a postcode (``F-75011``, ``CH-1200``, ``D-10115``)
_POSTCODE_PREFIXES = {
    "FR": "F|FR", "MC": "MC", "DE": "D|DE", "IT": "I|IT", "ES": "E|ES", "FI": "FI|FIN|SF",
    "BE": "B|BE", "CH": "CH", "LI": "FL|LI", "AT": "A|AT", "LU": "L|LU", "DK": "DK",
    "NO": "N|NO", "NL": "NL", "PT": "P|PT", "PL": "PL", "SE": "S|SE",
}  # fmt: skip
_PREFIX_PATTERNS = {
    code: re.compile(rf"(?:{alternatives})[- ]?(?=\d)")
    for code, alternatives in _POSTCODE_PREFIXES.items()
}
_GENERIC_POSTCODE = re.compile(r"[A-Z0-9]+(?:[ -][A-Z0-9]+)*")


def postcode(raw: str | None, country: str | None = None) -> str | None:
    """A postcode in its country's usual written form; invalid for that country -> None.

    ``country`` is an ISO alpha-2 code (a name is read with :func:`country`). FR: 5 digits,
    a 4-digit value gets its lost leading zero (``1000`` -> ``01000``); BE, CH, AT, LU,
    LI, DK, NO: 4 digits; DE, ES, IT, FI: 5 digits; GB: ``SW1A 1AA``; NL: ``1234 AB``;
    US: ``12345`` or ``12345-6789``; PT ``1234-567``; PL ``12-345``; SE ``123 45``; CA
    ``K1A 0B1``. A country prefix (``F-75011``) is dropped. Other or unknown countries:
    upper case, single spaces, letters, digits and hyphens only, with a digit.
    """
    if raw is None:
        return None
    text = " ".join(raw.upper().split())
    if not text:
        return None
    code = _country_option(country)
    rule = _POSTCODE_RULES.get(code) if code else None
    if rule is None:
        if len(text) > 12 or not any(c.isdigit() for c in text):
            return None
        return text if text.isascii() and _GENERIC_POSTCODE.fullmatch(text) else None
    prefix = _PREFIX_PATTERNS.get(code) if code else None
    if prefix is not None:
        text = prefix.sub("", text, count=1) if prefix.match(text) else text
    compact = text.replace(" ", "")
    if code == "FR" and len(compact) == 4 and compact.isdigit():
        compact = "0" + compact
    pattern, written = rule
    match = pattern.fullmatch(compact) if compact.isascii() else None
    return None if match is None else written(match)


def _country_option(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    if len(value) == 2 and value.isascii():
        return value.upper()
    return country(value) or value.upper()


# =========================================================================== countries

_LEADING_ARTICLE = re.compile(r"(?:the|la|le|les)\s+|l'")


def _word_key(text: str) -> str:
    """``  Les États-Unis `` -> ``etatsunis``: folded, no leading article, alphanumerics."""
    folded = " ".join(_fold(text).replace("’", "'").split())
    folded = _LEADING_ARTICLE.sub("", folded, count=1) if _LEADING_ARTICLE.match(folded) else folded
    return "".join(c for c in folded if c.isalnum())


def _country_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for line in COUNTRY_TABLE.strip().replace(";\n    ", "; ").splitlines():
        alpha2, alpha3, names = line.split(" ", 2)
        for alias in (alpha2, alpha3, *names.split("; ")):
            key = _word_key(alias)
            if aliases.setdefault(key, alpha2) != alpha2:  # pragma: no cover - table error
                raise ValueError(f"country alias {alias!r} is ambiguous")
    return aliases


#: folded spelling (see ``_word_key``) -> ISO 3166-1 alpha-2
COUNTRY_ALIASES: dict[str, str] = _country_aliases()
COUNTRY_CODES: frozenset[str] = frozenset(COUNTRY_ALIASES.values())


def country(raw: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code from a code or a name.

    Codes: ``FR``, ``fr``, ``FRA``. Names in English, French and the local language, with
    or without accents, case or a leading article: ``France``, ``Belgique``, ``België``,
    ``Schweiz``, ``Allemagne``, ``Royaume-Uni``, ``UK``, ``España``, ``Pays-Bas``,
    ``USA``, ``États-Unis``, ``Maroc``… Every ISO 3166-1 country is known (and Kosovo,
    ``XK``); ambiguous or unknown names are invalid.
    """
    if raw is None:
        return None
    key = _word_key(raw)
    return COUNTRY_ALIASES.get(key) if key else None


# =========================================================================== gender

_GENDER_TABLE = {
    "female": "f fem female feminine feminin féminin femenino feminino femminile femme woman "
    "women w weiblich frau fille girl mme madame mlle mademoiselle mrs ms miss mevrouw mevr "
    "vrouw sra senora señora signora sigra donna mujer dame",
    "male": "m masc male masculine masculin masculino maschile homme h man men männlich "
    "maennlich herr hr mr mister monsieur dhr heer sr senor señor signor sig uomo hombre "
    "garcon garçon boy",
    "other": "x other others autre autres nonbinary nonbinaire nb enby divers diverse d "
    "genderqueer neutral neutre mx",
}
_GENDERS = {
    _word_key(alias): canonical
    for canonical, aliases in _GENDER_TABLE.items()
    for alias in aliases.split()
}


def gender(raw: str | None) -> str | None:
    """``female``, ``male`` or ``other`` from codes, words and titles.

    ``F``/``M``/``H`` (homme)/``W`` (weiblich)/``X``/``D`` (divers), Femme, Homme, Male,
    Female, Mme, Mlle, Madame, M., Mr, Monsieur, Frau, Herr, non-binaire… Unknown values
    (including ``unknown``, ``inconnu`` or numeric codes) are invalid.
    """
    if raw is None:
        return None
    key = _word_key(raw)
    return _GENDERS.get(key) if key else None


# =========================================================================== language

#: every ISO 639-1 code (and the withdrawn iw, in, ji, jw, mo, sh, read as today's code)
_ISO_639_1 = _words(
    """aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku
    kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn
    no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm
    sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
    vo wa wo xh yi yo za zh zu"""
)
_WITHDRAWN_639_1 = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "sh": "sr"}

# ISO 639-1 code, ISO 639-2 code(s); names in English, French and the language itself.
_LOCALE_SEPARATORS = re.compile(r"[-_.@]")
_PARENTHESES = re.compile(r"\([^)]*\)")


def _language_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {code: code for code in _ISO_639_1}
    aliases.update(_WITHDRAWN_639_1)
    for line in LANGUAGE_TABLE.strip().splitlines():
        head, _, rest = line.partition(" ")
        codes = [head]
        names = rest
        while len(names) > 3 and names[3] == " " and names[:3].islower():
            codes.append(names[:3])
            names = names[4:]
        for alias in (*codes, *names.split("; ")):
            aliases.setdefault(_word_key(alias), head)
    return aliases


#: folded spelling -> ISO 639-1
LANGUAGE_ALIASES: dict[str, str] = _language_aliases()


def language(raw: str | None) -> str | None:
    """ISO 639-1 code (lower case) from a code, a locale or a name.

    ``fr``, ``FR``, ``fra``/``fre``, ``fr-FR``, ``fr_FR``, ``fr_FR.UTF-8``, ``French``,
    ``Français``, ``English``, ``Anglais``, ``Deutsch``… Unknown -> None.
    """
    if raw is None:
        return None
    text = _PARENTHESES.sub(" ", raw).strip()
    if not text:
        return None
    head = _LOCALE_SEPARATORS.split(text, maxsplit=1)[0]
    if 2 <= len(head) <= 3 and head.isascii() and head.isalpha():
        code = LANGUAGE_ALIASES.get(head.lower())
        if code is not None:
            return code
    return LANGUAGE_ALIASES.get(_word_key(text))


# =========================================================================== batches

#: the kinds normalize_many accepts
KINDS = frozenset(
    ("email", "phone", "name", "name_key", "first_of", "last_of", "date", "timestamp",
     "postcode", "country", "gender", "language")
)  # fmt: skip


def _as_text(value: dt.date | dt.datetime | str | None) -> str | None:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _single(
    kind: str,
    region: str | None,
    fmt: str | None,
    country_code: str | None,
    order: str,
    today: dt.date | None,
) -> Callable[[str], str | None]:
    if kind == "email":
        return email
    if kind == "name":
        return name
    if kind == "name_key":
        return name_key
    if kind in ("first_of", "last_of"):
        part = 0 if kind == "first_of" else 1
        return lambda raw: name(split_full_name(raw, order)[part])
    if kind == "date":
        return lambda raw: _as_text(date(raw, fmt, today=today))
    if kind == "timestamp":
        return lambda raw: _as_text(timestamp(raw, fmt))
    if kind == "postcode":
        code = _country_option(country_code)
        return lambda raw: postcode(raw, code)
    if kind == "country":
        return country
    if kind == "gender":
        return gender
    if kind == "language":
        return language
    raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")


def normalize_many(
    kind: str,
    values: Sequence[str | None],
    *,
    region: str | None = "FR",
    fmt: str | None = None,
    country: str | None = None,
    order: str = "first_last",
    today: dt.date | None = None,
) -> list[str | None]:
    """Normalise many raw values of one kind; returns canonical text, in order.

    Options: ``region`` (phone), ``fmt`` (date, timestamp), ``country`` (postcode),
    ``order`` (first_of, last_of: the first or last name of a full name), ``today``
    (date). Dates come back as ``YYYY-MM-DD`` and timestamps as ``YYYY-MM-DD
    HH:MM:SS[.ffffff]``. Each distinct value is computed once; ``None`` stays ``None``.
    Tell absent from invalid with :func:`is_blank` on the raw value.
    """
    if kind == "phone":
        return phones(values, region)
    single = _single(kind, region, fmt, country, order, today)
    seen: dict[str, str | None] = {}
    out: list[str | None] = []
    for raw in values:
        if raw is None:
            out.append(None)
            continue
        if raw not in seen:
            seen[raw] = single(raw)
        out.append(seen[raw])
    return out
