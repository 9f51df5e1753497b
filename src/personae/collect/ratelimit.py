"""A token bucket per write key, counted in messages."""

from __future__ import annotations

import math
import time

from personae.config.collect import RateLimit


class TokenBuckets:
    def __init__(self, limit: RateLimit) -> None:
        self.rate = limit.per_second
        self.burst = float(limit.burst)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, count: int, now: float | None = None) -> float:
        """Take ``count`` tokens: 0.0 when allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= count:
            self._buckets[key] = (tokens - count, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return max(1.0, math.ceil((count - tokens) / self.rate))
