"""Households: who lives with whom, and keeping their members apart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from personae.demo.arrays import IntArray, Rng
from personae.demo.draws import weighted
from personae.demo.rates import HOUSEHOLD_SHARE, HOUSEHOLD_SIZES


def draw_households(rng: Rng, country: IntArray) -> IntArray:
    """Each person's household number, -1 for none. Households live in France."""
    household = np.full(len(country), -1, dtype=np.int64)
    eligible = rng.permutation(np.flatnonzero(country == 0))
    target = min(int(HOUSEHOLD_SHARE * len(country)), len(eligible))
    sizes = np.array([s for s, _ in HOUSEHOLD_SIZES], dtype=np.int64)
    sizes = sizes[weighted(rng, target // 2 + 1, [w for _, w in HOUSEHOLD_SIZES])]
    sizes = sizes[np.cumsum(sizes) <= target]
    members = eligible[: int(sizes.sum())]
    household[members] = np.repeat(np.arange(len(sizes)), sizes)
    return household


def household_heads(household: IntArray) -> IntArray:
    """Each person's household head (the first member), themselves when living alone."""
    head = np.arange(len(household), dtype=np.int64)
    members = np.flatnonzero(household >= 0)
    if len(members):
        first_member = np.zeros(int(household.max()) + 1, dtype=np.int64)
        first_member[household[members[::-1]]] = members[::-1]
        head[members] = first_member[household[members]]
    return head


def distinct_in_households(
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
