"""The demo data generator: a messy multi-source customer dataset with its ground truth.

``generate_demo(people, out_dir)`` invents the customers of a French fashion retailer
(about 92 % living in France, the rest in Belgium, Switzerland, Germany, the UK and
Spain) and writes what eight of the retailer's systems know about them:

===================  ========  ============================================================
file (``data/``)     kind      what it holds
===================  ========  ============================================================
crm.csv              people    customer accounts (dd/mm/yyyy birth dates, ``06 12 34 56 78``)
orders.csv           events    web orders, some by guests with another e-mail (``+336…``)
email_events.csv     events    opens, clicks and unsubscribes of the e-mail tool (e-mail only)
web_events.jsonl     events    page views of anonymous devices; sign-ins carry the user id
loyalty_members.csv  people    store loyalty cards: UPPER CASE names, m/d/yy birth dates
store_tickets.csv    events    till receipts, by loyalty card or anonymous
support_tickets.csv  events    help-desk tickets with the full name in one field
nps_survey.csv       events    satisfaction scores, known by e-mail only
===================  ========  ============================================================

The data is messy on purpose, at rates set by the constants below: each source writes
phones and dates its own way; names carry typos, lost accents, swapped or upper-case
parts and stray spaces; values are missing; some people moved house; households share a
surname, an address, a landline and sometimes an e-mail; guests check out with a second
e-mail; people type junk identifiers (``test@test.com``, ``0123456789``); popular names
make namesakes. ``truth/records.csv`` names the person behind every record of every file
(``source,record_id,person``; the pipeline never reads it) and ``personae.yml`` declares
the sources, survivorship rules, traits and segments.

Everything is drawn from one seeded numpy generator and formatted with vectorised
numpy/pyarrow operations (no Python loop over rows), so a million people — about nine
million rows — take well under a minute, and the same seed gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from personae.config import CONFIG_FILE, parse_config
from personae.demo import names as vocab

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Rng = np.random.Generator
#: a pyarrow string array (pyarrow has no type hints)
Strings = Any
Weighted = Sequence[tuple[str, float]]

DAY = 86_400
#: a day far in the future: the move day of people who did not move
NEVER = 10**7
#: rows rendered at a time when writing files
CHUNK_ROWS = 250_000
#: the ground truth, relative to the project folder
TRUTH_FILE = Path("truth") / "records.csv"

# --------------------------------------------------------------------------- rates

#: people living in a household of 2-4 sharing surname, address and landline
HOUSEHOLD_SHARE = 0.10
HOUSEHOLD_SIZES = ((2, 0.55), (3, 0.30), (4, 0.15))
#: households that also share one family e-mail
FAMILY_EMAIL_SHARE = 0.03
#: people who moved: their old address in some sources, the new one in others
MOVER_SHARE = 0.08
FEMALE_SHARE = 0.52
#: second e-mails that are work addresses (the others are old personal ones)
WORK_EMAIL_SHARE = 0.55

#: who each system knows (shares of people)
CRM_SHARE = 0.70
CRM_DUPLICATE_SHARE = 0.02
BUYER_SHARE_CRM = 0.60
BUYER_SHARE_OTHER = 0.10
WEB_SHARE_CRM = 0.55
WEB_SHARE_OTHER = 0.38
LOYALTY_SHARE_FRANCE = 0.32
LOYALTY_SHARE_ABROAD = 0.06
EMAIL_AUDIENCE_SHARE_CUSTOMER = 0.72
EMAIL_AUDIENCE_SHARE_OTHER = 0.20
SUPPORT_SHARE_BUYER = 0.14
SUPPORT_SHARE_OTHER = 0.03
NPS_SHARE_CUSTOMER = 0.25
NPS_SHARE_OTHER = 0.05
#: account holders who bought accessories in the last 25 days and browsed this week
RECENT_ACCESSORY_SHOPPERS = 0.02

#: how skewed names are (Zipf exponent and shift): popular names make namesakes
FIRST_NAME_SKEW = (1.0, 8.0)
LAST_NAME_SKEW = (0.85, 15.0)

#: what they do
CRM_HISTORY_DAYS = 6 * 365
CRM_SHOWS_OLD_ADDRESS_SHARE = 0.75
ORDER_HISTORY_DAYS = 730
ORDERS_GEOMETRIC_P = 0.45
MAX_ORDERS = 10
CHURNED_BUYER_SHARE = 0.30
GUEST_ORDER_SHARE = 0.04
GUEST_SECOND_EMAIL_SHARE = 0.30
ABBREVIATED_STREET_SHARE = 0.20
EMAIL_HISTORY_DAYS = 365
MEAN_EMAIL_EVENTS = 4.5
MAX_EMAIL_EVENTS = 40
CLICK_SHARE = 0.25
UNSUBSCRIBE_SHARE = 0.03
NEWSLETTER_SHARE = 0.65
WEB_HISTORY_DAYS = 180
DEVICES = ((1, 0.6), (2, 0.3), (3, 0.1))
APP_DEVICE_SHARE = 0.35
SIGN_IN_SHARE = 0.30
LOYALTY_HISTORY_DAYS = 8 * 365
STORES = 40
HOME_STORE_SHARE = 0.85
ANONYMOUS_TICKET_SHARE = 0.30
SUPPORT_SECOND_EMAIL_SHARE = 0.12
NOM_PRENOM_SHARE = 0.15
NPS_NO_COMMENT_SHARE = 0.45
NPS_SCORES = (2, 1, 1, 2, 2, 5, 6, 12, 22, 22, 25)

#: hour-of-day profiles (weights for 0h … 23h)
ONLINE_HOURS = (1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4, 4, 5, 5, 4, 4, 4, 5, 6, 7, 8, 8, 6, 3)
EMAIL_HOURS = (0.5, 0.3, 0.2, 0.2, 0.2, 0.5, 2, 5, 8, 7, 5, 4, 5, 5, 4, 3, 3, 4, 5, 5, 4, 3, 2, 1)
STORE_HOURS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 8, 7, 6, 7, 8, 9, 10, 10, 5, 0, 0, 0, 0)

#: records where people typed a junk e-mail or phone
JUNK_SHARE = 0.005


@dataclass(frozen=True)
class Style:
    """How one source writes people: its formats, and its mistakes (shares of records).

    Phone styles: ``national`` (06 12 34 56 78), ``dotted`` (06.12.34.56.78), ``compact``
    (0612345678), ``e164`` (+33612345678), ``paren`` (+33 (0)6 12 34 56 78),
    ``international`` (+32 471 23 45 67) and ``zero_zero`` (0032471234567)."""

    phone_france: Weighted = (("national", 1.0),)
    phone_abroad: str = "international"
    #: household members who give the household's landline
    landline: float = 0.0
    #: members of a household with a family e-mail who give it
    family_email: float = 0.0
    typo: float = 0.0
    no_accent: float = 0.0
    upper: bool = False
    swapped: float = 0.0
    spaces: float = 0.0
    email_case: float = 0.0
    email_spaces: float = 0.0
    missing_email: float = 0.0
    missing_phone: float = 0.0
    missing_birth_date: float = 0.0
    junk: float = JUNK_SHARE


CRM_STYLE = Style(
    phone_france=(("national", 0.9), ("dotted", 0.1)),
    landline=0.6,
    family_email=0.7,
    swapped=0.02,
    spaces=0.02,
    email_case=0.05,
    email_spaces=0.02,
    missing_email=0.08,
    missing_phone=0.10,
    missing_birth_date=0.12,
)
ORDERS_STYLE = Style(
    phone_france=(("e164", 1.0),),
    phone_abroad="e164",
    family_email=0.5,
    typo=0.03,
    no_accent=0.15,
    spaces=0.01,
    email_case=0.03,
    missing_phone=0.25,
)
EMAIL_TOOL_STYLE = Style(email_case=0.08, email_spaces=0.02, junk=0.0)
LOYALTY_STYLE = Style(
    phone_france=(("compact", 1.0),),
    phone_abroad="zero_zero",
    landline=0.5,
    family_email=0.5,
    typo=0.03,
    no_accent=0.60,
    upper=True,
    email_case=0.10,
    missing_email=0.40,
    missing_phone=0.15,
    missing_birth_date=0.20,
)
SUPPORT_STYLE = Style(
    phone_france=(("paren", 1.0),),
    typo=0.03,
    no_accent=0.10,
    spaces=0.03,
    email_case=0.05,
    missing_email=0.05,
    missing_phone=0.40,
)
NPS_STYLE = Style(email_case=0.05, email_spaces=0.03)
#: CRM columns missing now and then
CRM_MISSING_GENDER = 0.04
CRM_MISSING_COUNTRY = 0.03
CRM_MISSING_LANGUAGE = 0.10

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` wrote."""

    people: int
    config: Path
    truth: Path
    #: source name -> data file
    files: dict[str, Path]
    #: source name -> rows written
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class SourceData:
    """One generated source: its rows and the real person behind each row."""

    name: str
    file: str
    table: pa.Table
    record_id: str
    persons: IntArray

    @property
    def rows(self) -> int:
        return len(self.persons)


# --------------------------------------------------------------------------- vectorised text


def _strings(chars: npt.NDArray[np.uint8]) -> Strings:
    """A string array from a matrix of ASCII codes: one fixed-width string per row."""
    rows, width = chars.shape
    if rows * width >= 2**31:
        raise ValueError("too much text for one string array; generate fewer people")
    offsets = (np.arange(rows + 1, dtype=np.int64) * width).astype(np.int32)
    data = np.ascontiguousarray(chars)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def _write_digits(chars: npt.NDArray[np.uint8], slots: Sequence[int], values: IntArray) -> None:
    rest = values.astype(np.int64, copy=True)
    for slot in reversed(slots):
        chars[:, slot] = 48 + rest % 10
        rest //= 10


