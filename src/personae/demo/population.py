"""The real people, the ground truth every source is derived from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from personae.demo import names as vocab
from personae.demo.arrays import BoolArray, IntArray, Rng, Strings
from personae.demo.draws import chance, draw_in_groups, weighted, zipf
from personae.demo.emails import draw_emails
from personae.demo.formats import fill_template
from personae.demo.households import distinct_in_households, draw_households, household_heads
from personae.demo.lexicon import lexicon
from personae.demo.rates import (
    FEMALE_SHARE,
    FIRST_NAME_SKEW,
    HOUSEHOLD_SHARE,
    LAST_NAME_SKEW,
    MOVER_SHARE,
    NEVER,
    STORES,
)


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
    country = weighted(rng, size, [c.share for c in vocab.COUNTRIES])
    home = _draw_addresses(rng, _draw_cities(rng, country))
    culture = lex.city_culture[home.city]
    gender = chance(rng, size, FEMALE_SHARE).astype(np.int64)
    last_weights = [zipf(len(g), *LAST_NAME_SKEW) for g in lex.last_groups]
    last = draw_in_groups(rng, culture, lex.last_groups, last_weights)
    household = draw_households(rng, country)
    head = household_heads(household)
    last, home = last[head], home.take(head)
    first = distinct_in_households(
        household,
        _draw_first_names(rng, culture, gender),
        lambda rows: _draw_first_names(rng, culture[rows], gender[rows]),
    )
    birth_day = distinct_in_households(
        household,
        _draw_birth_days(rng, size, anchor_day),
        lambda rows: _draw_birth_days(rng, len(rows), anchor_day),
    )
    moved = (household < 0) & chance(rng, size, MOVER_SHARE / (1 - HOUSEHOLD_SHARE))
    before_move = _draw_addresses(rng, _draw_cities(rng, country))
    emails, family_email = draw_emails(rng, first, last, birth_day, country, household)
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
    return draw_in_groups(rng, country, members, weights)


def _draw_addresses(rng: Rng, city: IntArray) -> Addresses:
    lex = lexicon()
    size = len(city)
    street_weights = [zipf(len(g), 0.7, 3) for g in lex.street_groups]
    postcode = np.floor(rng.random(size) * lex.postcode_count[city]).astype(np.int64)
    return Addresses(
        number=np.exp(rng.uniform(0, np.log(180), size)).astype(np.int64),
        suffix=weighted(rng, size, (96, 3, 1)),
        street_type=weighted(rng, size, [t[2] for t in vocab.STREET_TYPES]),
        street=draw_in_groups(rng, lex.city_culture[city], lex.street_groups, street_weights),
        city=city,
        postcode=lex.postcode_first[city] + postcode,
    )


def _draw_first_names(rng: Rng, culture: IntArray, gender: IntArray) -> IntArray:
    groups = lexicon().first_groups
    weights = [zipf(len(g), *FIRST_NAME_SKEW) for g in groups]
    return draw_in_groups(rng, culture * 2 + gender, groups, weights)


def _draw_birth_days(rng: Rng, size: int, anchor_day: int) -> IntArray:
    """Ages 18 to 85, most of them between 25 and 60."""
    age_days = (18 + 67 * rng.beta(1.6, 2.0, size)) * 365.25
    return (anchor_day - age_days).astype(np.int64)


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
