"""The vocabulary of ``names`` as arrays the generator indexes into."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from personae.demo import names as vocab
from personae.demo.arrays import IntArray, Strings, words
from personae.demo.draws import offsets
from personae.demo.rates import STORES


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
        first=words(first.words + first.folded()),
        first_count=len(first.words),
        first_slug=words(first.slugs()),
        first_groups=[first.group(c, g) for c in cultures for g in (0, 1)],
        last=words(last.words + last.folded()),
        last_count=len(last.words),
        last_slug=words(last.slugs()),
        last_groups=[last.group(c) for c in cultures],
        streets=words(streets.words),
        street_culture=streets.culture,
        street_groups=[streets.group(c) for c in cultures],
        street_types=words([t[0] for t in vocab.STREET_TYPES] + [t[1] for t in vocab.STREET_TYPES]),
        city_names=words([c.name for c in cities]),
        city_weight=[c.weight for c in cities],
        city_country=np.array([vocab.COUNTRY_CODES.index(c.country) for c in cities]),
        city_culture=np.array([vocab.CULTURES.index(c.culture) for c in cities]),
        city_zone=np.array([c.zone for c in cities], dtype=np.int64),
        city_store=city_store,
        postcodes=words([p for c in cities for p in c.postcodes]),
        postcode_first=offsets(postcode_count),
        postcode_count=postcode_count,
    )
