"""Everyone's e-mail addresses, made of their names: personal, second and family ones."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personae.demo import names as vocab
from personae.demo.arrays import IntArray, Rng, Strings, join, replace_at, scatter, take, text
from personae.demo.draws import chance, pick, pick_in_groups, weighted
from personae.demo.formats import calendar, fill_template
from personae.demo.households import household_heads
from personae.demo.lexicon import lexicon
from personae.demo.rates import DAY, FAMILY_EMAIL_SHARE, WORK_EMAIL_SHARE

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
    f, l_ = take(lex.first_slug, first), take(lex.last_slug, last)
    year = calendar(birth_day * DAY)["Y"]
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
    pattern = weighted(rng, size, [w for _, w in patterns])
    parts = []
    for p, (pieces, _) in enumerate(patterns):
        rows = np.flatnonzero(pattern == p)
        local = [take(tokens[t], rows) if t in tokens else t for t in pieces]
        parts.append((rows, join(*local, "@", take(domains, rows))))
    return scatter(size, parts)


def draw_emails(
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
    domains = pick_in_groups(rng, country, [c.email_domains for c in vocab.COUNTRIES])
    personal = _addresses_like(rng, PERSONAL_PATTERNS, domains, first, last, birth_day)
    work = _addresses_like(
        rng, WORK_PATTERNS, pick(rng, size, vocab.WORK_DOMAINS), first, last, birth_day
    )
    old = _addresses_like(
        rng, OLD_PATTERNS, pick(rng, size, vocab.OLD_DOMAINS), first, last, birth_day
    )
    second = pc.if_else(chance(rng, size, WORK_EMAIL_SHARE), work, old)

    households = int(household.max()) + 1 if size else 0
    with_family = np.flatnonzero(chance(rng, households, FAMILY_EMAIL_SHARE))
    members = np.flatnonzero(household >= 0)
    head_of = np.zeros(households, dtype=np.int64)
    head_of[household[members]] = household_heads(household)[members]
    heads = head_of[with_family]
    family = _addresses_like(
        rng,
        FAMILY_PATTERNS,
        pick(rng, len(heads), vocab.FAMILY_DOMAINS),
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
        full = join(local, "@", domain)
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
        local = replace_at(local, taken, join(take(local, taken), text(rank[taken] + 1)))
    raise RuntimeError("could not make the e-mail addresses unique")
