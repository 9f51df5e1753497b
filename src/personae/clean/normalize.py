"""Value normalisers: one raw string in, its canonical value out, or None.

Contract for every function here:

* ``None``, empty or whitespace-only input is *absent*: the result is ``None`` and the
  caller does not count it as invalid (use :func:`is_blank` to tell).
* A non-blank input that cannot be read is *invalid*: the result is ``None``. Nothing is
  ever guessed.
* Functions are pure and fast; the clean stage calls them on distinct raw values only
  (see ``personae.clean.lookups``), and :func:`phones` is the batch form for phones.

``email_sql`` is the SQL twin of :func:`email`, used on every row by the engine.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import phonenumbers

from personae.clean.countries import COUNTRY_ALIASES, LANGUAGE_ALIASES


def is_blank(raw: str | None) -> bool:
    return raw is None or not raw.strip()


# --------------------------------------------------------------------------- email

_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
)
_EMAIL_SQL = (
    r"^[a-z0-9!#$%&''*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&''*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
)


def email(raw: str | None) -> str | None:
    """Trimmed, lower-cased, syntax-checked e-mail address (RFC 5321 lengths)."""
    if is_blank(raw):
        return None
    assert raw is not None
    value = raw.strip().lower()
    if value.startswith("mailto:"):
        value = value[len("mailto:") :]
    value = value.strip("<>\"' ")
    local, _, domain = value.rpartition("@")
    if len(value) > 254 or len(local) > 64 or not domain:
        return None
    return value if _EMAIL.match(value) else None


def email_sql(expr: str) -> str:
    """The SQL form of :func:`email` over a text expression (DuckDB dialect)."""
    value = (
        f"trim(regexp_replace(regexp_replace(lower(trim({expr})), '^mailto:', ''), "
        f"'^[<\"'' ]+|[>\"'' ]+$', '', 'g'))"
    )
    return (
        f"CASE WHEN regexp_matches({value}, '{_EMAIL_SQL}') "
        f"AND length({value}) <= 254 "
        f"AND length(split_part({value}, '@', 1)) <= 64 "
        f"THEN {value} END"
    )


# --------------------------------------------------------------------------- phone

_TRUNK_IN_BRACKETS = re.compile(r"\(0\)")
_PHONE_NOISE = re.compile(r"[^\d+]")
_PARALLEL_THRESHOLD = 200_000


def _prestrip(raw: str) -> str:
    """Digits and a leading +, with the written trunk prefix ``(0)`` removed."""
    value = _TRUNK_IN_BRACKETS.sub("", raw.strip())
    value = _PHONE_NOISE.sub("", value)
    if value.startswith("00"):
        value = "+" + value[2:]
    return value


def phone(raw: str | None, region: str = "FR") -> str | None:
    """E.164 (``+33612345678``) with the phonenumbers library; invalid -> None."""
    if is_blank(raw):
        return None
    assert raw is not None
    return _phone_e164(_prestrip(raw), region)


def _phone_e164(digits: str, region: str) -> str | None:
    if len(digits.lstrip("+")) < 6:
        return None
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_chunk(args: tuple[list[str], str]) -> list[str | None]:
    digits, region = args
    return [_phone_e164(d, region) for d in digits]


def phones(values: Sequence[str | None], region: str = "FR") -> list[str | None]:
    """Batch :func:`phone`: values are pre-stripped and de-duplicated first, and large
    batches are spread over worker processes."""
    stripped = [_prestrip(v) if not is_blank(v) else "" for v in values]  # type: ignore[arg-type]
    unique = sorted({s for s in stripped if s})
    if len(unique) >= _PARALLEL_THRESHOLD:
        size = len(unique) // 8 + 1
        chunks = [(unique[i : i + size], region) for i in range(0, len(unique), size)]
        with ProcessPoolExecutor(max_workers=2) as pool:
            mapped = [v for part in pool.map(_phone_chunk, chunks) for v in part]
    else:
        mapped = _phone_chunk((unique, region))
    table = dict(zip(unique, mapped, strict=True))
    return [table.get(s) if s else None for s in stripped]


# --------------------------------------------------------------------------- names

_SPACES = re.compile(r"\s+")
_NAME_OK = re.compile(r"^[^\W\d_]+([ '\-.’][^\W\d_]*)*$", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
PARTICLES = ("de", "du", "des", "d'", "le", "la", "van", "von", "der", "den", "da", "di", "del")


def name(raw: str | None) -> str | None:
    """NFC, trimmed, whitespace collapsed; ALL-UPPER or all-lower input is capitalised."""
    if is_blank(raw):
        return None
    assert raw is not None
    value = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip().replace("’", "'")
    if not _NAME_OK.match(value):
        return None
    if value.isupper() or value.islower():
        value = _WORD.sub(lambda m: m.group(0).capitalize(), value.lower())
    return value


def name_key(raw: str | None) -> str | None:
    """Match key: no accents, lower case, letters a-z only (``Jean-Pierre`` -> ``jeanpierre``)."""
    if is_blank(raw):
        return None
    assert raw is not None
    decomposed = unicodedata.normalize("NFKD", raw.replace("ß", "ss").replace("œ", "oe"))
    key = "".join(c for c in decomposed if "a" <= c.lower() <= "z").lower()
    return key or None


def split_full_name(raw: str | None, order: str = "first_last") -> tuple[str | None, str | None]:
    """Split a full name into (first, last).

    * ``first_last``: ``Jean-Pierre de la Fontaine`` -> (Jean-Pierre, de la Fontaine);
      particles start the last name; tokens in UPPER CASE are the last name
      (``DUPONT Marie`` -> (Marie, DUPONT)).
    * ``last_first``: the first token(s) are the last name.
    * A single token is taken as the last name: (None, token).
    """
    if is_blank(raw):
        return None, None
    assert raw is not None
    tokens = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip().split(" ")
    if len(tokens) == 1:
        return None, tokens[0]
    upper = [t for t in tokens if t.isupper() and len(t) > 1]
    if 0 < len(upper) < len(tokens):
        first = [t for t in tokens if not (t.isupper() and len(t) > 1)]
        return " ".join(first), " ".join(upper)
    if order == "last_first":
        return " ".join(tokens[1:]), tokens[0]
    for i, token in enumerate(tokens[1:], start=1):
        if token.lower() in PARTICLES:
            return " ".join(tokens[:i]), " ".join(tokens[i:])
    return " ".join(tokens[:-1]), tokens[-1]


# --------------------------------------------------------------------------- dates

_MIN_YEAR = 1900


def date(raw: str | None, fmt: str | None = None, today: dt.date | None = None) -> dt.date | None:
    """A date read by a strftime format (ISO 8601 when None). Two-digit years that would
    fall in the future go back a century (``3/4/85`` -> 1985; ``1/2/60`` -> 1960)."""
    if is_blank(raw):
        return None
    assert raw is not None
    value = raw.strip()
    today = today or dt.date.today()
    try:
        if fmt:
            parsed = dt.datetime.strptime(value, fmt).date()
        else:
            parsed = dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    if fmt and "%y" in fmt and parsed > today:
        parsed = parsed.replace(year=parsed.year - 100)
    if parsed.year < _MIN_YEAR or parsed > today + dt.timedelta(days=1):
        return None
    return parsed


def timestamp(raw: str | None, fmt: str | None = None) -> dt.datetime | None:
    """A naive UTC datetime: ISO 8601 (``T``, ``Z``, offsets) or a strftime format."""
    if is_blank(raw):
        return None
    assert raw is not None
    value = raw.strip()
    try:
        if fmt:
            parsed = dt.datetime.strptime(value, fmt)
        else:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


# --------------------------------------------------------------------------- addresses

_POSTCODES: dict[str, re.Pattern[str]] = {
    "FR": re.compile(r"^\d{5}$"),
    "DE": re.compile(r"^\d{5}$"),
    "ES": re.compile(r"^\d{5}$"),
    "IT": re.compile(r"^\d{5}$"),
    "BE": re.compile(r"^\d{4}$"),
    "CH": re.compile(r"^\d{4}$"),
    "AT": re.compile(r"^\d{4}$"),
    "DK": re.compile(r"^\d{4}$"),
    "NO": re.compile(r"^\d{4}$"),
    "LU": re.compile(r"^\d{4}$"),
    "PT": re.compile(r"^\d{4}-\d{3}$"),
    "NL": re.compile(r"^\d{4} [A-Z]{2}$"),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$"),
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
}


def postcode(raw: str | None, country: str | None = None) -> str | None:
    """A postcode in its country's written form; invalid for that country -> None."""
    if is_blank(raw):
        return None
    assert raw is not None
    value = _SPACES.sub(" ", raw.strip().upper())
    compact = value.replace(" ", "")
    country = (country or "").upper()
    if country == "FR" and compact.isdigit() and len(compact) == 4:
        compact = "0" + compact
    if country == "NL" and len(compact) == 6:
        compact = f"{compact[:4]} {compact[4:]}"
    elif country == "GB" and len(compact) >= 5:
        compact = f"{compact[:-3]} {compact[-3:]}"
    elif country == "PT" and compact.isdigit() and len(compact) == 7:
        compact = f"{compact[:4]}-{compact[4:]}"
    pattern = _POSTCODES.get(country)
    if pattern is None:
        return value if re.match(r"^[A-Z0-9][A-Z0-9 -]{1,9}$", value) else None
    return compact if pattern.match(compact) else None


