"""Where journeys and the orchestrator get the time: a clock tests can move.

Times are naive UTC, like every timestamp of the warehouse.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, naive UTC."""
        ...


class SystemClock:
    """The machine's clock (the CLI's)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class FixedClock:
    """A clock that stands still until moved: ``advance(days=3)`` or ``set(when)``."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self._now

    def set(self, when: dt.datetime) -> None:
        self._now = when
