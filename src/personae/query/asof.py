"""The reference date of a run and the time windows (``within: 30d``) relative to it.

Traits and segments are computed *as of* ``config.reference_date()``: the whole of that
day counts, so the exclusive upper bound is midnight after it. Events after that bound
are ignored, which makes a run with ``as_of`` set reproducible. A window ``within: 30d``
keeps events from 30 days before that bound, i.e. the as-of day and the 29 days before.
"""

from __future__ import annotations

import datetime as dt
import re

from personae.config.models import ProjectConfig

_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
_WINDOW = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")


def as_of_date(config: ProjectConfig) -> dt.date:
    return config.reference_date()


def as_of_end(config: ProjectConfig) -> dt.datetime:
    """Midnight after the reference date: the exclusive upper bound of every window."""
    return dt.datetime.combine(config.reference_date() + dt.timedelta(days=1), dt.time())


def window_delta(within: str) -> dt.timedelta:
    """``30d`` / ``2 weeks`` / ``12h`` as a timedelta (the model already checked the form)."""
    match = _WINDOW.match(within.lower())
    if match is None:
        raise ValueError(f"not a time window: {within!r}")
    amount, unit = int(match.group(1)), match.group(2)[0]
    return dt.timedelta(**{_UNITS[unit]: amount})


def window_start(config: ProjectConfig, within: str) -> dt.datetime:
    """The inclusive lower bound of ``within`` before the end of the reference date."""
    return as_of_end(config) - window_delta(within)


def timestamp_sql(value: dt.datetime) -> str:
    """A portable TIMESTAMP literal (naive, UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return f"CAST('{value.isoformat(sep=' ')}' AS TIMESTAMP)"