def country(raw: str | None) -> str | None:
    """ISO 3166-1 alpha-2 from a code (FR, FRA) or a name in English, French or natively."""
    if is_blank(raw):
        return None
    assert raw is not None
    return COUNTRY_ALIASES.get(_alias_key(raw))


def language(raw: str | None) -> str | None:
    """ISO 639-1 from a code (fr, fr-FR, fra) or a name (French, Français)."""
    if is_blank(raw):
        return None
    assert raw is not None
    value = raw.strip().replace("_", "-").split("-")[0]
    return LANGUAGE_ALIASES.get(_alias_key(value))


def _alias_key(raw: str) -> str:
    decomposed = unicodedata.normalize("NFKD", raw.strip().lower())
    return "".join(c for c in decomposed if c.isalnum() or c == " ").strip()


# --------------------------------------------------------------------------- gender

_GENDERS = {
    "female": (
        "f",
        "female",
        "femme",
        "woman",
        "w",
        "mme",
        "madame",
        "mlle",
        "mademoiselle",
        "ms",
        "mrs",
        "miss",
        "frau",
        "femenino",
        "mujer",
        "femminile",
    ),
    "male": (
        "m",
        "male",
        "homme",
        "h",
        "man",
        "mr",
        "monsieur",
        "m.",
        "herr",
        "masculin",
        "masculino",
        "hombre",
        "maschile",
    ),
    "other": ("x", "other", "autre", "non-binary", "nonbinary", "non binaire", "nb", "divers"),
}
_GENDER_LOOKUP = {alias: canonical for canonical, aliases in _GENDERS.items() for alias in aliases}


def gender(raw: str | None) -> str | None:
    """``female``, ``male`` or ``other`` from the usual spellings; unknown -> None."""
    if is_blank(raw):
        return None
    assert raw is not None
    return _GENDER_LOOKUP.get(raw.strip().lower().rstrip("."), None) or _GENDER_LOOKUP.get(
        raw.strip().lower()
    )
