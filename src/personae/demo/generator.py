"""The demo data generator: a messy multi-source customer dataset with its ground truth.

``generate_demo(people, out_dir)`` invents the customers of a French fashion retailer
(about 92 % living in France, the rest in Belgium, Switzerland, Germany, the UK and
Spain) and writes what eight of the retailer's systems would know about them:

===================  ========  ============================================================
file (``data/``)     kind      what it holds
===================  ========  ============================================================
crm.csv              people    customer accounts (dd/mm/yyyy birth dates, ``06 12 34 56 78``)
orders.csv           events    web orders, some as guests with another e-mail (E.164 phones)
email_events.csv     events    opens, clicks and unsubscribes of the e-mail tool (e-mail only)
web_events.jsonl     events    page views by anonymous devices, sign-ins carrying the user id
loyalty_members.csv  people    store loyalty cards: UPPER CASE names, m/d/yy birth dates
store_tickets.csv    events    till receipts, by card or anonymous
support_tickets.csv  events    help-desk tickets with the full name in one field
nps_survey.csv       events    satisfaction scores, known by e-mail only
===================  ========  ============================================================

The data is messy on purpose, at the rates set by the constants below: each source
writes phones and dates its own way, names carry typos, lost accents, swapped or upper
case parts and extra spaces, values are missing, some people moved house, households
share a surname, an address, a landline and sometimes an e-mail, guests check out with
a second e-mail, people type junk identifiers (``test@test.com``, ``0123456789``) and
popular names make namesakes. ``truth/records.csv`` says which person is behind every
record of every file (the pipeline never reads it), and ``personae.yml`` declares the
sources, survivorship rules, traits and segments.

Everything is drawn with numpy from one seeded generator and formatted with vectorised
numpy/pyarrow operations, so a million people (about eight million rows) take well
under a minute and the same seed always gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from personae.config import CONFIG_FILE, parse_config
from personae.demo import names as vocab

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Rng = np.random.Generator
#: a pyarrow string array (pyarrow has no type hints)
Strings = Any

DAY = 86_400
#: a day far in the future: "never", for people who did not move
NEVER = 10**7

# --------------------------------------------------------------------------- rates

#: people living in a household of 2-4 people sharing surname, address and landline
HOUSEHOLD_SHARE = 0.10
HOUSEHOLD_SIZES = ((2, 0.55), (3, 0.30), (4, 0.15))
#: households that also share one family e-mail
FAMILY_EMAIL_SHARE = 0.03
#: people who moved: an old address in some sources, the new one in others
MOVER_SHARE = 0.08
FEMALE_SHARE = 0.52

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

#: activity
ORDER_HISTORY_DAYS = 730
ORDERS_GEOMETRIC_P = 0.45
MAX_ORDERS = 10
CHURNED_BUYER_SHARE = 0.30
GUEST_ORDER_SHARE = 0.04
GUEST_SECOND_EMAIL_SHARE = 0.30
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
CRM_HISTORY_DAYS = 6 * 365
CRM_SHOWS_OLD_ADDRESS_SHARE = 0.75
ABBREVIATED_STREET_SHARE = 0.20
NOM_PRENOM_SHARE = 0.15

#: hour-of-day profiles (weights for 0h … 23h)
ONLINE_HOURS = (1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4, 4, 5, 5, 4, 4, 4, 5, 6, 7, 8, 8, 6, 3)
EMAIL_HOURS = (0.5, 0.3, 0.2, 0.2, 0.2, 0.5, 2, 5, 8, 7, 5, 4, 5, 5, 4, 3, 3, 4, 5, 5, 4, 3, 2, 1)
STORE_HOURS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 8, 7, 6, 7, 8, 9, 10, 10, 5, 0, 0, 0, 0)
NPS_SCORES = (2, 1, 1, 2, 2, 5, 6, 12, 22, 22, 25)


@dataclass(frozen=True)
class Noise:
    """How messily one source writes people (shares of its records)."""

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
    junk: float = 0.005


CRM_NOISE = Noise(
    swapped=0.02,
    spaces=0.02,
    email_case=0.05,
    email_spaces=0.02,
    missing_email=0.08,
    missing_phone=0.10,
    missing_birth_date=0.12,
)
ORDERS_NOISE = Noise(typo=0.03, no_accent=0.15, spaces=0.01, email_case=0.03, missing_phone=0.25)
EMAIL_TOOL_NOISE = Noise(email_case=0.08, email_spaces=0.02, junk=0.0)
LOYALTY_NOISE = Noise(
    typo=0.03,
    no_accent=0.60,
    upper=True,
    email_case=0.10,
    missing_email=0.40,
    missing_phone=0.15,
    missing_birth_date=0.20,
)
SUPPORT_NOISE = Noise(
    typo=0.03,
    no_accent=0.10,
    spaces=0.03,
    email_case=0.05,
    missing_email=0.05,
    missing_phone=0.40,
)
NPS_NOISE = Noise(email_case=0.05, email_spaces=0.03)

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
    """One generated source: its rows, their record ids and the person behind each."""

    name: str
    file: str
    record_ids: Strings
    persons: IntArray
    table: pa.Table | None = None
    #: JSON lines (each ending with a newline), for jsonl sources
    lines: Strings = None


# --------------------------------------------------------------------------- vectorised text


def _strings(chars: npt.NDArray[np.uint8]) -> Strings:
    """A string array from a matrix of ASCII codes, one fixed-width string per row."""
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
    """``template`` with its ``X`` slots filled by the digits of each value: ``C0000042``."""
    base = np.frombuffer(template.encode("ascii"), dtype=np.uint8)
    chars = np.tile(base, (len(values), 1))
    slots = [i for i, c in enumerate(template) if c == "X"]
    _write_digits(chars, slots, values)
    return _strings(chars)


def _calendar(seconds: IntArray) -> dict[str, IntArray]:
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
    """Seconds since 1970 written with a fixed-width strftime format (%Y %y %m %d %H %M %S)."""
    fields_ = _calendar(seconds)
    template = ""
    writes: list[tuple[list[int], IntArray]] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            code = fmt[i + 1]
            width = _FIELD_WIDTHS[code]
            writes.append((list(range(len(template), len(template) + width)), fields_[code]))
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
    """``m/d/yy`` without zero padding, as a US spreadsheet writes dates: ``3/7/85``."""
    parts = _calendar(days * DAY)
    return _join(_text(parts["m"]), "/", _text(parts["d"]), "/", fill_template("XX", parts["y"]))


def _text(values: IntArray) -> Strings:
    return pa.array(values, type=pa.int64()).cast(pa.string())


def _join(*parts: Any) -> Strings:
    return pc.binary_join_element_wise(*parts, "")


def _scatter(size: int, parts: Sequence[tuple[IntArray, Strings]]) -> Strings:
    """One array from parts that each give the values of some rows."""
    parts = [(rows, values) for rows, values in parts if len(rows)]
    if not parts:
        return pa.nulls(size, pa.string())
    rows = np.concatenate([r for r, _ in parts])
    values = pa.concat_arrays([v for _, v in parts])
    where = np.empty(size, dtype=np.int64)
    where[rows] = np.arange(len(rows), dtype=np.int64)
    return values.take(pa.array(where))


def _replace_at(values: Strings, rows: IntArray, new: Strings) -> Strings:
    where = np.arange(len(values), dtype=np.int64)
    where[rows] = len(values) + np.arange(len(rows), dtype=np.int64)
    return pa.concat_arrays([values, new]).take(pa.array(where))


def _null_where(values: Strings, mask: BoolArray) -> Strings:
    return pc.if_else(mask, pa.scalar(None, pa.string()), values)


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hex_ids(rng: Rng, size: int, groups: Sequence[int] = (8, 4, 4, 4, 12)) -> Strings:
    """Random lower-case hex identifiers; the default groups make UUID-like ids."""
    nibbles = rng.integers(0, 16, size=(size, sum(groups)), dtype=np.uint8)
    hexes = _HEX[nibbles]
    if len(groups) == 5:
        hexes[:, 12] = ord("4")  # the version digit of a random UUID
    width = sum(groups) + len(groups) - 1
    chars = np.full((size, width), ord("-"), dtype=np.uint8)
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


def _zipf(count: int, exponent: float = 1.0, shift: float = 2.0) -> list[float]:
    """Zipf-like weights: the first words are much more frequent than the last."""
    return list((np.arange(count) + 1.0 + shift) ** -exponent)


def _draw_in_groups(
    rng: Rng, group: IntArray, members: Sequence[IntArray], weights: Sequence[Sequence[float]]
) -> IntArray:
    """For each row, one of its group's members, drawn with the group's weights."""
    out = np.zeros(len(group), dtype=np.int64)
    for g, (items, w) in enumerate(zip(members, weights, strict=True)):
        rows = np.flatnonzero(group == g)
        if len(rows) and len(items):
            out[rows] = items[_weighted(rng, len(rows), w)]
    return out


def _pick_in_groups(
    rng: Rng, group: IntArray, options: Sequence[Sequence[tuple[str, float]]]
) -> Strings:
    """For each row, a word of its group's weighted options."""
    parts = []
    for g, choices in enumerate(options):
        rows = np.flatnonzero(group == g)
        words = pa.array([w for w, _ in choices], type=pa.string())
        parts.append(
            (rows, words.take(pa.array(_weighted(rng, len(rows), [w for _, w in choices]))))
        )
    return _scatter(len(group), parts)


