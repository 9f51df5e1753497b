"""Writing people as one source does: names, phones, e-mails and addresses, with the
source's mistakes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personae.demo import names as vocab
from personae.demo.arrays import (
    BoolArray,
    IntArray,
    Rng,
    Strings,
    Weighted,
    join,
    null_where,
    replace_at,
    scatter,
    take,
    text,
    words,
)
from personae.demo.draws import chance, weighted
from personae.demo.formats import fill_template
from personae.demo.lexicon import lexicon
from personae.demo.population import Addresses, Population
from personae.demo.rates import DAY
from personae.demo.styles import Style


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
    rows = np.flatnonzero(chance(rng, len(values), share))
    if not len(rows):
        return values
    kinds, spots = rng.integers(0, 3, len(rows)), rng.random(len(rows))
    letters = rng.integers(0, 26, len(rows))
    typed = [
        None if word is None else _typo(word, int(k), float(s), int(c))
        for word, k, s, c in zip(take(values, rows).to_pylist(), kinds, spots, letters, strict=True)
    ]
    return replace_at(values, rows, pa.array(typed, type=pa.string()))


def with_spaces(rng: Rng, values: Strings, share: float) -> Strings:
    """Stray spaces in ``share`` of the values: before, after, or doubled inside."""
    kind = rng.random(len(values)) / share if share else np.full(len(values), 9.0)
    out = pc.if_else(kind < 1 / 3, join(" ", values), values)
    out = pc.if_else((kind >= 1 / 3) & (kind < 2 / 3), join(values, "  "), out)
    doubled = pc.replace_substring(values, " ", "  ", max_replacements=1)
    return pc.if_else((kind >= 2 / 3) & (kind < 1), doubled, out)


def person_names(
    rng: Rng, pop: Population, persons: IntArray, style: Style
) -> tuple[Strings, Strings]:
    """First and last names as a source writes them."""
    lex = lexicon()
    fold = chance(rng, len(persons), style.no_accent)
    first = take(lex.first, pop.first[persons] + fold * lex.first_count)
    last = take(lex.last, pop.last[persons] + fold * lex.last_count)
    if style.upper:
        first, last = pc.utf8_upper(first), pc.utf8_upper(last)
    first, last = with_typos(rng, first, style.typo), with_typos(rng, last, style.typo)
    swap = chance(rng, len(persons), style.swapped)
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
    style = weighted(rng, len(numbers), [w for _, w in france])
    parts = []
    for c, spec in enumerate(vocab.COUNTRIES):
        styles = list(enumerate(name for name, _ in france)) if c == 0 else [(-1, abroad)]
        for s, name in styles:
            rows = np.flatnonzero((country == c) & ((style == s) | (s < 0)))
            parts.append((rows, fill_template(_phone_template(spec, name), numbers[rows])))
    return scatter(len(numbers), parts)


def _with_junk(rng: Rng, values: Strings, share: float, junk: Sequence[str]) -> Strings:
    rows = np.flatnonzero(chance(rng, len(values), share))
    return replace_at(values, rows, take(words(junk), rng.integers(0, len(junk), len(rows))))


def person_phones(rng: Rng, pop: Population, persons: IntArray, style: Style) -> Strings:
    """Each row's phone as the source writes it: the mobile, or the household landline."""
    size = len(persons)
    landline = pop.landline[persons]
    use_landline = (landline > 0) & chance(rng, size, style.landline)
    numbers = np.where(use_landline, landline, pop.mobile[persons])
    country = np.where(use_landline, 0, pop.country[persons])
    phones = render_phones(rng, numbers, country, style.phone_france, style.phone_abroad)
    phones = _with_junk(rng, phones, style.junk, vocab.JUNK_PHONES)
    return null_where(phones, chance(rng, size, style.missing_phone))


def person_emails(
    rng: Rng, pop: Population, persons: IntArray, style: Style, second: BoolArray | None = None
) -> Strings:
    """Each row's e-mail: the personal one, the second one (where ``second``) or the family's."""
    size = len(persons)
    index = persons if second is None else np.where(second, pop.size + persons, persons)
    family = pop.family_email[persons]
    index = np.where((family >= 0) & chance(rng, size, style.family_email), family, index)
    emails = take(pop.emails, index)
    case = rng.random(size) / style.email_case if style.email_case else np.full(size, 9.0)
    emails = pc.if_else(case < 0.8, pc.utf8_title(emails), emails)  # Jean.Dupont@Gmail.Com
    emails = pc.if_else((case >= 0.8) & (case < 1), pc.utf8_upper(emails), emails)
    emails = pc.if_else(chance(rng, size, style.email_spaces), join("  ", emails, " "), emails)
    emails = _with_junk(rng, emails, style.junk, vocab.JUNK_EMAILS)
    return null_where(emails, chance(rng, size, style.missing_email))


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
    suffix = take(words(["", " bis", " ter"]), address.suffix)
    short = chance(rng, size, abbreviate) * len(vocab.STREET_TYPES)
    tokens = {
        "n": join(text(address.number), suffix),
        "t": take(lex.street_types, address.street_type + short),
        "s": take(lex.streets, address.street),
    }
    culture = lex.street_culture[address.street]
    parts = []
    for c, code in enumerate(vocab.CULTURES):
        rows = np.flatnonzero(culture == c)
        pieces = [take(tokens[t], rows) if t in tokens else t for t in ADDRESS_LAYOUTS[code]]
        parts.append((rows, join(*pieces)))
    return scatter(size, parts)


def postcodes_of(address: Addresses) -> Strings:
    return take(lexicon().postcodes, address.postcode)


def cities_of(address: Addresses) -> Strings:
    return take(lexicon().city_names, address.city)


def address_at(pop: Population, persons: IntArray, seconds: IntArray) -> Addresses:
    """Where each person lived at that time."""
    before_move = seconds < pop.move_day[persons] * DAY
    return pop.home.take(persons).where(before_move, pop.previous.take(persons))


def per_person(pop: Population, persons: IntArray, values: Strings) -> Strings:
    """A value per person from the rows of ``persons`` (the first row wins), null for others."""
    row = np.full(pop.size, len(persons), dtype=np.int64)
    row[persons[::-1]] = np.arange(len(persons) - 1, -1, -1)
    return take(pa.concat_arrays([values, pa.nulls(1, pa.string())]), row)
