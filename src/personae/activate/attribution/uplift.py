"""The uplift of a campaign over its control group, with a confidence interval.

The uplift is the difference of conversion rates ``exposed - control`` (in percentage
points), with Newcombe's hybrid score interval (Newcombe 1998, method 10): each rate
gets its Wilson score interval, and the two are combined. Unlike the Wald interval it
stays inside [-1, 1] and keeps its coverage for small groups and rates near 0, which is
what conversion rates of held-out groups are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def wilson(successes: int, trials: int, z: float) -> tuple[float, float]:
    """Wilson's score interval of a proportion (``(0, 1)`` without trials)."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Uplift:
    """A campaign's exposed and control groups over the lookback window."""

    campaign: str
    exposed: int
    exposed_converted: int
    control: int
    control_converted: int
    confidence: float

    @property
    def exposed_rate(self) -> float | None:
        return self.exposed_converted / self.exposed if self.exposed else None

    @property
    def control_rate(self) -> float | None:
        return self.control_converted / self.control if self.control else None

    @property
    def uplift(self) -> float | None:
        """``exposed_rate - control_rate``, or None without both groups."""
        if self.exposed_rate is None or self.control_rate is None:
            return None
        return self.exposed_rate - self.control_rate

    @property
    def relative(self) -> float | None:
        """The uplift as a fraction of the control rate (None when that is 0)."""
        if self.uplift is None or not self.control_rate:
            return None
        return self.uplift / self.control_rate

    @property
    def interval(self) -> tuple[float, float] | None:
        """Newcombe's hybrid score interval of the uplift at ``confidence``."""
        if self.uplift is None:
            return None
        z = NormalDist().inv_cdf(1 - (1 - self.confidence) / 2)
        p1, p2 = self.exposed_rate or 0.0, self.control_rate or 0.0
        l1, u1 = wilson(self.exposed_converted, self.exposed, z)
        l2, u2 = wilson(self.control_converted, self.control, z)
        low = self.uplift - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = self.uplift + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
        return low, high

    @property
    def incremental(self) -> float | None:
        """Conversions the campaign added: ``uplift × exposed``."""
        return None if self.uplift is None else self.uplift * self.exposed
