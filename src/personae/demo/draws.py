"""Random draws from the demo's one seeded generator: weighted choices, chances, days
and times of day."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from personae.demo.arrays import BoolArray, IntArray, Rng, Strings, Weighted, scatter, take, words
from personae.demo.rates import DAY


def weighted(rng: Rng, size: int, weights: Sequence[float]) -> IntArray:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


def zipf(count: int, exponent: float, shift: float) -> list[float]:
    """Zipf-like weights: the first words are far more frequent than the last ones."""
    return list((np.arange(count) + 1.0 + shift) ** -exponent)


def chance(rng: Rng, size: int, share: float | npt.NDArray[np.float64]) -> BoolArray:
    return rng.random(size) < share


def draw_in_groups(
    rng: Rng, group: IntArray, members: Sequence[IntArray], weights: Sequence[Sequence[float]]
) -> IntArray:
    """For each row, one member of its group, drawn with the group's weights."""
    out = np.zeros(len(group), dtype=np.int64)
    for g, (items, w) in enumerate(zip(members, weights, strict=True)):
        rows = np.flatnonzero(group == g)
        if len(rows) and len(items):
            out[rows] = items[weighted(rng, len(rows), w)]
    return out


def pick_in_groups(rng: Rng, group: IntArray, options: Sequence[Weighted]) -> Strings:
    """For each row, one word of its group's weighted options."""
    parts = []
    for g, choices in enumerate(options):
        rows = np.flatnonzero(group == g)
        picks = weighted(rng, len(rows), [w for _, w in choices])
        parts.append((rows, take(words([word for word, _ in choices]), picks)))
    return scatter(len(group), parts)


def pick(rng: Rng, size: int, options: Weighted) -> Strings:
    return pick_in_groups(rng, np.zeros(size, dtype=np.int64), [options])


def days_back(
    rng: Rng, size: int, span: npt.ArrayLike, power: float, end_day: npt.ArrayLike
) -> IntArray:
    """Days before ``end_day`` (excluded) within ``span`` days; mostly recent when power > 1."""
    back = np.floor(np.asarray(span) * rng.random(size) ** power).astype(np.int64)
    return np.asarray(end_day, dtype=np.int64) - 1 - back


def clock(rng: Rng, days: IntArray, hours: Sequence[float]) -> IntArray:
    """Seconds since 1970 at a time of each day that follows an hour-of-day profile."""
    hour = weighted(rng, len(days), hours)
    return days * DAY + hour * 3600 + rng.integers(0, 3600, len(days))


def offsets(counts: IntArray) -> IntArray:
    """Index of each group's first row when groups of ``counts`` rows are laid end to end."""
    return (np.cumsum(counts) - counts).astype(np.int64)


def capped_geometric(rng: Rng, size: int, p: float, cap: int) -> IntArray:
    """1, 2, 3 … with geometrically falling odds, at most ``cap``."""
    return np.minimum(rng.geometric(p, size), cap).astype(np.int64)


def by_time(seconds: IntArray, *columns: npt.NDArray[Any]) -> list[npt.NDArray[Any]]:
    """The times and their row-aligned columns, in time order (files are chronological)."""
    order = np.argsort(seconds, kind="stable")
    return [seconds[order], *(column[order] for column in columns)]