def fill_template(template: str, values: IntArray) -> Strings:
    """``template`` with its ``X`` slots filled by the digits of each value (``CXXX`` → C042)."""
    base = np.frombuffer(template.encode("ascii"), dtype=np.uint8)
    chars = np.tile(base, (len(values), 1))
    _write_digits(chars, [i for i, c in enumerate(template) if c == "X"], values)
    return _strings(chars)


def _calendar(seconds: IntArray) -> dict[str, IntArray]:
    """Year, month, day, hour, minute and second of times given in seconds since 1970."""
    days = seconds // DAY
    dates = days.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    clock = seconds - days * DAY
    return {
        "Y": year,
        "y": year % 100,
        "m": months.astype(np.int64) % 12 + 1,
        "d": (dates - months).astype(np.int64) + 1,
        "H": clock // 3600,
        "M": clock // 60 % 60,
        "S": clock % 60,
    }


_FIELD_WIDTHS = {"Y": 4, "y": 2, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}


def format_times(seconds: IntArray, fmt: str) -> Strings:
    """Times written with a fixed-width strftime format (%Y %y %m %d %H %M %S only)."""
    parts = _calendar(seconds)
    template = ""
    writes: list[tuple[list[int], IntArray]] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            width = _FIELD_WIDTHS[fmt[i + 1]]
            writes.append((list(range(len(template), len(template) + width)), parts[fmt[i + 1]]))
            template += "0" * width
            i += 2
        else:
            template += fmt[i]
            i += 1
    chars = np.tile(np.frombuffer(template.encode("ascii"), dtype=np.uint8), (len(seconds), 1))
    for slots, values in writes:
        _write_digits(chars, slots, values)
    return _strings(chars)


def us_short_dates(days: IntArray) -> Strings:
    """``m/d/yy`` without zero padding, as a US-set spreadsheet writes dates: ``3/7/85``."""
    parts = _calendar(days * DAY)
    return _join(_text(parts["m"]), "/", _text(parts["d"]), "/", fill_template("XX", parts["y"]))


def _text(values: IntArray) -> Strings:
    return pa.array(values, type=pa.int64()).cast(pa.string())


def _words(words: Sequence[str]) -> Strings:
    return pa.array(list(words), type=pa.string())


def _take(values: Strings, rows: IntArray) -> Strings:
    return values.take(pa.array(rows, type=pa.int64()))


def _join(*parts: Any) -> Strings:
    """Concatenate string arrays and literals row by row (null if any part is null)."""
    return pc.binary_join_element_wise(*parts, "")


def _scatter(size: int, parts: Sequence[tuple[IntArray, Strings]]) -> Strings:
    """One array from parts that each give the values of some of its rows."""
    parts = [(rows, values) for rows, values in parts if len(rows)]
    if not parts:
        return pa.nulls(size, pa.string())
    where = np.empty(size, dtype=np.int64)
    where[np.concatenate([rows for rows, _ in parts])] = np.arange(size, dtype=np.int64)
    return _take(pa.concat_arrays([values for _, values in parts]), where)


def _replace_at(values: Strings, rows: IntArray, new: Strings) -> Strings:
    where = np.arange(len(values), dtype=np.int64)
    where[rows] = len(values) + np.arange(len(rows), dtype=np.int64)
    return _take(pa.concat_arrays([values, new]), where)


def _null_where(values: Strings, mask: BoolArray) -> Strings:
    return pc.if_else(mask, pa.scalar(None, pa.string()), values)


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hex_ids(rng: Rng, size: int, groups: Sequence[int] = (8, 4, 4, 4, 12)) -> Strings:
    """Random lower-case hex identifiers; the default groups make random (v4) UUIDs."""
    hexes = _HEX[rng.integers(0, 16, size=(size, sum(groups)), dtype=np.uint8)]
    if len(groups) == 5:  # the version and variant digits of a random UUID
        hexes[:, 12] = ord("4")
        hexes[:, 16] = _HEX[8 + rng.integers(0, 4, size)]
    chars = np.full((size, sum(groups) + len(groups) - 1), ord("-"), dtype=np.uint8)
    source = target = 0
    for group in groups:
        chars[:, target : target + group] = hexes[:, source : source + group]
        source += group
        target += group + 1
    return _strings(chars)


# --------------------------------------------------------------------------- random draws


def _weighted(rng: Rng, size: int, weights: Sequence[float]) -> IntArray:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


def _zipf(count: int, exponent: float, shift: float) -> list[float]:
    """Zipf-like weights: the first words are far more frequent than the last ones."""
    return list((np.arange(count) + 1.0 + shift) ** -exponent)


def _chance(rng: Rng, size: int, share: float | npt.NDArray[np.float64]) -> BoolArray:
    return rng.random(size) < share


def _draw_in_groups(
    rng: Rng, group: IntArray, members: Sequence[IntArray], weights: Sequence[Sequence[float]]
) -> IntArray:
    """For each row, one member of its group, drawn with the group's weights."""
    out = np.zeros(len(group), dtype=np.int64)
    for g, (items, w) in enumerate(zip(members, weights, strict=True)):
        rows = np.flatnonzero(group == g)
        if len(rows) and len(items):
            out[rows] = items[_weighted(rng, len(rows), w)]
    return out


def _pick_in_groups(rng: Rng, group: IntArray, options: Sequence[Weighted]) -> Strings:
    """For each row, one word of its group's weighted options."""
    parts = []
    for g, choices in enumerate(options):
        rows = np.flatnonzero(group == g)
        picks = _weighted(rng, len(rows), [w for _, w in choices])
        parts.append((rows, _take(_words([word for word, _ in choices]), picks)))
    return _scatter(len(group), parts)


def _pick(rng: Rng, size: int, options: Weighted) -> Strings:
    return _pick_in_groups(rng, np.zeros(size, dtype=np.int64), [options])


def _days_back(
    rng: Rng, size: int, span: npt.ArrayLike, power: float, end_day: npt.ArrayLike
) -> IntArray:
    """Days before ``end_day`` (excluded) within ``span`` days; mostly recent when power > 1."""
    back = np.floor(np.asarray(span) * rng.random(size) ** power).astype(np.int64)
    return np.asarray(end_day, dtype=np.int64) - 1 - back


def _clock(rng: Rng, days: IntArray, hours: Sequence[float]) -> IntArray:
    """Seconds since 1970 at a time of each day that follows an hour-of-day profile."""
    hour = _weighted(rng, len(days), hours)
    return days * DAY + hour * 3600 + rng.integers(0, 3600, len(days))


def _offsets(counts: IntArray) -> IntArray:
    """Index of each group's first row when groups of ``counts`` rows are laid end to end."""
    return (np.cumsum(counts) - counts).astype(np.int64)


def _capped_geometric(rng: Rng, size: int, p: float, cap: int) -> IntArray:
    """1, 2, 3 … with geometrically falling odds, at most ``cap``."""
    return np.minimum(rng.geometric(p, size), cap).astype(np.int64)


def _by_time(seconds: IntArray, *columns: npt.NDArray[Any]) -> list[npt.NDArray[Any]]:
    """The times and their row-aligned columns, in time order (files are chronological)."""
    order = np.argsort(seconds, kind="stable")
    return [seconds[order], *(column[order] for column in columns)]


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Lexicon:
    """The vocabulary as arrays the generator indexes into."""

    #: first names, then the same names without accents
    first: Strings
    first_count: int
    first_slug: Strings
    #: culture * 2 + gender -> indices of its first names, most frequent first
    first_groups: list[IntArray]
    #: last names, then the same names without accents
    last: Strings
    last_count: int
    last_slug: Strings
    #: culture -> indices of its last names
    last_groups: list[IntArray]
    streets: Strings
    street_culture: IntArray
    street_groups: list[IntArray]
    #: street types in full, then abbreviated
    street_types: Strings
    city_names: Strings
    city_weight: list[float]
    city_country: IntArray
    city_culture: IntArray
    city_zone: IntArray
    #: the store in each city, -1 when none
    city_store: IntArray
    postcodes: Strings
    postcode_first: IntArray
    postcode_count: IntArray


@cache
def lexicon() -> Lexicon:
    first, last, streets = vocab.first_names(), vocab.last_names(), vocab.streets()
    cultures = range(len(vocab.CULTURES))
    cities = vocab.CITIES
    postcode_count = np.array([len(c.postcodes) for c in cities], dtype=np.int64)
    city_store = np.full(len(cities), -1, dtype=np.int64)
    city_store[:STORES] = np.arange(STORES)  # the biggest French cities have a store
    return Lexicon(
        first=_words(first.words + first.folded()),
        first_count=len(first.words),
        first_slug=_words(first.slugs()),
        first_groups=[first.group(c, g) for c in cultures for g in (0, 1)],
        last=_words(last.words + last.folded()),
        last_count=len(last.words),
        last_slug=_words(last.slugs()),
        last_groups=[last.group(c) for c in cultures],
        streets=_words(streets.words),
        street_culture=streets.culture,
        street_groups=[streets.group(c) for c in cultures],
        street_types=_words(
            [t[0] for t in vocab.STREET_TYPES] + [t[1] for t in vocab.STREET_TYPES]
        ),
        city_names=_words([c.name for c in cities]),
        city_weight=[c.weight for c in cities],
        city_country=np.array([vocab.COUNTRY_CODES.index(c.country) for c in cities]),
        city_culture=np.array([vocab.CULTURES.index(c.culture) for c in cities]),
        city_zone=np.array([c.zone for c in cities], dtype=np.int64),
        city_store=city_store,
        postcodes=_words([p for c in cities for p in c.postcodes]),
        postcode_first=_offsets(postcode_count),
        postcode_count=postcode_count,
    )


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class Addresses:
    """Postal addresses as indices into the vocabulary, one per row."""

    number: IntArray
    suffix: IntArray  # 0 none, 1 bis, 2 ter
    street_type: IntArray
    street: IntArray
    city: IntArray
    postcode: IntArray

    def take(self, rows: IntArray) -> Addresses:
        return Addresses(*(getattr(self, f.name)[rows] for f in fields(self)))

    def where(self, mask: BoolArray, other: Addresses) -> Addresses:
        """``other``'s address where ``mask`` is true, this one elsewhere."""
        return Addresses(
            *(np.where(mask, getattr(other, f.name), getattr(self, f.name)) for f in fields(self))
        )