def _chance(rng: Rng, size: int, share: float | npt.NDArray[np.float64]) -> BoolArray:
    return rng.random(size) < share


def _days_back(rng: Rng, size: int, span: Any, power: float, end_day: Any) -> IntArray:
    """Days before ``end_day`` within ``span`` days; more recent ones when power > 1."""
    back = np.floor(np.asarray(span) * rng.random(size) ** power).astype(np.int64)
    return np.asarray(end_day, dtype=np.int64) - 1 - back


def _clock(rng: Rng, days: IntArray, hours: Sequence[float]) -> IntArray:
    """A time of day for each day, following an hour-of-day profile."""
    hour = _weighted(rng, len(days), hours)
    return days * DAY + hour * 3600 + rng.integers(0, 3600, len(days))


def _offsets(counts: IntArray) -> IntArray:
    """Index of each group's first row once groups of ``counts`` rows are laid end to end."""
    return (np.cumsum(counts) - counts).astype(np.int64)


def _capped_geometric(rng: Rng, size: int, p: float, cap: int) -> IntArray:
    return np.minimum(rng.geometric(p, size), cap).astype(np.int64)


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Lexicon:
    """The vocabulary as arrays: names with and without accents, places, slugs."""

    first: Strings  # the names, then the same names without accents
    first_count: int
    first_slug: Strings
    first_groups: list[IntArray]  # culture * 2 + gender -> name indices
    last: Strings
    last_count: int
    last_slug: Strings
    last_groups: list[IntArray]  # culture -> name indices
    streets: Strings
    street_culture: IntArray
    street_groups: list[IntArray]
    street_types: Strings  # full words, then abbreviations
    city_names: Strings
    city_country: IntArray
    city_culture: IntArray
    city_zone: IntArray
    city_store: IntArray  # store in the city, -1 when none
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
        first=pa.array(first.words + first.folded(), type=pa.string()),
        first_count=len(first.words),
        first_slug=pa.array(first.slugs(), type=pa.string()),
        first_groups=[first.group(c, g) for c in cultures for g in (0, 1)],
        last=pa.array(last.words + last.folded(), type=pa.string()),
        last_count=len(last.words),
        last_slug=pa.array(last.slugs(), type=pa.string()),
        last_groups=[last.group(c) for c in cultures],
        streets=pa.array(streets.words, type=pa.string()),
        street_culture=streets.culture,
        street_groups=[streets.group(c) for c in cultures],
        street_types=pa.array(
            [t for t, _, _ in vocab.STREET_TYPES] + [a for _, a, _ in vocab.STREET_TYPES],
            type=pa.string(),
        ),
        city_names=pa.array([c.name for c in cities], type=pa.string()),
        city_country=np.array([vocab.COUNTRY_CODES.index(c.country) for c in cities]),
        city_culture=np.array([vocab.CULTURES.index(c.culture) for c in cities]),
        city_zone=np.array([c.zone for c in cities], dtype=np.int64),
        city_store=city_store,
        postcodes=pa.array([p for c in cities for p in c.postcodes], type=pa.string()),
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
    """The real people: the ground truth every source is derived from."""

    size: int
    key: Strings
    country: IntArray
    culture: IntArray
    gender: IntArray  # 0 male, 1 female
    first: IntArray
    last: IntArray
    birth_day: IntArray  # days since 1970-01-01
    home: Addresses
    #: the address before moving (the home address for people who did not move)
    previous: Addresses
    move_day: IntArray  # NEVER for people who did not move
    household: IntArray  # -1 for people not in a household
    mobile: IntArray  # national significant number
    landline: IntArray  # 0 when none
    #: e-mail pool: personal e-mails [0, size), second e-mails [size, 2 size), family e-mails
    emails: Strings
    family_email: IntArray  # index into ``emails``, -1 when none
    home_store: IntArray


def build_population(rng: Rng, size: int, anchor_day: int) -> Population:
    lex = lexicon()
    country = _weighted(rng, size, [c.share for c in vocab.COUNTRIES])
    home = _draw_addresses(rng, _draw_cities(rng, country))
    culture = lex.city_culture[home.city]
    gender = _chance(rng, size, FEMALE_SHARE).astype(np.int64)
    first = _draw_first_names(rng, culture, gender)
    last = _draw_in_groups(
        rng, culture, lex.last_groups, [_zipf(len(g), 0.9, 5) for g in lex.last_groups]
    )
    birth_day = _draw_birth_days(rng, size, anchor_day)
    household = _draw_households(rng, country)
    anchor = _household_anchor(household)
    last, home = last[anchor], home.take(anchor)
    first = _distinct_in_households(
        rng, household, first, lambda r: _draw_first_names(rng, culture[r], gender[r])
    )
    birth_day = _distinct_in_households(
        rng, household, birth_day, lambda r: _draw_birth_days(rng, len(r), anchor_day)
    )
    moved = (household < 0) & _chance(rng, size, MOVER_SHARE / (1 - HOUSEHOLD_SHARE))
    elsewhere = _draw_addresses(rng, _draw_cities(rng, country))
    emails, family_email = _draw_emails(rng, first, last, birth_day, country, household)
    home_store = lex.city_store[home.city]
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
        previous=home.where(moved, elsewhere),
        move_day=np.where(moved, anchor_day - rng.integers(30, 700, size), NEVER),
        household=household,
        mobile=_draw_mobiles(rng, country),
        landline=_draw_landlines(rng, household, home.city),
        emails=emails,
        family_email=family_email,
        home_store=np.where(home_store >= 0, home_store, rng.integers(0, STORES, size)),
    )


