"""When two first names or two birth dates can belong to the same person.

Used by the clustering step to refuse merges that hold conflicting strong evidence. Both
rules forgive what the demo and real data are full of: a typo, an initial, a compound
first name written in part, a day and month written the other way round.
"""

from __future__ import annotations

from functools import lru_cache

from jellyfish import jaro_winkler_similarity

#: first-name keys at least this close (Jaro-Winkler) are the same name with a typo
FIRST_NAME_SIMILARITY = 0.85


@lru_cache(maxsize=200_000)
def first_names_compatible(a: str, b: str) -> bool:
    """Whether first-name keys ``a`` and ``b`` (lower case, no accents) can be one name.

    Equal, one the prefix of the other (``j`` / ``jean``, ``jean`` / ``jeanpierre``), or
    within :data:`FIRST_NAME_SIMILARITY` Jaro-Winkler.
    """
    if a == b or a.startswith(b) or b.startswith(a):
        return True
    return jaro_winkler_similarity(a, b) >= FIRST_NAME_SIMILARITY


def birth_dates_compatible(a: str, b: str) -> bool:
    """Whether ISO dates ``a`` and ``b`` can be one birth date written twice.

    Equal, one character apart (a typo), or day and month swapped (``1980-03-04`` /
    ``1980-04-03``).
    """
    if a == b:
        return True
    if len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) <= 1:
        return True
    return len(a) == len(b) == 10 and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]