@dataclass(frozen=True)
class Population:
    """The real people, the ground truth every source is derived from."""

    size: int
    key: Strings
    country: IntArray
    culture: IntArray
    gender: IntArray  # 0 male, 1 female
    first: IntArray
    last: IntArray
    birth_day: IntArray  # days since 1970-01-01
    home: Addresses
    #: the address before moving (the home address of people who did not move)
    previous: Addresses
    move_day: IntArray  # NEVER for people who did not move
    household: IntArray  # -1 for people not in a household
    mobile: IntArray  # national significant number
    landline: IntArray  # 0 when none
    #: e-mails: personal ones [0, size), second ones [size, 2 size), then family ones
    emails: Strings
    family_email: IntArray  # index into ``emails``, -1 when none
    home_store: IntArray


def build_population(rng: Rng, size: int, anchor_day: int) -> Population:
    lex = lexicon()
    country = _weighted(rng, size, [c.share for c in vocab.COUNTRIES])
    home = _draw_addresses(rng, _draw_cities(rng, country))
    culture = lex.city_culture[home.city]
    gender = _chance(rng, size, FEMALE_SHARE).astype(np.int64)
    last_weights = [_zipf(len(g), *LAST_NAME_SKEW) for g in lex.last_groups]
    last = _draw_in_groups(rng, culture, lex.last_groups, last_weights)
    household = _draw_households(rng, country)
    head = _household_heads(household)
    last, home = last[head], home.take(head)
    first = _distinct_in_households(
        household,
        _draw_first_names(rng, culture, gender),
        lambda rows: _draw_first_names(rng, culture[rows], gender[rows]),
    )
    birth_day = _distinct_in_households(
        household,
        _draw_birth_days(rng, size, anchor_day),
        lambda rows: _draw_birth_days(rng, len(rows), anchor_day),
    )
    moved = (household < 0) & _chance(rng, size, MOVER_SHARE / (1 - HOUSEHOLD_SHARE))
    before_move = _draw_addresses(rng, _draw_cities(rng, country))
    emails, family_email = _draw_emails(rng, first, last, birth_day, country, household)
    store = lex.city_store[home.city]
    return Population(
        size=size,
        key=fill_template("P" + "X" * max(7, len(str(size))), np.arange(1, size + 1)),
        country=country,
        culture=culture,
        gender=gender,
        first=first,
        last=last,
        birth_day=birth_day,
        home=home,
        previous=home.where(moved, before_move),
        move_day=np.where(moved, anchor_day - rng.integers(30, 700, size), NEVER),
        household=household,
        mobile=_draw_mobiles(rng, country),
        landline=_draw_landlines(rng, household, home.city),
        emails=emails,
        family_email=family_email,
        home_store=np.where(store >= 0, store, rng.integers(0, STORES, size)),
    )


def _draw_cities(rng: Rng, country: IntArray) -> IntArray:
    lex = lexicon()
    members = [np.flatnonzero(lex.city_country == c) for c in range(len(vocab.COUNTRIES))]
    weights = [[lex.city_weight[i] for i in m] for m in members]
    return _draw_in_groups(rng, country, members, weights)


def _draw_addresses(rng: Rng, city: IntArray) -> Addresses:
    lex = lexicon()
    size = len(city)
    street_weights = [_zipf(len(g), 0.7, 3) for g in lex.street_groups]
    postcode = np.floor(rng.random(size) * lex.postcode_count[city]).astype(np.int64)
    return Addresses(
        number=np.exp(rng.uniform(0, np.log(180), size)).astype(np.int64),
        suffix=_weighted(rng, size, (96, 3, 1)),
        street_type=_weighted(rng, size, [t[2] for t in vocab.STREET_TYPES]),
        street=_draw_in_groups(rng, lex.city_culture[city], lex.street_groups, street_weights),
        city=city,
        postcode=lex.postcode_first[city] + postcode,
    )


def _draw_first_names(rng: Rng, culture: IntArray, gender: IntArray) -> IntArray:
    groups = lexicon().first_groups
    weights = [_zipf(len(g), *FIRST_NAME_SKEW) for g in groups]
    return _draw_in_groups(rng, culture * 2 + gender, groups, weights)


def _draw_birth_days(rng: Rng, size: int, anchor_day: int) -> IntArray:
    """Ages 18 to 85, most of them between 25 and 60."""
    age_days = (18 + 67 * rng.beta(1.6, 2.0, size)) * 365.25
    return (anchor_day - age_days).astype(np.int64)