def _draw_cities(rng: Rng, country: IntArray) -> IntArray:
    lex = lexicon()
    members = [np.flatnonzero(lex.city_country == c) for c in range(len(vocab.COUNTRIES))]
    weights = [[vocab.CITIES[i].weight for i in m] for m in members]
    return _draw_in_groups(rng, country, members, weights)


def _draw_addresses(rng: Rng, city: IntArray) -> Addresses:
    lex = lexicon()
    size = len(city)
    culture = lex.city_culture[city]
    street_weights = [_zipf(len(g), 0.7, 3) for g in lex.street_groups]
    return Addresses(
        number=np.exp(rng.uniform(0, np.log(180), size)).astype(np.int64),
        suffix=_weighted(rng, size, (96, 3, 1)),
        street_type=_weighted(rng, size, [w for _, _, w in vocab.STREET_TYPES]),
        street=_draw_in_groups(rng, culture, lex.street_groups, street_weights),
        city=city,
        postcode=lex.postcode_first[city]
        + np.floor(rng.random(size) * lex.postcode_count[city]).astype(np.int64),
    )


def _draw_first_names(rng: Rng, culture: IntArray, gender: IntArray) -> IntArray:
    groups = lexicon().first_groups
    return _draw_in_groups(rng, culture * 2 + gender, groups, [_zipf(len(g)) for g in groups])


def _draw_birth_days(rng: Rng, size: int, anchor_day: int) -> IntArray:
    """Ages 18 to 85, most between 25 and 60."""
    age_days = (18 + 67 * rng.beta(1.6, 2.0, size)) * 365.25
    return (anchor_day - age_days).astype(np.int64)


def _draw_households(rng: Rng, country: IntArray) -> IntArray:
    """Household number of each person (-1 for none); households live in France."""
    household = np.full(len(country), -1, dtype=np.int64)
    eligible = rng.permutation(np.flatnonzero(country == 0))
    target = min(int(HOUSEHOLD_SHARE * len(country)), len(eligible))
    sizes = np.array([s for s, _ in HOUSEHOLD_SIZES], dtype=np.int64)
    sizes = sizes[_weighted(rng, target // 2 + 1, [w for _, w in HOUSEHOLD_SIZES])]
    sizes = sizes[np.cumsum(sizes) <= target]
    members = eligible[: int(sizes.sum())]
    household[members] = np.repeat(np.arange(len(sizes)), sizes)
    return household


def _household_anchor(household: IntArray) -> IntArray:
    """For each person, the first member of their household (themselves when alone)."""
    anchor = np.arange(len(household), dtype=np.int64)
    members = np.flatnonzero(household >= 0)
    if len(members):
        heads = np.full(int(household.max()) + 1, -1, dtype=np.int64)
        heads[household[members[::-1]]] = members[::-1]
        anchor[members] = heads[household[members]]
    return anchor


def _distinct_in_households(
    rng: Rng, household: IntArray, values: IntArray, redraw: Any
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


def _draw_mobiles(rng: Rng, country: IntArray) -> IntArray:
    """A different mobile number for every person, valid for their country."""
    mobile = np.zeros(len(country), dtype=np.int64)
    for c, spec in enumerate(vocab.COUNTRIES):
        rows = np.flatnonzero(country == c)
        rest_digits = spec.digits - len(spec.mobile_prefixes[0])
        space = len(spec.mobile_prefixes) * 10**rest_digits
        drawn = rng.choice(space, size=len(rows), replace=False).astype(np.int64)
        prefixes = np.array([int(p) for p in spec.mobile_prefixes], dtype=np.int64)
        mobile[rows] = (
            prefixes[drawn // 10**rest_digits] * 10**rest_digits + drawn % 10**rest_digits
        )
    return mobile


def _draw_landlines(rng: Rng, household: IntArray, city: IntArray) -> IntArray:
    """One French landline per household, in the zone of its town (01 … 05)."""
    count = int(household.max()) + 1 if len(household) else 0
    numbers = rng.choice(10**8, size=count, replace=False).astype(np.int64)
    zone = np.zeros(count, dtype=np.int64)
    members = np.flatnonzero(household >= 0)
    zone[household[members]] = lexicon().city_zone[city[members]]
    landline = np.zeros(len(household), dtype=np.int64)
    landline[members] = (zone * 10**8 + numbers)[household[members]]
    return landline


# --------------------------------------------------------------------------- e-mails

#: local parts of personal e-mails: f first name, l last name, i/j their initials,
#: 2/3 random digits, y/Y the birth year in 2 or 4 digits; anything else is literal
PERSONAL_PATTERNS: tuple[tuple[tuple[str, ...], float], ...] = (
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
OLD_PATTERNS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("f", "l", "2"), 40),
    (("f", "_", "l", "y"), 30),
    (("i", "l"), 15),
    (("f", ".", "l", "3"), 15),
)
WORK_PATTERNS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("f", ".", "l"), 70),
    (("i", "l"), 20),
    (("i", ".", "l"), 10),
)
FAMILY_PATTERNS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("famille.", "l"), 40),
    (("les", "l"), 25),
    (("l", ".famille"), 20),
    (("famille", "l", "2"), 15),
)


