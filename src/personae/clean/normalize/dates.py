"""Dates and timestamps: a strftime format or ISO 8601 in, ``date``/naive UTC out."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["MIN_YEAR", "date", "timestamp"]

MIN_YEAR = 1900
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ISO_FRACTION = re.compile(r"(\.\d{6})\d+")


def _two_digit_year(parsed: dt.date, today: dt.date) -> dt.date | None:
    """A ``%y`` year in today's century, or the one before when that is in the future."""
    century = today.year - today.year % 100
    for year in (century + parsed.year % 100, century - 100 + parsed.year % 100):
        try:
            candidate = parsed.replace(year=year)
        except ValueError:  # 29 February
            continue
        if candidate <= today:
            return candidate
    return None


def date(
    raw: str | None, fmt: str | None = None, *, today: dt.date | None = None
) -> dt.date | None:
    """A calendar date, read with a strftime format or, without one, as ISO 8601.

    Surrounding whitespace and missing zero padding are accepted (``3/4/85``). With
    ``%y``, a year that would be after ``today`` (default: the current date) belongs to
    the previous century: ``03/04/85`` -> 1985, ``1/2/15`` -> 2015. Impossible dates
    (``31/02/1980``), years before 1900 and dates more than one day after ``today`` are
    invalid. Without ``fmt``: ``2024-01-05``, ``2024-1-5``, ``20240105`` and the date
    part of an ISO date-time as written.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    today = today or dt.date.today()
    try:
        if fmt:
            parsed = dt.datetime.strptime(text, fmt).date()
        elif match := _ISO_DATE.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
            parsed = dt.date(year, month, day)
        elif len(text) > 10:
            parsed = dt.datetime.fromisoformat(_ISO_FRACTION.sub(r"\1", text)).date()
        else:
            parsed = dt.date.fromisoformat(text)
    except ValueError:
        return None
    if fmt and "%y" in fmt:
        two_digit = _two_digit_year(parsed, today)
        if two_digit is None:
            return None
        parsed = two_digit
    if parsed.year < MIN_YEAR or parsed > today + dt.timedelta(days=1):
        return None
    return parsed


def timestamp(raw: str | None, fmt: str | None = None) -> dt.datetime | None:
    """A naive UTC date-time.

    Without ``fmt``, ISO 8601: ``T`` or space separator, ``Z`` or an offset (converted to
    UTC), fractional seconds (beyond microseconds truncated), or a date alone
    (midnight). With ``fmt``, ``datetime.strptime`` (``%z`` offsets are converted too).
    Years before 1900 are invalid; future instants are accepted.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    try:
        if fmt:
            parsed = dt.datetime.strptime(text, fmt)
        else:
            parsed = dt.datetime.fromisoformat(_ISO_FRACTION.sub(r"\1", text))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed if parsed.year >= MIN_YEAR else None
