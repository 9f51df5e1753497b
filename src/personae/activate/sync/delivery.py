"""Delivering a batch: the rate limit, and retries of transient failures with exponential
backoff and jitter, ``Retry-After`` honoured, bounded by ``max_attempts``."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from personae.activate.connectors.base import PermanentError, TransientError
from personae.config.destinations import DestinationBase

T = TypeVar("T")

#: the longest wait between two tries, whatever the backoff says (Retry-After aside)
MAX_BACKOFF = 300.0


@dataclass
class Pacer:
    """Spaces requests to at most ``per_second`` (None: no limit)."""

    per_second: float | None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _next: float = field(default=0.0)

    def wait(self) -> None:
        if self.per_second is None:
            return
        now = self.clock()
        if now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + 1.0 / self.per_second


@dataclass
class Outcome:
    """What became of a delivery after its tries."""

    #: the connector's answer, when it succeeded
    value: object = None
    ok: bool = False
    #: why it failed: ``refused: …`` (permanent) or ``gave up after N tries: …``
    reason: str = ""
    #: the failure is permanent (no retry will fix it)
    permanent: bool = False
    attempts: int = 0


def backoff(attempt: int, base: float, rng: random.Random) -> float:
    """The wait after the ``attempt``-th failed try: ``base * 2**(attempt-1)``, with
    jitter (between half and the whole of it), at most :data:`MAX_BACKOFF`."""
    ceiling = min(MAX_BACKOFF, base * 2 ** (attempt - 1))
    return float(ceiling * (0.5 + 0.5 * rng.random()))


def deliver(
    call: Callable[[], T],
    destination: DestinationBase,
    pacer: Pacer,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Outcome:
    """Run ``call`` (one request) until it succeeds, fails for good, or has been tried
    ``max_attempts`` times."""
    rng = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        pacer.wait()
        try:
            return Outcome(value=call(), ok=True, attempts=attempt)
        except PermanentError as exc:
            return Outcome(reason=f"refused: {exc}", permanent=True, attempts=attempt)
        except TransientError as exc:
            if attempt >= destination.max_attempts:
                return Outcome(reason=f"gave up after {attempt} tries: {exc}", attempts=attempt)
            wait = backoff(attempt, destination.backoff_seconds, rng)
            if exc.retry_after is not None:
                wait = max(wait, exc.retry_after)
            sleep(wait)