def _local_parts(
    rng: Rng,
    patterns: Sequence[tuple[tuple[str, ...], float]],
    first: IntArray,
    last: IntArray,
    birth_day: IntArray,
) -> Strings:
    lex = lexicon()
    size = len(first)
    f, l_ = lex.first_slug.take(pa.array(first)), lex.last_slug.take(pa.array(last))
    year = _calendar(birth_day * DAY)["Y"]
    columns = {
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
    for p, (tokens, _) in enumerate(patterns):
        rows = np.flatnonzero(pattern == p)
        taken = pa.array(rows)
        pieces = [columns[t].take(taken) if t in columns else t for t in tokens]
        parts.append((rows, _join(*pieces) if len(pieces) > 1 else pieces[0]))
    return _scatter(size, parts)


def _draw_emails(
    rng: Rng,
    first: IntArray,
    last: IntArray,
    birth_day: IntArray,
    country: IntArray,
    household: IntArray,
) -> tuple[Strings, IntArray]:
    """Every person's personal and second e-mail, and the households' family e-mails.

    All are different: an address taken by someone earlier gets a numeric suffix, so
    only the members of a household ever share an e-mail."""
    size = len(first)
    domains = [c.email_domains for c in vocab.COUNTRIES]
    personal = _join(
        _local_parts(rng, PERSONAL_PATTERNS, first, last, birth_day),
        "@",
        _pick_in_groups(rng, country, domains),
    )
    work = _chance(rng, size, 0.55)
    second = pc.if_else(
        work,
        _join(
            _local_parts(rng, WORK_PATTERNS, first, last, birth_day),
            "@",
            _pick_in_groups(
                rng, np.zeros(size, dtype=np.int64), [[(d, 1.0) for d in vocab.WORK_DOMAINS]]
            ),
        ),
        _join(
            _local_parts(rng, OLD_PATTERNS, first, last, birth_day),
            "@",
            _pick_in_groups(
                rng, np.zeros(size, dtype=np.int64), [[(d, 1.0) for d in vocab.OLD_DOMAINS]]
            ),
        ),
    )
    households = int(household.max()) + 1 if size else 0
    with_family = np.flatnonzero(_chance(rng, households, FAMILY_EMAIL_SHARE))
    heads = _household_anchor(household)
    head_of = np.zeros(households, dtype=np.int64)
    members = np.flatnonzero(household >= 0)
    head_of[household[members]] = heads[members]
    family_heads = head_of[with_family]
    family = _join(
        _local_parts(
            rng, FAMILY_PATTERNS, first[family_heads], last[family_heads], birth_day[family_heads]
        ),
        "@",
        _pick_in_groups(
            rng,
            np.zeros(len(family_heads), dtype=np.int64),
            [[(d, 1.0) for d in vocab.FAMILY_DOMAINS]],
        ),
    )
    pool = _unique_emails(pa.concat_arrays([personal, second, family]))
    family_index = np.full(max(households, 1), -1, dtype=np.int64)
    family_index[with_family] = 2 * size + np.arange(len(with_family))
    family_email = np.where(household >= 0, family_index[np.maximum(household, 0)], -1)
    return pool, family_email


def _unique_emails(emails: Strings) -> Strings:
    """Append a number to the local part of every repeated address (jean.dupont2@…)."""
    split = pc.split_pattern(emails, "@", max_splits=1)
    local = pc.list_element(split, 0)
    domain = pc.list_element(split, 1)
    size = len(emails)
    for _ in range(50):
        full = _join(local, "@", domain)
        codes = np.asarray(pc.dictionary_encode(full).indices, dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        ranked = codes[order]
        starts = np.r_[True, ranked[1:] != ranked[:-1]] if size else np.zeros(0, dtype=bool)
        group_start = np.maximum.accumulate(np.where(starts, np.arange(size), 0))
        rank = np.empty(size, dtype=np.int64)
        rank[order] = np.arange(size) - group_start
        repeated = np.flatnonzero(rank > 0)
        if not len(repeated):
            return full
        local = _replace_at(
            local, repeated, _join(local.take(pa.array(repeated)), _text(rank[repeated] + 1))
        )
    raise RuntimeError("could not make e-mail addresses unique")


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
    loyalty = _chance(
        rng, size, np.where(pop.country == 0, LOYALTY_SHARE_FRANCE, LOYALTY_SHARE_ABROAD)
    )
    customer = crm | buyer | loyalty
    return Memberships(
        crm=crm,
        crm_duplicate=crm & _chance(rng, size, CRM_DUPLICATE_SHARE),
        recent_shopper=recent,
        buyer=buyer,
        web=recent | _chance(rng, size, np.where(crm, WEB_SHARE_CRM, WEB_SHARE_OTHER)),
        loyalty=loyalty,
        email_audience=_chance(
            rng,
            size,
            np.where(customer, EMAIL_AUDIENCE_SHARE_CUSTOMER, EMAIL_AUDIENCE_SHARE_OTHER),
        ),
        support=_chance(rng, size, np.where(buyer, SUPPORT_SHARE_BUYER, SUPPORT_SHARE_OTHER)),
        nps=_chance(rng, size, np.where(buyer | loyalty, NPS_SHARE_CUSTOMER, NPS_SHARE_OTHER)),
    )


# --------------------------------------------------------------------------- writing people


def _typo(word: str, kind: int, spot: float, letter: int) -> str:
    if len(word) < 3:
        return word
    pos = 1 + int(spot * (len(word) - 1))
    if kind == 0:  # substitute
        new = chr(ord("a") + letter)
        if new == word[pos].lower():
            new = chr(ord("a") + (letter + 1) % 26)
        return word[:pos] + (new.upper() if word[pos].isupper() else new) + word[pos + 1 :]
    if kind == 1:  # drop
        return word[:pos] + word[pos + 1 :]
    return word[:pos] + word[pos] + word[pos:]  # duplicate


def with_typos(rng: Rng, values: Strings, share: float) -> Strings:
    """One character substituted, dropped or doubled in ``share`` of the values."""
    rows = np.flatnonzero(_chance(rng, len(values), share))
    if not len(rows):
        return values
    kinds = rng.integers(0, 3, len(rows))
    spots = rng.random(len(rows))
    letters = rng.integers(0, 26, len(rows))
    words = values.take(pa.array(rows)).to_pylist()
    typed = [
        None if w is None else _typo(w, int(k), float(s), int(c))
        for w, k, s, c in zip(words, kinds, spots, letters, strict=True)
    ]
    return _replace_at(values, rows, pa.array(typed, type=pa.string()))


def with_spaces(rng: Rng, values: Strings, share: float) -> Strings:
    """Stray spaces: before, after, or doubled inside ``share`` of the values."""
    kind = rng.random(len(values))
    out = pc.if_else(kind < share / 3, _join(" ", values), values)
    out = pc.if_else((kind >= share / 3) & (kind < 2 * share / 3), _join(values, "  "), out)
    doubled = pc.replace_substring(values, " ", "  ", max_replacements=1)
    return pc.if_else((kind >= 2 * share / 3) & (kind < share), doubled, out)


def person_names(
    rng: Rng, pop: Population, persons: IntArray, noise: Noise
) -> tuple[Strings, Strings]:
    """First and last names as a source writes them."""
    lex = lexicon()
    size = len(persons)
    fold = _chance(rng, size, noise.no_accent)
    first = lex.first.take(pa.array(pop.first[persons] + fold * lex.first_count))
    last = lex.last.take(pa.array(pop.last[persons] + fold * lex.last_count))
    if noise.upper:
        first, last = pc.utf8_upper(first), pc.utf8_upper(last)
    first, last = with_typos(rng, first, noise.typo), with_typos(rng, last, noise.typo)
    if noise.swapped:
        swap = _chance(rng, size, noise.swapped)
        first, last = pc.if_else(swap, last, first), pc.if_else(swap, first, last)
    return with_spaces(rng, first, noise.spaces), with_spaces(rng, last, noise.spaces)


def _phone_template(country: vocab.Country, style: str) -> str:
    digits = "X" * country.digits
    if style == "national":
        return country.national
    if style == "dotted":
        return country.national.replace(" ", ".")
    if style == "compact":
        return country.trunk + digits
    if style == "e164":
        return f"+{country.dial}{digits}"
    if style == "paren" and country.trunk:
        return f"+{country.dial} ({country.trunk}){country.national[len(country.trunk) :]}"
    if style == "zero_zero":
        return f"00{country.dial}{digits}"
    return country.international


def render_phones(
    rng: Rng,
    numbers: IntArray,
    country: IntArray,
    styles_france: Sequence[tuple[str, float]],
    style_abroad: str,
) -> Strings:
    """Phone numbers written the way one source writes them."""
    style = _weighted(rng, len(numbers), [w for _, w in styles_france])
    parts = []
    for c, spec in enumerate(vocab.COUNTRIES):
        in_country = country == c
        if c == 0:
            for s, (name, _) in enumerate(styles_france):
                rows = np.flatnonzero(in_country & (style == s))
                parts.append((rows, fill_template(_phone_template(spec, name), numbers[rows])))
        else:
            rows = np.flatnonzero(in_country)
            parts.append((rows, fill_template(_phone_template(spec, style_abroad), numbers[rows])))
    return _scatter(len(numbers), parts)


def person_phones(
    rng: Rng,
    pop: Population,
    persons: IntArray,
    noise: Noise,
    styles_france: Sequence[tuple[str, float]],
    style_abroad: str,
    landline_share: float = 0.0,
) -> Strings:
    """Each row's phone (the household landline for some members), missing or junk at rates."""
    size = len(persons)
    landline = pop.landline[persons]
    use_landline = (landline > 0) & _chance(rng, size, landline_share)
    numbers = np.where(use_landline, landline, pop.mobile[persons])
    country = np.where(use_landline, 0, pop.country[persons])
    phones = render_phones(rng, numbers, country, styles_france, style_abroad)
    phones = _with_junk(rng, phones, noise.junk, vocab.JUNK_PHONES)
    return _null_where(phones, _chance(rng, size, noise.missing_phone))


def _with_junk(rng: Rng, values: Strings, share: float, junk: Sequence[str]) -> Strings:
    rows = np.flatnonzero(_chance(rng, len(values), share))
    picks = pa.array(list(junk), type=pa.string()).take(
        pa.array(rng.integers(0, len(junk), len(rows)))
    )
    return _replace_at(values, rows, picks)


def person_emails(
    rng: Rng,
    pop: Population,
    persons: IntArray,
    noise: Noise,
    second: BoolArray | None = None,
    family_share: float = 0.0,
) -> Strings:
    """Each row's e-mail: personal, second (where ``second``) or the family one, with noise."""
    size = len(persons)
    index = persons.copy()
    if second is not None:
        index = np.where(second, pop.size + persons, index)
    family = pop.family_email[persons]
    index = np.where((family >= 0) & _chance(rng, size, family_share), family, index)
    emails = pop.emails.take(pa.array(index))
    case = rng.random(size)
    emails = pc.if_else(case < noise.email_case * 0.8, pc.utf8_title(emails), emails)
    emails = pc.if_else(
        (case >= noise.email_case * 0.8) & (case < noise.email_case), pc.utf8_upper(emails), emails
    )
    emails = pc.if_else(_chance(rng, size, noise.email_spaces), _join("  ", emails, " "), emails)
    emails = _with_junk(rng, emails, noise.junk, vocab.JUNK_EMAILS)
    return _null_where(emails, _chance(rng, size, noise.missing_email))


def render_addresses(rng: Rng, address: Addresses, abbreviate: float = 0.0) -> Strings:
    """Street lines in each culture's order: ``12 bis rue Victor Hugo``, ``Hauptstraße 5``."""
    lex = lexicon()
    size = len(address.number)
    suffix = pa.array(["", " bis", " ter"], type=pa.string()).take(pa.array(address.suffix))
    number = _join(_text(address.number), suffix)
    short = _chance(rng, size, abbreviate) * len(vocab.STREET_TYPES)
    street_type = lex.street_types.take(pa.array(address.street_type + short))
    street = lex.streets.take(pa.array(address.street))
    culture = lex.street_culture[address.street]
    layouts = {  # culture -> pieces (n number, t street type, s street)
        "fr": ("n", " ", "t", " ", "s"),
        "nl": ("s", " ", "n"),
        "de": ("s", " ", "n"),
        "en": ("n", " ", "s"),
        "es": ("s", ", ", "n"),
    }
    columns = {"n": number, "t": street_type, "s": street}
    parts = []
    for c, code in enumerate(vocab.CULTURES):
        rows = pa.array(np.flatnonzero(culture == c))
        pieces = [columns[p].take(rows) if p in columns else p for p in layouts[code]]
        parts.append((np.flatnonzero(culture == c), _join(*pieces)))
    return _scatter(size, parts)


def _postcodes(address: Addresses) -> Strings:
    return lexicon().postcodes.take(pa.array(address.postcode))


def _cities(address: Addresses) -> Strings:
    return lexicon().city_names.take(pa.array(address.city))


def _address_at(pop: Population, persons: IntArray, seconds: IntArray) -> Addresses:
    """Where each person lived at that time."""
    before = seconds < pop.move_day[persons] * DAY
    return pop.home.take(persons).where(before, pop.previous.take(persons))


def _country_codes(pop: Population, persons: IntArray) -> Strings:
    return pa.array(list(vocab.COUNTRY_CODES), type=pa.string()).take(
        pa.array(pop.country[persons])
    )


def _sorted(seconds: IntArray, *arrays: IntArray) -> list[IntArray]:
    order = np.argsort(seconds, kind="stable")
    return [seconds[order], *(a[order] for a in arrays)]


def _sequence_ids(prefix: str, size: int, start: int, width: int) -> Strings:
    width = max(width, len(str(start + size)))
    return fill_template(prefix + "X" * width, start + np.arange(size, dtype=np.int64))


def _amounts(cents: IntArray) -> Strings:
    """``59.90``: euros with a dot and two decimals."""
    return _join(_text(cents // 100), ".", fill_template("XX", cents % 100))


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Accounts:
    """Customer ids handed out by the CRM, per person (null without an account)."""

    customer_id: Strings
    has_account: BoolArray


def build_crm(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> tuple[SourceData, Accounts]:
    anchor_s = anchor_day * DAY
    main = np.flatnonzero(who.crm)
    moved = pop.move_day[main] < NEVER
    created_day = np.where(
        moved,
        _days_back(rng, len(main), 1500, 1.0, pop.move_day[main] - 30),
        _days_back(rng, len(main), CRM_HISTORY_DAYS, 1.0, anchor_day),
    )
    created = _clock(rng, created_day, ONLINE_HOURS)
    shows_old = moved & _chance(rng, len(main), CRM_SHOWS_OLD_ADDRESS_SHARE)
    move_s = pop.move_day[main] * DAY
    low = np.where(moved & ~shows_old, move_s, created)
    high = np.where(shows_old, move_s, anchor_s)
    updated = low + (rng.random(len(main)) * (high - low)).astype(np.int64)

    dup = np.flatnonzero(who.crm_duplicate[main])
    dup_created = created[dup] + (rng.random(len(dup)) * (anchor_s - created[dup])).astype(np.int64)
    persons = np.concatenate([main, main[dup]])
    created = np.concatenate([created, dup_created])
    updated = np.concatenate(
        [
            updated,
            dup_created + (rng.random(len(dup)) * (anchor_s - dup_created) * 0.2).astype(np.int64),
        ]
    )
    is_dup = np.r_[np.zeros(len(main), dtype=bool), np.ones(len(dup), dtype=bool)]
    old = np.r_[shows_old, np.zeros(len(dup), dtype=bool)]
    created, persons, updated, is_dup, old = _sorted(created, persons, updated, is_dup, old)

    size = len(persons)
    ids = _sequence_ids("C", size, 1_000_001, 7)
    first, last = person_names(rng, pop, persons, CRM_NOISE)
    address = pop.home.take(persons).where(old, pop.previous.take(persons))
    gender = _null_where(
        _pick_in_groups(rng, pop.gender[persons], vocab.GENDER_SPELLINGS), _chance(rng, size, 0.04)
    )
    birth = _null_where(
        format_times(pop.birth_day[persons] * DAY, "%d/%m/%Y"),
        _chance(rng, size, CRM_NOISE.missing_birth_date),
    )
    language = pa.array(list(vocab.LANGUAGES), type=pa.string()).take(
        pa.array(pop.culture[persons])
    )
    table = pa.table(
        {
            "customer_id": ids,
            "first_name": first,
            "last_name": last,
            "email": person_emails(rng, pop, persons, CRM_NOISE, second=is_dup, family_share=0.7),
            "phone": person_phones(
                rng,
                pop,
                persons,
                CRM_NOISE,
                (("national", 0.9), ("dotted", 0.1)),
                "international",
                landline_share=0.6,
            ),
            "birth_date": birth,
            "gender": gender,
            "address": with_spaces(rng, render_addresses(rng, address), CRM_NOISE.spaces),
            "postcode": _postcodes(address),
            "city": _cities(address),
            "country": _null_where(
                _pick_in_groups(rng, pop.country[persons], [c.spellings for c in vocab.COUNTRIES]),
                _chance(rng, size, 0.03),
            ),
            "language": _null_where(language, _chance(rng, size, 0.10)),
            "created_at": format_times(created, "%Y-%m-%d %H:%M:%S"),
            "updated_at": format_times(updated, "%Y-%m-%d %H:%M:%S"),
        }
    )
    first_id = np.full(pop.size, -1, dtype=np.int64)
    mains = np.flatnonzero(~is_dup)
    first_id[persons[mains]] = mains
    customer_id = (
        _null_where(ids.take(pa.array(np.maximum(first_id, 0))), first_id < 0)
        if size
        else pa.nulls(pop.size, pa.string())
    )
    accounts = Accounts(customer_id=customer_id, has_account=first_id >= 0)
    return SourceData("crm", "crm.csv", ids, persons, table=table), accounts


def build_orders(
    rng: Rng, pop: Population, who: Memberships, accounts: Accounts, anchor_day: int
) -> SourceData:
    buyers = np.flatnonzero(who.buyer)
    counts = _capped_geometric(rng, len(buyers), ORDERS_GEOMETRIC_P, MAX_ORDERS)
    churned = _chance(rng, len(buyers), CHURNED_BUYER_SHARE) & ~who.recent_shopper[buyers]
    end = np.where(churned, anchor_day - rng.integers(180, 540, len(buyers)), anchor_day)
    spend = np.repeat(rng.lognormal(0.0, 0.45, len(buyers)), counts)
    persons = np.repeat(buyers, counts)
    size = len(persons)
    end_rows = np.repeat(end, counts)
    days = _days_back(rng, size, end_rows - (anchor_day - ORDER_HISTORY_DAYS), 1.6, end_rows)
    category = _weighted(rng, size, [w for _, _, w in vocab.CATEGORIES])
    guest = ~accounts.has_account[persons] | _chance(rng, size, GUEST_ORDER_SHARE)
    # the recent accessory shoppers' first order: accessories, signed in, this month
    recent = _offsets(counts)[who.recent_shopper[buyers]]
    days[recent] = anchor_day - 1 - rng.integers(0, 25, len(recent))
    category[recent] = [c for c, _, _ in vocab.CATEGORIES].index("accessories")
    guest[recent] = False
    seconds = _clock(rng, days, ONLINE_HOURS)
    items = _capped_geometric(rng, size, 0.6, 6)
    base = np.array([p for _, p, _ in vocab.CATEGORIES])[category]
    euros = np.maximum(3, np.round(base * spend * rng.lognormal(0, 0.3, size))).astype(np.int64)
    ending = np.array([90, 99, 0, 50], dtype=np.int64)[_weighted(rng, size, (45, 30, 15, 10))]
    unit_cents = np.where(ending > 0, (euros - 1) * 100 + ending, euros * 100)
    seconds, persons, category, items, unit_cents, guest_int = _sorted(
        seconds, persons, category, items, unit_cents, guest.astype(np.int64)
    )
    guest = guest_int.astype(bool)
    second_email = guest & _chance(rng, size, GUEST_SECOND_EMAIL_SHARE)
    first, last = person_names(rng, pop, persons, ORDERS_NOISE)
    address = _address_at(pop, persons, seconds)
    ids = _sequence_ids("O", size, 10_000_001, 8)
    categories = pa.array([c for c, _, _ in vocab.CATEGORIES], type=pa.string())
    table = pa.table(
        {
            "order_id": ids,
            "customer_id": _null_where(accounts.customer_id.take(pa.array(persons)), guest),
            "email": person_emails(
                rng, pop, persons, ORDERS_NOISE, second=second_email, family_share=0.5
            ),
            "phone": person_phones(rng, pop, persons, ORDERS_NOISE, (("e164", 1.0),), "e164"),
            "first_name": first,
            "last_name": last,
            "shipping_address": with_spaces(
                rng, render_addresses(rng, address, ABBREVIATED_STREET_SHARE), 0.03
            ),
            "shipping_postcode": _postcodes(address),
            "shipping_city": _cities(address),
            "shipping_country": _country_codes(pop, persons),
            "ordered_at": format_times(seconds, "%Y-%m-%d %H:%M:%S"),
            "total": _amounts(unit_cents * items),
            "currency": pa.repeat("EUR", size),
            "category": categories.take(pa.array(category)),
            "items": _text(items),
        }
    )
    return SourceData("orders", "orders.csv", ids, persons, table=table)


def build_email_events(rng: Rng, pop: Population, who: Memberships, anchor_day: int) -> SourceData:
    audience = np.flatnonzero(who.email_audience)
    counts = np.minimum(
        rng.geometric(1 / (MEAN_EMAIL_EVENTS + 1), len(audience)) - 1, MAX_EMAIL_EVENTS
    )
    persons = np.repeat(audience, counts)
    seconds = _clock(
        rng, _days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.2, anchor_day), EMAIL_HOURS
    )
    kind = np.where(_chance(rng, len(persons), CLICK_SHARE), 1, 0)
    # unsubscribes come after the person's last e-mail
    leaving = _chance(rng, len(audience), UNSUBSCRIBE_SHARE)
    last_seen = np.full(len(audience), -1, dtype=np.int64)
    has_events = counts > 0
    if len(persons):
        last_seen[has_events] = np.maximum.reduceat(seconds, _offsets(counts)[has_events])
    random_time = _clock(
        rng, _days_back(rng, len(audience), EMAIL_HISTORY_DAYS, 1.0, anchor_day), EMAIL_HOURS
    )
    unsubscribed_at = np.where(
        has_events, last_seen + rng.integers(60, 7200, len(audience)), random_time
    )
    unsubscribed_at = np.minimum(unsubscribed_at, anchor_day * DAY - 1)[leaving]
    persons = np.concatenate([persons, audience[leaving]])
    seconds = np.concatenate([seconds, unsubscribed_at])
    kind = np.concatenate([kind, np.full(len(unsubscribed_at), 2)])
    seconds, persons, kind = _sorted(seconds, persons, kind)
    size = len(persons)
    newsletter = _join("newsletter-", format_times(seconds, "%Y-%m"))
    promo = pa.array(list(vocab.CAMPAIGNS), type=pa.string()).take(
        pa.array(rng.integers(0, len(vocab.CAMPAIGNS), size))
    )
    ids = _sequence_ids("E", size, 1, 10)
    table = pa.table(
        {
            "event_id": ids,
            "email": person_emails(rng, pop, persons, EMAIL_TOOL_NOISE),
            "event_type": pa.array(["open", "click", "unsubscribe"], type=pa.string()).take(
                pa.array(kind)
            ),
            "campaign": pc.if_else(_chance(rng, size, NEWSLETTER_SHARE), newsletter, promo),
            "occurred_at": format_times(seconds, "%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    return SourceData("email_events", "email_events.csv", ids, persons, table=table)


def build_web_events(
    rng: Rng, pop: Population, who: Memberships, accounts: Accounts, anchor_day: int
) -> SourceData:
    """Devices browse anonymously; a sign-in ties the device's anonymous id to the user id."""
    users = np.flatnonzero(who.web)
    devices_per_user = np.array([d for d, _ in DEVICES])[
        _weighted(rng, len(users), [w for _, w in DEVICES])
    ]
    device_person = np.repeat(users, devices_per_user)
    app = _chance(rng, len(device_person), APP_DEVICE_SHARE)
    anonymous_ids = hex_ids(rng, len(device_person))
    device_ids = pc.utf8_upper(hex_ids(rng, len(device_person), (16,)))

    sessions_per_device = _capped_geometric(rng, len(device_person), 0.6, 6)
    session_device = np.repeat(np.arange(len(device_person)), sessions_per_device)
    session_person = device_person[session_device]
    sessions = len(session_device)
    start = _clock(rng, _days_back(rng, sessions, WEB_HISTORY_DAYS, 1.5, anchor_day), ONLINE_HOURS)
    pages = _capped_geometric(rng, sessions, 0.5, 8)
    signs_in = accounts.has_account[session_person] & _chance(rng, sessions, SIGN_IN_SHARE)
    sign_in_at = rng.integers(0, pages + 1)
    # recent accessory shoppers sign in on their first device this week
    recent = who.recent_shopper[users]
    first_session = _offsets(sessions_per_device)[_offsets(devices_per_user)[recent]]
    start[first_session] = _clock(
        rng, anchor_day - 1 - rng.integers(0, 6, len(first_session)), ONLINE_HOURS
    )
    signs_in[first_session] = True
    sign_in_at[first_session] = 0
    pages[first_session] = np.maximum(pages[first_session], 2)

    per_session = pages + signs_in
    event_session = np.repeat(np.arange(sessions), per_session)
    position = np.arange(len(event_session)) - np.repeat(_offsets(per_session), per_session)
    gaps = np.cumsum(rng.integers(5, 240, len(event_session)))
    elapsed = gaps - np.repeat(gaps[_offsets(per_session)] if len(gaps) else gaps, per_session)
    seconds = np.minimum(start[event_session] + elapsed, anchor_day * DAY - 1)
    is_sign_in = signs_in[event_session] & (position == sign_in_at[event_session])
    known = signs_in[event_session] & (position >= sign_in_at[event_session])
    path_index = np.where(
        is_sign_in, len(vocab.WEB_PATHS), rng.integers(0, len(vocab.WEB_PATHS), len(event_session))
    )
    device = session_device[event_session]
    seconds, event_session, is_sign_in_i, known_i, path_index, device = _sorted(
        seconds,
        event_session,
        is_sign_in.astype(np.int64),
        known.astype(np.int64),
        path_index,
        device,
    )
    persons = device_person[device]
    size = len(persons)
    message_ids = hex_ids(rng, size)
    paths = pa.array([*vocab.WEB_PATHS, vocab.SIGN_IN_PATH], type=pa.string()).take(
        pa.array(path_index)
    )
    events = pa.array(["Page Viewed", "Signed In"], type=pa.string()).take(pa.array(is_sign_in_i))
    device_app = app[device]
    user_id = _join('"user_id":"', accounts.customer_id.take(pa.array(persons)), '",')
    user_part = pc.if_else(
        known_i.astype(bool), user_id, pc.if_else(device_app, '"user_id":null,', "")
    )
    context = pc.if_else(
        device_app, _join('{"device_id":"', device_ids.take(pa.array(device)), '"}'), "{}"
    )
    lines = _join(
        '{"message_id":"',
        message_ids,
        '","anonymous_id":"',
        anonymous_ids.take(pa.array(device)),
        '",',
        user_part,
        '"event":"',
        events,
        '","timestamp":"',
        format_times(seconds, "%Y-%m-%dT%H:%M:%SZ"),
        '","properties":{"path":"',
        paths,
        '","url":"',
        vocab.SITE,
        paths,
        '"},"context":',
        context,
        "}\n",
    )
    return SourceData("web_events", "web_events.jsonl", message_ids, persons, lines=lines)


@dataclass(frozen=True)
class LoyaltyCards:
    loyalty_id: Strings  # per person, null without a card
    joined_day: IntArray  # per person, NEVER without a card


def build_loyalty(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> tuple[SourceData, LoyaltyCards]:
    members = np.flatnonzero(who.loyalty)
    joined = _clock(
        rng, _days_back(rng, len(members), LOYALTY_HISTORY_DAYS, 1.0, anchor_day), STORE_HOURS
    )
    numbers = rng.choice(9 * 10**8, size=len(members), replace=False).astype(np.int64) + 10**8
    joined, persons, numbers = _sorted(joined, members, numbers)
    size = len(persons)
    ids = fill_template("L" + "X" * 9, numbers)
    first, last = person_names(rng, pop, persons, LOYALTY_NOISE)
    birth = _null_where(
        us_short_dates(pop.birth_day[persons]), _chance(rng, size, LOYALTY_NOISE.missing_birth_date)
    )
    table = pa.table(
        {
            "loyalty_id": ids,
            "first_name": first,
            "last_name": last,
            "phone": person_phones(
                rng,
                pop,
                persons,
                LOYALTY_NOISE,
                (("compact", 1.0),),
                "zero_zero",
                landline_share=0.5,
            ),
            "email": person_emails(rng, pop, persons, LOYALTY_NOISE, family_share=0.5),
            "birth_date": birth,
            "postcode": _postcodes(_address_at(pop, persons, joined)),
            "store_id": _store_ids(pop.home_store[persons]),
            "joined_at": format_times(joined, "%Y-%m-%d"),
        }
    )
    index = np.full(pop.size, -1, dtype=np.int64)
    index[persons] = np.arange(size)
    joined_day = np.full(pop.size, NEVER, dtype=np.int64)
    joined_day[persons] = joined // DAY
    card = (
        _null_where(ids.take(pa.array(np.maximum(index, 0))), index < 0)
        if size
        else pa.nulls(pop.size, pa.string())
    )
    return SourceData(
        "loyalty_members", "loyalty_members.csv", ids, persons, table=table
    ), LoyaltyCards(card, joined_day)


def _store_ids(store: IntArray) -> Strings:
    return fill_template("SXXX", store + 1)


def build_store_tickets(
    rng: Rng, pop: Population, who: Memberships, cards: LoyaltyCards, anchor_day: int
) -> SourceData:
    members = np.flatnonzero(who.loyalty)
    counts = np.minimum(rng.geometric(0.4, len(members)) - 1, 12)
    carded = np.repeat(members, counts)
    first_day = np.maximum(cards.joined_day[carded], anchor_day - ORDER_HISTORY_DAYS)
    carded_days = _days_back(rng, len(carded), anchor_day - first_day, 1.3, anchor_day)
    anonymous_count = round(len(carded) * ANONYMOUS_TICKET_SHARE / (1 - ANONYMOUS_TICKET_SHARE))
    in_france = np.flatnonzero(pop.country == 0)
    anonymous = (
        rng.choice(in_france, size=anonymous_count)
        if len(in_france)
        else np.zeros(0, dtype=np.int64)
    )
    persons = np.concatenate([carded, anonymous]).astype(np.int64)
    days = np.concatenate(
        [carded_days, _days_back(rng, len(anonymous), ORDER_HISTORY_DAYS, 1.3, anchor_day)]
    )
    with_card = np.r_[
        np.ones(len(carded), dtype=np.int64), np.zeros(len(anonymous), dtype=np.int64)
    ]
    seconds = _clock(rng, days, STORE_HOURS)
    store = np.where(
        _chance(rng, len(persons), HOME_STORE_SHARE),
        pop.home_store[persons],
        rng.integers(0, STORES, len(persons)),
    )
    cents = (np.round(rng.lognormal(3.6, 0.6, len(persons)) * 10) * 10).astype(np.int64) + 100
    seconds, persons, with_card, store, cents = _sorted(seconds, persons, with_card, store, cents)
    size = len(persons)
    ids = _sequence_ids("T", size, 100_000_001, 9)
    table = pa.table(
        {
            "ticket_id": ids,
            "loyalty_id": _null_where(cards.loyalty_id.take(pa.array(persons)), with_card == 0),
            "store_id": _store_ids(store),
            "amount": _amounts(cents),
            "purchased_at": format_times(seconds, "%d/%m/%Y %H:%M"),
        }
    )
    return SourceData("store_tickets", "store_tickets.csv", ids, persons, table=table)


def build_support_tickets(
    rng: Rng, pop: Population, who: Memberships, anchor_day: int
) -> SourceData:
    people = np.flatnonzero(who.support)
    counts = _capped_geometric(rng, len(people), 0.6, 3)
    persons = np.repeat(people, counts)
    seconds = _clock(
        rng, _days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.0, anchor_day), ONLINE_HOURS
    )
    seconds, persons = _sorted(seconds, persons)
    size = len(persons)
    first, last = person_names(rng, pop, persons, SUPPORT_NOISE)
    nom_prenom = _chance(rng, size, NOM_PRENOM_SHARE)
    name = pc.if_else(nom_prenom, _join(pc.utf8_upper(last), " ", first), _join(first, " ", last))
    ids = _sequence_ids("SUP-", size, 1, 7)
    subjects = pa.array(list(vocab.SUPPORT_SUBJECTS), type=pa.string())
    table = pa.table(
        {
            "ticket_id": ids,
            "customer_name": name,
            "email": person_emails(
                rng, pop, persons, SUPPORT_NOISE, second=_chance(rng, size, 0.12)
            ),
            "phone": person_phones(
                rng, pop, persons, SUPPORT_NOISE, (("paren", 1.0),), "international"
            ),
            "subject": subjects.take(pa.array(rng.integers(0, len(subjects), size))),
            "created_at": format_times(seconds, "%Y-%m-%d %H:%M:%S"),
        }
    )
    return SourceData("support_tickets", "support_tickets.csv", ids, persons, table=table)


def build_nps_survey(rng: Rng, pop: Population, who: Memberships, anchor_day: int) -> SourceData:
    people = np.flatnonzero(who.nps)
    counts = _capped_geometric(rng, len(people), 0.7, 3)
    persons = np.repeat(people, counts)
    seconds = _clock(
        rng, _days_back(rng, len(persons), EMAIL_HISTORY_DAYS, 1.0, anchor_day), EMAIL_HOURS
    )
    seconds, persons = _sorted(seconds, persons)
    size = len(persons)
    score = _weighted(rng, size, NPS_SCORES)
    band = np.where(score <= 6, 0, np.where(score <= 8, 1, 2))
    comment = _pick_in_groups(
        rng, band, [[(c, 1.0) for c in comments] for comments in vocab.NPS_COMMENTS]
    )
    ids = _sequence_ids("R", size, 1, 8)
    table = pa.table(
        {
            "response_id": ids,
            "email": person_emails(rng, pop, persons, NPS_NOISE),
            "score": _text(score),
            "comment": _null_where(comment, _chance(rng, size, 0.45)),
            "answered_at": format_times(seconds, "%d/%m/%Y"),
        }
    )
    return SourceData("nps_survey", "nps_survey.csv", ids, persons, table=table)


# --------------------------------------------------------------------------- files


def _write_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def _write_lines(lines: Strings, path: Path) -> None:
    with path.open("wb") as handle:
        if len(lines):
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
                lines.offset : lines.offset + len(lines) + 1
            ]
            handle.write(memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]])


def _write_truth(sources: Sequence[SourceData], pop: Population, path: Path) -> None:
    table = pa.table(
        {
            "source": pa.concat_arrays(
                [pa.repeat(s.name, len(s.persons)).cast(pa.string()) for s in sources]
            ),
            "record_id": pa.concat_arrays([s.record_ids for s in sources]),
            "person": pop.key.take(pa.array(np.concatenate([s.persons for s in sources]))),
        }
    )
    _write_csv(table, path)


def config_text(anchor: dt.date) -> str:
    """The demo's ``personae.yml``, with comments explaining each source."""
    return CONFIG_TEMPLATE.replace("{as_of}", anchor.isoformat())


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

# identity: the defaults (customer_id > user_id > loyalty_id > email > phone > device_id >
# anonymous_id, junk values such as test@test.com or 0123456789 never link).

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
  last_seen_at: {aggregate: max, of: timestamp}
  email_opens_30d: {aggregate: count, event: Email Opened, within: 30d}
  email_opens_90d: {aggregate: count, event: Email Opened, within: 90d}
  email_clicks_30d: {aggregate: count, event: Email Link Clicked, within: 30d}
  email_clicks_90d: {aggregate: count, event: Email Link Clicked, within: 90d}
  unsubscribed: {aggregate: exists, event: Unsubscribed}
  nps: {aggregate: last, event: Survey Answered, of: score}
  accessories_orders_30d: {aggregate: count, event: Order Completed, where: "category = 'accessories'", within: 30d}
  store_spend_365d: {aggregate: sum, event: Store Purchase, of: amount, within: 365d}
  rfm: {rfm: true, event: Order Completed, amount: revenue}

segments:
  vip_accessories:
    description: Bought accessories in the last 30 days, visited the site this week and still subscribed
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


def generate_demo(
    people: int, out_dir: Path, seed: int = 42, anchor: dt.date = dt.date(2026, 11, 1)
) -> DemoSummary:
    """Write the demo project into ``out_dir``: ``personae.yml``, ``data/`` and ``truth/``."""
    if people < 1:
        raise ValueError("people must be at least 1")
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
    data_dir, truth_dir = out_dir / "data", out_dir / "truth"
    data_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for source in sources:
        path = data_dir / source.file
        if source.table is not None:
            _write_csv(source.table, path)
        else:
            _write_lines(source.lines, path)
        files[source.name] = path
    truth = truth_dir / "records.csv"
    _write_truth(sources, pop, truth)
    text = config_text(anchor)
    parse_config(text)  # the generated configuration must always be valid
    config = out_dir / CONFIG_FILE
    config.write_text(text, encoding="utf-8")
    return DemoSummary(
        people=people,
        config=config,
        truth=truth,
        files=files,
        rows={s.name: len(s.persons) for s in sources},
    )