def _draw_households(rng: Rng, country: IntArray) -> IntArray:
    """Each person's household number, -1 for none. Households live in France."""
    household = np.full(len(country), -1, dtype=np.int64)
    eligible = rng.permutation(np.flatnonzero(country == 0))
    target = min(int(HOUSEHOLD_SHARE * len(country)), len(eligible))
    sizes = np.array([s for s, _ in HOUSEHOLD_SIZES], dtype=np.int64)
    sizes = sizes[_weighted(rng, target // 2 + 1, [w for _, w in HOUSEHOLD_SIZES])]
    sizes = sizes[np.cumsum(sizes) <= target]
    members = eligible[: int(sizes.sum())]
    household[members] = np.repeat(np.arange(len(sizes)), sizes)
    return household


def _household_heads(household: IntArray) -> IntArray:
    """Each person's household head (the first member), themselves when living alone."""
    head = np.arange(len(household), dtype=np.int64)
    members = np.flatnonzero(household >= 0)
    if len(members):
        first_member = np.zeros(int(household.max()) + 1, dtype=np.int64)
        first_member[household[members[::-1]]] = members[::-1]
        head[members] = first_member[household[members]]
    return head


def _distinct_in_households(
    household: IntArray, values: IntArray, redraw: Callable[[IntArray], IntArray]
) -> IntArray:
    """Redraw values until no two members of a household share one."""
    values = values.copy()
    members = np.flatnonzero(household >= 0)
    for _ in range(50):
        order = members[np.lexsort((values[members], household[members]))]
        same = (household[order[1:]] == household[order[:-1]]) & (
            values[order[1:]] == values[order[:-1]]
        )
        clash = order[1:][same]
        if not len(clash):
            break
        values[clash] = redraw(clash)
    return values


def _unique_numbers(rng: Rng, count: int, prefixes: Sequence[str], digits: int) -> IntArray:
    """``count`` different phone numbers of ``digits`` digits, each starting with a prefix."""
    scale: int = 10 ** (digits - len(prefixes[0]))
    drawn = rng.choice(len(prefixes) * scale, size=count, replace=False).astype(np.int64)
    starts = np.array([int(p) for p in prefixes], dtype=np.int64)
    return starts[drawn // scale] * scale + drawn % scale


def _draw_mobiles(rng: Rng, country: IntArray) -> IntArray:
    """A different mobile number for every person, valid in their country."""
    mobile = np.zeros(len(country), dtype=np.int64)
    for c, spec in enumerate(vocab.COUNTRIES):
        rows = np.flatnonzero(country == c)
        mobile[rows] = _unique_numbers(rng, len(rows), spec.mobile_prefixes, spec.digits)
    return mobile


def _draw_landlines(rng: Rng, household: IntArray, city: IntArray) -> IntArray:
    """One French landline per household, in the zone of its town (01 … 05)."""
    members = np.flatnonzero(household >= 0)
    count = int(household.max()) + 1 if len(members) else 0
    zone = np.zeros(count, dtype=np.int64)
    zone[household[members]] = lexicon().city_zone[city[members]]
    numbers = np.zeros(count, dtype=np.int64)
    for z in range(1, 6):
        in_zone = np.flatnonzero(zone == z)
        prefixes = [f"{z}{d:02d}" for d in range(100)]
        prefixes = [p for p in prefixes if p not in vocab.LANDLINE_EXCLUDED_PREFIXES]
        numbers[in_zone] = _unique_numbers(rng, len(in_zone), prefixes, 9)
    landline = np.zeros(len(household), dtype=np.int64)
    landline[members] = numbers[household[members]]
    return landline


# --------------------------------------------------------------------------- e-mails

#: local parts of e-mails, as tokens: f first name, l last name, i and j their initials,
#: 2 and 3 random digits, y and Y the birth year in 2 or 4 digits; other tokens are literal
Patterns = Sequence[tuple[tuple[str, ...], float]]
PERSONAL_PATTERNS: Patterns = (
    (("f", ".", "l"), 30),
    (("f", "l"), 10),
    (("i", "l", "2"), 12),
    (("f", ".", "l", "y"), 12),
    (("l", ".", "f"), 6),
    (("f", "_", "l"), 6),
    (("f", "j", "3"), 6),
    (("f", "l", "Y"), 8),
    (("l", "i"), 5),
    (("i", ".", "l"), 5),
)
OLD_PATTERNS: Patterns = (
    (("f", "l", "2"), 40),
    (("f", "_", "l", "y"), 30),
    (("i", "l"), 15),
    (("f", ".", "l", "3"), 15),
)
WORK_PATTERNS: Patterns = ((("f", ".", "l"), 70), (("i", "l"), 20), (("i", ".", "l"), 10))
FAMILY_PATTERNS: Patterns = (
    (("famille.", "l"), 40),
    (("les", "l"), 25),
    (("l", ".famille"), 20),
    (("famille", "l", "2"), 15),
)


def _addresses_like(
    rng: Rng,
    patterns: Patterns,
    domains: Strings,
    first: IntArray,
    last: IntArray,
    birth_day: IntArray,
) -> Strings:
    """E-mail addresses made of the people's names after the given patterns."""
    lex = lexicon()
    size = len(first)
    f, l_ = _take(lex.first_slug, first), _take(lex.last_slug, last)
    year = _calendar(birth_day * DAY)["Y"]
    tokens = {
        "f": f,
        "l": l_,
        "i": pc.utf8_slice_codeunits(f, 0, 1),
        "j": pc.utf8_slice_codeunits(l_, 0, 1),
        "2": fill_template("XX", rng.integers(0, 100, size)),
        "3": fill_template("XXX", rng.integers(0, 1000, size)),
        "y": fill_template("XX", year % 100),
        "Y": fill_template("XXXX", year),
    }
    pattern = _weighted(rng, size, [w for _, w in patterns])
    parts = []
    for p, (pieces, _) in enumerate(patterns):
        rows = np.flatnonzero(pattern == p)
        local = [_take(tokens[t], rows) if t in tokens else t for t in pieces]
        parts.append((rows, _join(*local, "@", _take(domains, rows))))
    return _scatter(size, parts)


def _draw_emails(
    rng: Rng,
    first: IntArray,
    last: IntArray,
    birth_day: IntArray,
    country: IntArray,
    household: IntArray,
) -> tuple[Strings, IntArray]:
    """Everyone's personal and second e-mail, and the family e-mails of some households.

    No two are the same: an address already taken gets a number (jean.dupont2@…), so
    only the members of one household ever share an e-mail."""
    size = len(first)
    domains = _pick_in_groups(rng, country, [c.email_domains for c in vocab.COUNTRIES])
    personal = _addresses_like(rng, PERSONAL_PATTERNS, domains, first, last, birth_day)
    work = _addresses_like(
        rng, WORK_PATTERNS, _pick(rng, size, vocab.WORK_DOMAINS), first, last, birth_day
    )
    old = _addresses_like(
        rng, OLD_PATTERNS, _pick(rng, size, vocab.OLD_DOMAINS), first, last, birth_day
    )
    second = pc.if_else(_chance(rng, size, WORK_EMAIL_SHARE), work, old)

    households = int(household.max()) + 1 if size else 0
    with_family = np.flatnonzero(_chance(rng, households, FAMILY_EMAIL_SHARE))
    members = np.flatnonzero(household >= 0)
    head_of = np.zeros(households, dtype=np.int64)
    head_of[household[members]] = _household_heads(household)[members]
    heads = head_of[with_family]
    family = _addresses_like(
        rng,
        FAMILY_PATTERNS,
        _pick(rng, len(heads), vocab.FAMILY_DOMAINS),
        first[heads],
        last[heads],
        birth_day[heads],
    )
    emails = _unique_emails(pa.concat_arrays([personal, second, family]))
    family_of_household = np.full(households + 1, -1, dtype=np.int64)
    family_of_household[with_family] = 2 * size + np.arange(len(with_family))
    return emails, family_of_household[household]  # household -1 reads the last slot: -1


def _unique_emails(emails: Strings) -> Strings:
    """Append a number to the local part of each address already taken (jean.dupont2@…)."""
    split = pc.split_pattern(emails, "@", max_splits=1)
    local, domain = pc.list_element(split, 0), pc.list_element(split, 1)
    size = len(emails)
    for _ in range(50):
        full = _join(local, "@", domain)
        codes = np.asarray(pc.dictionary_encode(full).indices, dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        grouped = codes[order]
        starts = np.ones(size, dtype=bool)
        starts[1:] = grouped[1:] != grouped[:-1]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(size), 0))
        rank = np.empty(size, dtype=np.int64)
        rank[order] = np.arange(size) - group_start
        taken = np.flatnonzero(rank > 0)
        if not len(taken):
            return full
        local = _replace_at(local, taken, _join(_take(local, taken), _text(rank[taken] + 1)))
    raise RuntimeError("could not make the e-mail addresses unique")


# --------------------------------------------------------------------------- memberships


@dataclass(frozen=True)
class Memberships:
    """Which systems know each person."""

    crm: BoolArray
    crm_duplicate: BoolArray
    recent_shopper: BoolArray
    buyer: BoolArray
    web: BoolArray
    loyalty: BoolArray
    email_audience: BoolArray
    support: BoolArray
    nps: BoolArray


def draw_memberships(rng: Rng, pop: Population) -> Memberships:
    size = pop.size
    crm = _chance(rng, size, CRM_SHARE)
    recent = crm & _chance(rng, size, RECENT_ACCESSORY_SHOPPERS / CRM_SHARE)
    buyer = recent | _chance(rng, size, np.where(crm, BUYER_SHARE_CRM, BUYER_SHARE_OTHER))
    in_france = pop.country == 0
    loyalty = _chance(rng, size, np.where(in_france, LOYALTY_SHARE_FRANCE, LOYALTY_SHARE_ABROAD))
    customer = crm | buyer | loyalty
    audience = np.where(customer, EMAIL_AUDIENCE_SHARE_CUSTOMER, EMAIL_AUDIENCE_SHARE_OTHER)
    return Memberships(
        crm=crm,
        crm_duplicate=crm & _chance(rng, size, CRM_DUPLICATE_SHARE),
        recent_shopper=recent,
        buyer=buyer,
        web=recent | _chance(rng, size, np.where(crm, WEB_SHARE_CRM, WEB_SHARE_OTHER)),
        loyalty=loyalty,
        email_audience=_chance(rng, size, audience),
        support=_chance(rng, size, np.where(buyer, SUPPORT_SHARE_BUYER, SUPPORT_SHARE_OTHER)),
        nps=_chance(rng, size, np.where(buyer | loyalty, NPS_SHARE_CUSTOMER, NPS_SHARE_OTHER)),
    )


# --------------------------------------------------------------------------- writing people


def _typo(word: str, kind: int, spot: float, letter: int) -> str:
    """``word`` with one character substituted (kind 0), dropped (1) or doubled (2)."""
    if len(word) < 3:
        return word
    pos = 1 + int(spot * (len(word) - 1))
    if kind == 1:
        return word[:pos] + word[pos + 1 :]
    if kind == 2:
        return word[:pos] + word[pos] + word[pos:]
    new = chr(ord("a") + letter)
    if new == word[pos].lower():
        new = chr(ord("a") + (letter + 1) % 26)
    return word[:pos] + (new.upper() if word[pos].isupper() else new) + word[pos + 1 :]


def with_typos(rng: Rng, values: Strings, share: float) -> Strings:
    """One typo in ``share`` of the values (a Python loop over those few values only)."""
    rows = np.flatnonzero(_chance(rng, len(values), share))
    if not len(rows):
        return values
    kinds, spots = rng.integers(0, 3, len(rows)), rng.random(len(rows))
    letters = rng.integers(0, 26, len(rows))
    typed = [
        None if word is None else _typo(word, int(k), float(s), int(c))
        for word, k, s, c in zip(
            _take(values, rows).to_pylist(), kinds, spots, letters, strict=True
        )
    ]
    return _replace_at(values, rows, pa.array(typed, type=pa.string()))


def with_spaces(rng: Rng, values: Strings, share: float) -> Strings:
    """Stray spaces in ``share`` of the values: before, after, or doubled inside."""
    kind = rng.random(len(values)) / share if share else np.full(len(values), 9.0)
    out = pc.if_else(kind < 1 / 3, _join(" ", values), values)
    out = pc.if_else((kind >= 1 / 3) & (kind < 2 / 3), _join(values, "  "), out)
    doubled = pc.replace_substring(values, " ", "  ", max_replacements=1)
    return pc.if_else((kind >= 2 / 3) & (kind < 1), doubled, out)


def person_names(
    rng: Rng, pop: Population, persons: IntArray, style: Style
) -> tuple[Strings, Strings]:
    """First and last names as a source writes them."""
    lex = lexicon()
    fold = _chance(rng, len(persons), style.no_accent)
    first = _take(lex.first, pop.first[persons] + fold * lex.first_count)
    last = _take(lex.last, pop.last[persons] + fold * lex.last_count)
    if style.upper:
        first, last = pc.utf8_upper(first), pc.utf8_upper(last)
    first, last = with_typos(rng, first, style.typo), with_typos(rng, last, style.typo)
    swap = _chance(rng, len(persons), style.swapped)
    first, last = pc.if_else(swap, last, first), pc.if_else(swap, first, last)
    return with_spaces(rng, first, style.spaces), with_spaces(rng, last, style.spaces)


def _phone_template(country: vocab.Country, style: str) -> str:
    digits = "X" * country.digits
    templates = {
        "national": country.national,
        "dotted": country.national.replace(" ", "."),
        "compact": country.trunk + digits,
        "e164": f"+{country.dial}{digits}",
        "zero_zero": f"00{country.dial}{digits}",
        "international": country.international,
    }
    if country.trunk:
        national = country.national[len(country.trunk) :]
        templates["paren"] = f"+{country.dial} ({country.trunk}){national}"
    return templates.get(style, country.international)


def render_phones(
    rng: Rng, numbers: IntArray, country: IntArray, france: Weighted, abroad: str
) -> Strings:
    """Phone numbers written one source's way: French ones in its weighted styles."""
    style = _weighted(rng, len(numbers), [w for _, w in france])
    parts = []
    for c, spec in enumerate(vocab.COUNTRIES):
        styles = list(enumerate(name for name, _ in france)) if c == 0 else [(-1, abroad)]
        for s, name in styles:
            rows = np.flatnonzero((country == c) & ((style == s) | (s < 0)))
            parts.append((rows, fill_template(_phone_template(spec, name), numbers[rows])))
    return _scatter(len(numbers), parts)


def _with_junk(rng: Rng, values: Strings, share: float, junk: Sequence[str]) -> Strings:
    rows = np.flatnonzero(_chance(rng, len(values), share))
    return _replace_at(values, rows, _take(_words(junk), rng.integers(0, len(junk), len(rows))))


def person_phones(rng: Rng, pop: Population, persons: IntArray, style: Style) -> Strings:
    """Each row's phone as the source writes it: the mobile, or the household landline."""
    size = len(persons)
    landline = pop.landline[persons]
    use_landline = (landline > 0) & _chance(rng, size, style.landline)
    numbers = np.where(use_landline, landline, pop.mobile[persons])
    country = np.where(use_landline, 0, pop.country[persons])
    phones = render_phones(rng, numbers, country, style.phone_france, style.phone_abroad)
    phones = _with_junk(rng, phones, style.junk, vocab.JUNK_PHONES)
    return _null_where(phones, _chance(rng, size, style.missing_phone))


def person_emails(
    rng: Rng, pop: Population, persons: IntArray, style: Style, second: BoolArray | None = None
) -> Strings:
    """Each row's e-mail: the personal one, the second one (where ``second``) or the family's."""
    size = len(persons)
    index = persons if second is None else np.where(second, pop.size + persons, persons)
    family = pop.family_email[persons]
    index = np.where((family >= 0) & _chance(rng, size, style.family_email), family, index)
    emails = _take(pop.emails, index)
    case = rng.random(size) / style.email_case if style.email_case else np.full(size, 9.0)
    emails = pc.if_else(case < 0.8, pc.utf8_title(emails), emails)  # Jean.Dupont@Gmail.Com
    emails = pc.if_else((case >= 0.8) & (case < 1), pc.utf8_upper(emails), emails)
    emails = pc.if_else(_chance(rng, size, style.email_spaces), _join("  ", emails, " "), emails)
    emails = _with_junk(rng, emails, style.junk, vocab.JUNK_EMAILS)
    return _null_where(emails, _chance(rng, size, style.missing_email))


#: street line layouts per culture: n number, t street type, s street name
ADDRESS_LAYOUTS = {
    "fr": ("n", " ", "t", " ", "s"),
    "nl": ("s", " ", "n"),
    "de": ("s", " ", "n"),
    "en": ("n", " ", "s"),
    "es": ("s", ", ", "n"),
}


def render_addresses(rng: Rng, address: Addresses, abbreviate: float = 0.0) -> Strings:
    """Street lines in each culture's layout: ``12 bis rue Victor Hugo``, ``Hauptstraße 5``."""
    lex = lexicon()
    size = len(address.number)
    suffix = _take(_words(["", " bis", " ter"]), address.suffix)
    short = _chance(rng, size, abbreviate) * len(vocab.STREET_TYPES)
    tokens = {
        "n": _join(_text(address.number), suffix),
        "t": _take(lex.street_types, address.street_type + short),
        "s": _take(lex.streets, address.street),
    }
    culture = lex.street_culture[address.street]
    parts = []
    for c, code in enumerate(vocab.CULTURES):
        rows = np.flatnonzero(culture == c)
        pieces = [_take(tokens[t], rows) if t in tokens else t for t in ADDRESS_LAYOUTS[code]]
        parts.append((rows, _join(*pieces)))
    return _scatter(size, parts)


def _postcodes(address: Addresses) -> Strings:
    return _take(lexicon().postcodes, address.postcode)


def _cities(address: Addresses) -> Strings:
    return _take(lexicon().city_names, address.city)


def _address_at(pop: Population, persons: IntArray, seconds: IntArray) -> Addresses:
    """Where each person lived at that time."""
    before_move = seconds < pop.move_day[persons] * DAY
    return pop.home.take(persons).where(before_move, pop.previous.take(persons))


def _sequence_ids(prefix: str, size: int, start: int, width: int) -> Strings:
    """Ids numbered in file order: ``prefix`` + zero-padded numbers from ``start``."""
    width = max(width, len(str(start + size)))
    return fill_template(prefix + "X" * width, start + np.arange(size, dtype=np.int64))


def _amounts(cents: IntArray) -> Strings:
    """``59.90``: euros with a dot and two decimals."""
    return _join(_text(cents // 100), ".", fill_template("XX", cents % 100))


def _per_person(pop: Population, persons: IntArray, values: Strings) -> Strings:
    """A value per person from the rows of ``persons`` (the first row wins), null for others."""
    row = np.full(pop.size, len(persons), dtype=np.int64)
    row[persons[::-1]] = np.arange(len(persons) - 1, -1, -1)
    return _take(pa.concat_arrays([values, pa.nulls(1, pa.string())]), row)


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Accounts:
    """The CRM's customer ids, per person (null for people without an account)."""

    customer_id: Strings
    has_account: BoolArray


def build_crm(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> tuple[SourceData, Accounts]:
    """One row per account; movers mostly still show their old address (never updated)."""
    anchor_s = anchor_day * DAY
    main = np.flatnonzero(who.crm)
    moved = pop.move_day[main] < NEVER
    created = _clock(
        rng,
        np.where(
            moved,
            _days_back(rng, len(main), 1500, 1.0, pop.move_day[main] - 30),
            _days_back(rng, len(main), CRM_HISTORY_DAYS, 1.0, anchor_day),
        ),
        ONLINE_HOURS,
    )
    shows_old = moved & _chance(rng, len(main), CRM_SHOWS_OLD_ADDRESS_SHARE)
    move_s = pop.move_day[main] * DAY
    low = np.where(moved & ~shows_old, move_s, created)
    high = np.where(shows_old, move_s, anchor_s)
    updated = low + (rng.random(len(main)) * (high - low)).astype(np.int64)
    # some people registered twice, later, with their second e-mail
    dup = np.flatnonzero(who.crm_duplicate[main])
    dup_created = created[dup] + (rng.random(len(dup)) * (anchor_s - created[dup])).astype(np.int64)
    dup_updated = dup_created + (rng.random(len(dup)) * (anchor_s - dup_created) / 5).astype(
        np.int64
    )
    created, persons, updated, is_dup, old = _by_time(
        np.concatenate([created, dup_created]),
        np.concatenate([main, main[dup]]),
        np.concatenate([updated, dup_updated]),
        np.r_[np.zeros(len(main), dtype=bool), np.ones(len(dup), dtype=bool)],
        np.r_[shows_old, np.zeros(len(dup), dtype=bool)],
    )
    size = len(persons)
    ids = _sequence_ids("C", size, 1_000_001, 7)
    first, last = person_names(rng, pop, persons, CRM_STYLE)
    address = pop.home.take(persons).where(old, pop.previous.take(persons))
    gender = _pick_in_groups(rng, pop.gender[persons], vocab.GENDER_SPELLINGS)
    birth = format_times(pop.birth_day[persons] * DAY, "%d/%m/%Y")
    country = _pick_in_groups(rng, pop.country[persons], [c.spellings for c in vocab.COUNTRIES])
    table = pa.table(
        {
            "customer_id": ids,
            "first_name": first,
            "last_name": last,
            "email": person_emails(rng, pop, persons, CRM_STYLE, second=is_dup),
            "phone": person_phones(rng, pop, persons, CRM_STYLE),
            "birth_date": _null_where(birth, _chance(rng, size, CRM_STYLE.missing_birth_date)),
            "gender": _null_where(gender, _chance(rng, size, CRM_MISSING_GENDER)),
            "address": with_spaces(rng, render_addresses(rng, address), CRM_STYLE.spaces),
            "postcode": _postcodes(address),
            "city": _cities(address),
            "country": _null_where(country, _chance(rng, size, CRM_MISSING_COUNTRY)),
            "language": _null_where(
                _take(_words(vocab.LANGUAGES), pop.culture[persons]),
                _chance(rng, size, CRM_MISSING_LANGUAGE),
            ),
            "created_at": format_times(created, "%Y-%m-%d %H:%M:%S"),
            "updated_at": format_times(updated, "%Y-%m-%d %H:%M:%S"),
        }
    )
    accounts = Accounts(_per_person(pop, persons, ids), np.isin(np.arange(pop.size), persons))
    return SourceData("crm", "crm.csv", table, "customer_id", persons), accounts


def build_orders(
    rng: Rng, pop: Population, who: Memberships, accounts: Accounts, anchor_day: int
) -> SourceData:
    """1-10 orders per buyer over two years, recent ones likelier; churned buyers stopped."""
    buyers = np.flatnonzero(who.buyer)
    counts = _capped_geometric(rng, len(buyers), ORDERS_GEOMETRIC_P, MAX_ORDERS)
    churned = _chance(rng, len(buyers), CHURNED_BUYER_SHARE) & ~who.recent_shopper[buyers]
    last_day = np.repeat(
        np.where(churned, anchor_day - rng.integers(180, 540, len(buyers)), anchor_day), counts
    )
    spend = np.repeat(rng.lognormal(0.0, 0.45, len(buyers)), counts)
    persons = np.repeat(buyers, counts)
    size = len(persons)
    days = _days_back(rng, size, last_day - (anchor_day - ORDER_HISTORY_DAYS), 1.6, last_day)
    category = _weighted(rng, size, [c[2] for c in vocab.CATEGORIES])
    guest = ~accounts.has_account[persons] | _chance(rng, size, GUEST_ORDER_SHARE)
    # the recent accessory shoppers' first order: accessories, signed in, this month
    recent = _offsets(counts)[who.recent_shopper[buyers]]
    days[recent] = anchor_day - 1 - rng.integers(0, 25, len(recent))
    category[recent] = [c[0] for c in vocab.CATEGORIES].index("accessories")
    guest[recent] = False
    items = _capped_geometric(rng, size, 0.6, 6)
    price = np.array([c[1] for c in vocab.CATEGORIES])[category] * spend
    euros = np.maximum(3, np.round(price * rng.lognormal(0, 0.3, size))).astype(np.int64)
    cents = np.array([90, 99, 0, 50])[_weighted(rng, size, (45, 30, 15, 10))]
    unit_price = np.where(cents > 0, (euros - 1) * 100 + cents, euros * 100)
    seconds, persons, category, items, unit_price, guest = _by_time(
        _clock(rng, days, ONLINE_HOURS), persons, category, items, unit_price, guest
    )
    second_email = guest & _chance(rng, size, GUEST_SECOND_EMAIL_SHARE)
    first, last = person_names(rng, pop, persons, ORDERS_STYLE)
    address = _address_at(pop, persons, seconds)
    street = render_addresses(rng, address, ABBREVIATED_STREET_SHARE)
    table = pa.table(
        {
            "order_id": _sequence_ids("O", size, 10_000_001, 8),
            "customer_id": _null_where(_take(accounts.customer_id, persons), guest),
            "email": person_emails(rng, pop, persons, ORDERS_STYLE, second=second_email),
            "phone": person_phones(rng, pop, persons, ORDERS_STYLE),
            "first_name": first,
            "last_name": last,
            "shipping_address": with_spaces(rng, street, ORDERS_STYLE.spaces),
            "shipping_postcode": _postcodes(address),
            "shipping_city": _cities(address),
            "shipping_country": _take(_words(vocab.COUNTRY_CODES), pop.country[persons]),
            "ordered_at": format_times(seconds, "%Y-%m-%d %H:%M:%S"),
            "total": _amounts(unit_price * items),
            "currency": pa.repeat(pa.scalar("EUR", pa.string()), size),
            "category": _take(_words([c[0] for c in vocab.CATEGORIES]), category),
            "items": _text(items),
        }
    )
    return SourceData("orders", "orders.csv", table, "order_id", persons)


def build_email_events(rng: Rng, pop: Population, who: Memberships, anchor_day: int) -> SourceData:
    """0-40 opens and clicks per subscriber over a year; a few unsubscribe at the end."""
    audience = np.flatnonzero(who.email_audience)
    counts = np.minimum(
        rng.geometric(1 / (MEAN_EMAIL_EVENTS + 1), len(audience)) - 1, MAX_EMAIL_EVENTS
    ).astype(np.int64)
    persons = np.repeat(audience, counts)
    days = _days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.2, anchor_day)
    seconds = _clock(rng, days, EMAIL_HOURS)
    kind = _chance(rng, len(persons), CLICK_SHARE).astype(np.int64)  # 0 open, 1 click
    leaving = _chance(rng, len(audience), UNSUBSCRIBE_SHARE)
    last_seen = _clock(
        rng, _days_back(rng, len(audience), EMAIL_HISTORY_DAYS, 1.0, anchor_day), EMAIL_HOURS
    )
    active = counts > 0
    if active.any():
        last_seen[active] = np.maximum.reduceat(seconds, _offsets(counts)[active])
    unsubscribed = np.minimum(
        last_seen + rng.integers(60, 7200, len(audience)), anchor_day * DAY - 1
    )
    seconds, persons, kind = _by_time(
        np.concatenate([seconds, unsubscribed[leaving]]),
        np.concatenate([persons, audience[leaving]]),
        np.concatenate([kind, np.full(int(leaving.sum()), 2, dtype=np.int64)]),
    )
    size = len(persons)
    newsletter = _join("newsletter-", format_times(seconds, "%Y-%m"))
    promotion = _take(_words(vocab.CAMPAIGNS), rng.integers(0, len(vocab.CAMPAIGNS), size))
    table = pa.table(
        {
            "event_id": _sequence_ids("E", size, 1, 10),
            "email": person_emails(rng, pop, persons, EMAIL_TOOL_STYLE),
            "event_type": _take(_words(["open", "click", "unsubscribe"]), kind),
            "campaign": pc.if_else(_chance(rng, size, NEWSLETTER_SHARE), newsletter, promotion),
            "occurred_at": format_times(seconds, "%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    return SourceData("email_events", "email_events.csv", table, "event_id", persons)


def build_web_events(
    rng: Rng, pop: Population, who: Memberships, accounts: Accounts, anchor_day: int
) -> SourceData:
    """Devices browse under an anonymous id; a sign-in links it to the user id."""
    users = np.flatnonzero(who.web)
    devices = np.array([d for d, _ in DEVICES])[_weighted(rng, len(users), [w for _, w in DEVICES])]
    device_person = np.repeat(users, devices)
    app = _chance(rng, len(device_person), APP_DEVICE_SHARE)
    anonymous_ids = hex_ids(rng, len(device_person))
    device_ids = pc.utf8_upper(hex_ids(rng, len(device_person), (16,)))

    sessions = _capped_geometric(rng, len(device_person), 0.6, 6)
    session_device = np.repeat(np.arange(len(device_person)), sessions)
    count = len(session_device)
    days = _days_back(rng, count, WEB_HISTORY_DAYS, 1.5, anchor_day)
    start = _clock(rng, days, ONLINE_HOURS)
    pages = _capped_geometric(rng, count, 0.5, 8)
    has_account = accounts.has_account[device_person[session_device]]
    signs_in = has_account & _chance(rng, count, SIGN_IN_SHARE)
    sign_in_at = rng.integers(0, pages + 1)
    # the recent accessory shoppers sign in on their first device this week
    first = _offsets(sessions)[_offsets(devices)[who.recent_shopper[users]]]
    start[first] = _clock(rng, anchor_day - 1 - rng.integers(0, 6, len(first)), ONLINE_HOURS)
    signs_in[first], sign_in_at[first] = True, 0
    pages[first] = np.maximum(pages[first], 2)

    per_session = pages + signs_in
    session = np.repeat(np.arange(count), per_session)
    position = np.arange(len(session)) - np.repeat(_offsets(per_session), per_session)
    elapsed = np.cumsum(rng.integers(5, 240, len(session)))
    elapsed -= np.repeat(elapsed[_offsets(per_session)], per_session) if len(session) else 0
    seconds = np.minimum(start[session] + elapsed, anchor_day * DAY - 1)
    is_sign_in = signs_in[session] & (position == sign_in_at[session])
    known = signs_in[session] & (position >= sign_in_at[session])
    path = rng.integers(0, len(vocab.WEB_PATHS), len(session))
    seconds, device, is_sign_in, known, path = _by_time(
        seconds, session_device[session], is_sign_in, known, np.where(is_sign_in, -1, path)
    )
    persons = device_person[device]
    size = len(persons)
    table = pa.table(
        {
            "message_id": hex_ids(rng, size),
            "anonymous_id": _take(anonymous_ids, device),
            "user_id": _null_where(_take(accounts.customer_id, persons), ~known),
            "app": app[device],
            "device_id": _take(device_ids, device),
            "event": _take(_words(["Page Viewed", "Signed In"]), is_sign_in.astype(np.int64)),
            "timestamp": format_times(seconds, "%Y-%m-%dT%H:%M:%SZ"),
            "path": _take(_words([vocab.SIGN_IN_PATH, *vocab.WEB_PATHS]), path + 1),
        }
    )
    return SourceData("web_events", "web_events.jsonl", table, "message_id", persons)


@dataclass(frozen=True)
class LoyaltyCards:
    """Loyalty card numbers (null without a card) and when each person joined, per person."""

    loyalty_id: Strings
    joined_day: IntArray  # NEVER without a card


def build_loyalty(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> tuple[SourceData, LoyaltyCards]:
    """Cards typed at the till: upper case, accents often lost, US-style birth dates."""
    members = np.flatnonzero(who.loyalty)
    days = _days_back(rng, len(members), LOYALTY_HISTORY_DAYS, 1.0, anchor_day)
    numbers = rng.choice(9 * 10**8, size=len(members), replace=False) + 10**8
    joined, persons, numbers = _by_time(_clock(rng, days, STORE_HOURS), members, numbers)
    size = len(persons)
    ids = fill_template("L" + "X" * 9, numbers)
    first, last = person_names(rng, pop, persons, LOYALTY_STYLE)
    birth = us_short_dates(pop.birth_day[persons])
    table = pa.table(
        {
            "loyalty_id": ids,
            "first_name": first,
            "last_name": last,
            "phone": person_phones(rng, pop, persons, LOYALTY_STYLE),
            "email": person_emails(rng, pop, persons, LOYALTY_STYLE),
            "birth_date": _null_where(birth, _chance(rng, size, LOYALTY_STYLE.missing_birth_date)),
            "postcode": _postcodes(_address_at(pop, persons, joined)),
            "store_id": _store_ids(pop.home_store[persons]),
            "joined_at": format_times(joined, "%Y-%m-%d"),
        }
    )
    joined_day = np.full(pop.size, NEVER, dtype=np.int64)
    joined_day[persons] = joined // DAY
    cards = LoyaltyCards(_per_person(pop, persons, ids), joined_day)
    return SourceData("loyalty_members", "loyalty_members.csv", table, "loyalty_id", persons), cards


def _store_ids(store: IntArray) -> Strings:
    return fill_template("SXXX", store + 1)


def build_store_tickets(
    rng: Rng, pop: Population, who: Memberships, cards: LoyaltyCards, anchor_day: int
) -> SourceData:
    """Receipts of card holders since they joined, plus anonymous ones (no identifier)."""
    members = np.flatnonzero(who.loyalty)
    carded = np.repeat(members, np.minimum(rng.geometric(0.4, len(members)) - 1, 12))
    since = np.maximum(cards.joined_day[carded], anchor_day - ORDER_HISTORY_DAYS)
    carded_days = _days_back(rng, len(carded), anchor_day - since, 1.3, anchor_day)
    in_france = np.flatnonzero(pop.country == 0)
    anonymous_count = round(len(carded) * ANONYMOUS_TICKET_SHARE / (1 - ANONYMOUS_TICKET_SHARE))
    anonymous = rng.choice(in_france, size=anonymous_count if len(in_france) else 0)
    anonymous_days = _days_back(rng, len(anonymous), ORDER_HISTORY_DAYS, 1.3, anchor_day)
    persons = np.concatenate([carded, anonymous]).astype(np.int64)
    home = _chance(rng, len(persons), HOME_STORE_SHARE)
    store = np.where(home, pop.home_store[persons], rng.integers(0, STORES, len(persons)))
    cents = (np.round(rng.lognormal(3.6, 0.6, len(persons)) * 10) * 10).astype(np.int64) + 100
    seconds, persons, store, cents, with_card = _by_time(
        _clock(rng, np.concatenate([carded_days, anonymous_days]), STORE_HOURS),
        persons,
        store,
        cents,
        np.r_[np.ones(len(carded), dtype=bool), np.zeros(len(anonymous), dtype=bool)],
    )
    size = len(persons)
    table = pa.table(
        {
            "ticket_id": _sequence_ids("T", size, 100_000_001, 9),
            "loyalty_id": _null_where(_take(cards.loyalty_id, persons), ~with_card),
            "store_id": _store_ids(store),
            "amount": _amounts(cents),
            "purchased_at": format_times(seconds, "%d/%m/%Y %H:%M"),
        }
    )
    return SourceData("store_tickets", "store_tickets.csv", table, "ticket_id", persons)


def build_support_tickets(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> SourceData:
    """Help-desk tickets: the name typed in one field, "Prénom Nom" or "NOM Prénom"."""
    people = np.flatnonzero(who.support)
    persons = np.repeat(people, _capped_geometric(rng, len(people), 0.6, 3))
    days = _days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.0, anchor_day)
    seconds, persons = _by_time(_clock(rng, days, ONLINE_HOURS), persons)
    size = len(persons)
    first, last = person_names(rng, pop, persons, SUPPORT_STYLE)
    nom_prenom = _chance(rng, size, NOM_PRENOM_SHARE)
    name = pc.if_else(nom_prenom, _join(pc.utf8_upper(last), " ", first), _join(first, " ", last))
    second = _chance(rng, size, SUPPORT_SECOND_EMAIL_SHARE)
    subjects = vocab.SUPPORT_SUBJECTS
    table = pa.table(
        {
            "ticket_id": _sequence_ids("SUP-", size, 1, 7),
            "customer_name": name,
            "email": person_emails(rng, pop, persons, SUPPORT_STYLE, second=second),
            "phone": person_phones(rng, pop, persons, SUPPORT_STYLE),
            "subject": _take(_words(subjects), rng.integers(0, len(subjects), size)),
            "created_at": format_times(seconds, "%Y-%m-%d %H:%M:%S"),
        }
    )
    return SourceData("support_tickets", "support_tickets.csv", table, "ticket_id", persons)


def build_nps_survey(rng: Rng, pop: Population, who: Memberships, anchor_day: int) -> SourceData:
    """Satisfaction answers: a 0-10 score and, for about half, a comment matching it."""
    people = np.flatnonzero(who.nps)
    persons = np.repeat(people, _capped_geometric(rng, len(people), 0.7, 3))
    days = _days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.0, anchor_day)
    seconds, persons = _by_time(_clock(rng, days, EMAIL_HOURS), persons)
    size = len(persons)
    score = _weighted(rng, size, NPS_SCORES)
    band = np.where(score <= 6, 0, np.where(score <= 8, 1, 2))
    comments = [[(c, 1.0) for c in band_comments] for band_comments in vocab.NPS_COMMENTS]
    comment = _pick_in_groups(rng, band, comments)
    table = pa.table(
        {
            "response_id": _sequence_ids("R", size, 1, 8),
            "email": person_emails(rng, pop, persons, NPS_STYLE),
            "score": _text(score),
            "comment": _null_where(comment, _chance(rng, size, NPS_NO_COMMENT_SHARE)),
            "answered_at": format_times(seconds, "%d/%m/%Y"),
        }
    )
    return SourceData("nps_survey", "nps_survey.csv", table, "response_id", persons)


# --------------------------------------------------------------------------- files


def _csv_field(values: Strings) -> Strings:
    """A CSV field: quoted only when it holds a comma, a quote or a line break; null -> ''."""
    needs_quotes = pc.match_substring_regex(values, '[,"\\r\\n]')
    if pc.any(needs_quotes).as_py():
        quoted = _join('"', pc.replace_substring(values, '"', '""'), '"')
        values = pc.if_else(needs_quotes, quoted, values)
    return pc.fill_null(values, "")


def _csv_lines(table: pa.Table) -> Strings:
    fields_ = [_csv_field(column) for column in table.columns]
    return _join(pc.binary_join_element_wise(*fields_, ","), "\n")


def _json_lines(table: pa.Table) -> Strings:
    """Segment-style tracking events; ``user_id`` is absent on the web, null in the app."""
    column = table.column
    user_id = pc.if_else(
        pc.is_valid(column("user_id")),
        _join('"user_id":"', column("user_id"), '",'),
        pc.if_else(column("app"), '"user_id":null,', ""),
    )
    context = pc.if_else(column("app"), _join('{"device_id":"', column("device_id"), '"}'), "{}")
    return _join(
        '{"message_id":"',
        column("message_id"),
        '","anonymous_id":"',
        column("anonymous_id"),
        '",',
        user_id,
        '"event":"',
        column("event"),
        '","timestamp":"',
        column("timestamp"),
        '","properties":{"path":"',
        column("path"),
        '","url":"' + vocab.SITE,
        column("path"),
        '"},"context":',
        context,
        "}\n",
    )


def _write_text(handle: BinaryIO, lines: Strings) -> None:
    """Write a string array's characters as they are (each line ends with its newline)."""
    chunks = lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]
    for chunk in chunks:
        if len(chunk):
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
            offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
            handle.write(memoryview(chunk.buffers()[2])[offsets[0] : offsets[-1]])


def write_source(source: SourceData, path: Path) -> None:
    """Write a source to its file, a chunk of rows at a time."""
    jsonl = path.suffix == ".jsonl"
    with path.open("wb") as handle:
        if not jsonl:
            handle.write((",".join(source.table.column_names) + "\n").encode())
        for start in range(0, source.table.num_rows, CHUNK_ROWS):
            chunk = source.table.slice(start, CHUNK_ROWS)
            _write_text(handle, _json_lines(chunk) if jsonl else _csv_lines(chunk))


def write_truth(sources: Sequence[SourceData], pop: Population, path: Path) -> None:
    """``source,record_id,person`` for every row of every source file."""
    with path.open("wb") as handle:
        handle.write(b"source,record_id,person\n")
        for source in sources:
            record_ids = source.table.column(source.record_id)
            for start in range(0, source.rows, CHUNK_ROWS):
                persons = source.persons[start : start + CHUNK_ROWS]
                ids = record_ids.slice(start, CHUNK_ROWS)
                person_keys = _take(pop.key, persons)
                _write_text(handle, _join(source.name + ",", ids, ",", person_keys, "\n"))


# --------------------------------------------------------------------------- personae.yml


def config_text(anchor: dt.date, engine: str = "duckdb") -> str:
    """The demo's ``personae.yml``, with comments explaining each source; ``engine`` is
    the engine it names (``duckdb``, the default, needs no section)."""
    text = CONFIG_TEMPLATE.replace("{as_of}", anchor.isoformat())
    if engine == "spark":
        text = text.replace("\nname: demo\n", "\nname: demo\n" + SPARK_SECTION, 1)
    elif engine != "duckdb":
        raise ValueError(f"unknown engine {engine!r}: duckdb or spark")
    return text


SPARK_SECTION = """\
# the same pipeline on Apache Spark (pip install 'personae[spark]'; see docs/spark.md)
engine:
  type: spark
  master: local[2]      # or spark://host:7077, yarn, k8s://...
"""


CONFIG_TEMPLATE = """\
# personae.yml of the demo: a French fashion retailer and eight of its systems.
# Generated by `personae demo`; truth/records.csv holds who is really behind each record
# (the pipeline never reads it, the demo's accuracy report does).
name: demo
# reference date of time windows ("last 30 days"), so reruns give the same traits
as_of: {as_of}
defaults:
  phone_region: FR      # numbers written without +CC are French

custom_fields:
  store_id:
    type: string
    description: the loyalty member's home store

sources:
  # The CRM: one row per customer account. Birth dates dd/mm/yyyy, phones "06 12 34 56 78",
  # countries spelled many ways. A few people registered twice (two customer ids).
  # customer_id is also the user id the website knows after sign-in, so the same column
  # feeds both canonical fields.
  crm:
    kind: people
    path: data/crm.csv
    record_id: customer_id
    updated_at: {column: updated_at}
    fields:
      customer_id: customer_id
      user_id: customer_id
      first_name: first_name
      last_name: last_name
      email: email
      phone: {column: phone, region: FR}
      birth_date: {column: birth_date, format: "%d/%m/%Y"}
      gender: gender
      address: address
      postcode: postcode
      city: city
      country: country
      language: language

  # Web orders. Guests check out without a customer id, sometimes with another e-mail.
  # Phones in E.164 (+33612345678), ISO timestamps, totals with a dot.
  orders:
    kind: events
    path: data/orders.csv
    record_id: order_id
    fields:
      customer_id: customer_id
      user_id: customer_id
      email: email
      phone: {column: phone, region: FR}
      first_name: first_name
      last_name: last_name
      address: shipping_address
      postcode: shipping_postcode
      city: shipping_city
      country: shipping_country
    event:
      name: Order Completed
      timestamp: {column: ordered_at}
      properties:
        revenue: {column: total, type: number}
        currency: currency
        category: category
        items: {column: items, type: number}

  # The e-mailing tool knows nothing but the e-mail address (in any case).
  email_events:
    kind: events
    path: data/email_events.csv
    record_id: event_id
    fields:
      email: email
    event:
      name_column: event_type
      name_map:
        open: Email Opened
        click: Email Link Clicked
        unsubscribe: Unsubscribed
      timestamp: {column: occurred_at}
      properties:
        campaign: campaign

  # Website and app tracking (JSON lines). Devices browse under an anonymous id; a
  # "Signed In" event carries the user id (the CRM customer id) with the anonymous id.
  # App events also carry a device id in their context.
  web_events:
    kind: events
    path: data/web_events.jsonl
    format: jsonl
    record_id: message_id
    fields:
      anonymous_id: anonymous_id
      user_id: user_id
      device_id: context.device_id
    event:
      name_column: event
      timestamp: {column: timestamp}
      properties:
        path: properties.path
        url: properties.url

  # Store loyalty cards, typed at the till: UPPER CASE names often without accents,
  # phones "0612345678", US-style birth dates m/d/yy, e-mail often missing.
  loyalty_members:
    kind: people
    path: data/loyalty_members.csv
    record_id: loyalty_id
    updated_at: {column: joined_at}
    fields:
      loyalty_id: loyalty_id
      first_name: first_name
      last_name: last_name
      phone: {column: phone, region: FR}
      email: email
      birth_date: {column: birth_date, format: "%m/%d/%y"}
      postcode: postcode
      store_id: store_id

  # Till receipts: by loyalty card, or anonymous (no identifier at all).
  store_tickets:
    kind: events
    path: data/store_tickets.csv
    record_id: ticket_id
    fields:
      loyalty_id: loyalty_id
    event:
      name: Store Purchase
      timestamp: {column: purchased_at, format: "%d/%m/%Y %H:%M"}
      properties:
        amount: {column: amount, type: number}
        store_id: store_id

  # Help-desk tickets: the name in one field ("Prénom Nom", sometimes "NOM Prénom"),
  # phones "+33 (0)6 12 34 56 78".
  support_tickets:
    kind: events
    path: data/support_tickets.csv
    record_id: ticket_id
    fields:
      full_name: {column: customer_name, order: first_last}
      email: email
      phone: {column: phone, region: FR}
    event:
      name: Support Ticket Opened
      timestamp: {column: created_at}
      properties:
        subject: subject

  # Satisfaction survey: e-mail, a 0-10 score and an optional comment; dates dd/mm/yyyy.
  nps_survey:
    kind: events
    path: data/nps_survey.csv
    record_id: response_id
    fields:
      email: email
    event:
      name: Survey Answered
      timestamp: {column: answered_at, format: "%d/%m/%Y"}
      properties:
        score: {column: score, type: number}
        comment: comment

# identity: the default identifier rules (customer_id > user_id > loyalty_id > email > phone >
# device_id > anonymous_id, junk values such as test@test.com or 0123456789 never link), plus
# probabilistic matching of records that carry a name (Splink, trained without labels): a
# loyalty card with a name, a phone and a postcode joins the CRM row of the same person.
identity:
  matching:
    enabled: true

profiles:
  # most trusted first
  source_priority: [crm, loyalty_members, orders, support_tickets, nps_survey, email_events,
                    web_events, store_tickets]
  fields:
    email: source_priority
    phone: source_priority
    birth_date: source_priority
    address: most_recent
    postcode: most_recent
    city: most_recent
    first_name: most_frequent
    last_name: most_frequent
  default_rule: most_frequent

traits:
  order_count: {aggregate: count, event: Order Completed}
  revenue: {aggregate: sum, event: Order Completed, of: revenue}
  average_order_value: {expression: "revenue / nullif(order_count, 0)"}
  first_order_at: {aggregate: min, event: Order Completed, of: timestamp}
  last_order_at: {aggregate: max, event: Order Completed, of: timestamp}
  days_since_last_order: {expression: "date_diff('day', last_order_at, as_of)"}
  last_seen: {aggregate: max, of: timestamp, description: last seen on any channel}
  email_opens_30d: {aggregate: count, event: Email Opened, within: 30d}
  email_opens_90d: {aggregate: count, event: Email Opened, within: 90d}
  email_clicks_30d: {aggregate: count, event: Email Link Clicked, within: 30d}
  email_clicks_90d: {aggregate: count, event: Email Link Clicked, within: 90d}
  unsubscribed: {aggregate: exists, event: Unsubscribed}
  nps: {aggregate: last, event: Survey Answered, of: score}
  accessories_orders_30d:
    aggregate: count
    event: Order Completed
    where: "category = 'accessories'"
    within: 30d
  store_spend_365d: {aggregate: sum, event: Store Purchase, of: amount, within: 365d}
  rfm: {rfm: true, event: Order Completed, amount: revenue}

segments:
  vip_accessories:
    description: >-
      Bought accessories in the last 30 days, visited the site this week and still subscribed
    all:
      - {trait: accessories_orders_30d, ">=": 1}
      - {event: Page Viewed, within: 7d}
      - {trait: unsubscribed, is: false}
  at_risk_big_spenders:
    description: Spent over 300 EUR but have not ordered for 180 days
    all:
      - {trait: revenue, ">": 300}
      - {trait: days_since_last_order, ">": 180}
"""


# --------------------------------------------------------------------------- entry point


#: rows that real exports contain and ingest must quarantine, appended to the files
#: (they are not records, so the ground truth does not list them)
BROKEN_ROWS: dict[str, bytes] = {
    # a line cut short by a bad export
    "crm": b"C9999901,Jean,Martin\n",
    # a comment with an unquoted comma: one column too many
    "nps_survey": b"R99999901,jean@example.org,9,Super, merci,01/10/2026\n",
    # a latin-1 byte in a UTF-8 file
    "support_tickets": (
        b"SUP-9999901,H\xe9l\xe8ne Dupuis,helene@example.org,,Retour,2026-10-01 10:00:00\n"
    ),
}


def add_broken_rows(files: dict[str, Path]) -> None:
    """Append a few malformed lines and repeat one order id, as real exports do."""
    for name, line in BROKEN_ROWS.items():
        with files[name].open("ab") as handle:
            handle.write(line)
    orders = files["orders"]
    with orders.open("rb") as handle:
        handle.readline()
        first_order = handle.readline()
    with orders.open("ab") as handle:
        handle.write(first_order)  # the same order exported twice


def generate_demo(
    people: int,
    out_dir: Path,
    seed: int = 42,
    anchor: dt.date = dt.date(2026, 11, 1),
    *,
    engine: str = "duckdb",
) -> DemoSummary:
    """Write a demo project into ``out_dir``: ``personae.yml``, ``data/`` and ``truth/``.

    ``anchor`` is the day the data is exported (the project's ``as_of``): every event
    happens before it. The same ``people``, ``seed`` and ``anchor`` give the same bytes.
    ``engine`` is the engine ``personae.yml`` names (``duckdb`` or ``spark``)."""
    if people < 1:
        raise ValueError(f"people must be at least 1, got {people}")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    anchor_day = (anchor - dt.date(1970, 1, 1)).days
    pop = build_population(rng, people, anchor_day)
    who = draw_memberships(rng, pop)
    crm, accounts = build_crm(rng, pop, who, anchor_day)
    loyalty, cards = build_loyalty(rng, pop, who, anchor_day)
    sources = [
        crm,
        build_orders(rng, pop, who, accounts, anchor_day),
        build_email_events(rng, pop, who, anchor_day),
        build_web_events(rng, pop, who, accounts, anchor_day),
        loyalty,
        build_store_tickets(rng, pop, who, cards, anchor_day),
        build_support_tickets(rng, pop, who, anchor_day),
        build_nps_survey(rng, pop, who, anchor_day),
    ]
    text = config_text(anchor, engine)
    parse_config(text)  # the generated configuration must always be valid
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    files = {s.name: out_dir / "data" / s.file for s in sources}
    for source in sources:
        write_source(source, files[source.name])
    add_broken_rows(files)
    truth = out_dir / TRUTH_FILE
    write_truth(sources, pop, truth)
    config = out_dir / CONFIG_FILE
    config.write_text(text, encoding="utf-8")
    rows = {s.name: s.rows for s in sources}
    return DemoSummary(people=people, config=config, truth=truth, files=files, rows=rows)
