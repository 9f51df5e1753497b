"""Dates and timestamps: formats, two-digit years, impossible values."""

from __future__ import annotations

import datetime as dt

import pytest

from personae.clean.normalize import date, timestamp

TODAY = dt.date(2026, 11, 23)

# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("03/04/85", "%d/%m/%y", dt.date(1985, 4, 3)),
        ("03/04/85", "%m/%d/%y", dt.date(1985, 3, 4)),
        ("3/4/85", "%m/%d/%y", dt.date(1985, 3, 4)),
        ("1/2/15", "%m/%d/%y", dt.date(2015, 1, 2)),
        ("11/23/26", "%m/%d/%y", dt.date(2026, 11, 23)),  # today stays in this century
        ("12/31/26", "%m/%d/%y", dt.date(1926, 12, 31)),  # would be in the future
        ("29/02/00", "%d/%m/%y", dt.date(2000, 2, 29)),
        ("03/04/1985", "%d/%m/%Y", dt.date(1985, 4, 3)),
        (" 3/4/1985 ", "%d/%m/%Y", dt.date(1985, 4, 3)),
        ("1985-04-03", "%Y-%m-%d", dt.date(1985, 4, 3)),
        ("1985-4-3", "%Y-%m-%d", dt.date(1985, 4, 3)),
        ("19850403", "%Y%m%d", dt.date(1985, 4, 3)),
        ("29/02/2024", "%d/%m/%Y", dt.date(2024, 2, 29)),
        ("24/11/2026", "%d/%m/%Y", dt.date(2026, 11, 24)),  # one day ahead is tolerated
        ("1985-04-03", None, dt.date(1985, 4, 3)),
        (" 1985-4-3 ", None, dt.date(1985, 4, 3)),
        ("19850403", None, dt.date(1985, 4, 3)),
        ("1985-04-03T23:30:00-05:00", None, dt.date(1985, 4, 3)),
    ],
)
def test_dates(raw: str, fmt: str | None, expected: dt.date) -> None:
    assert date(raw, fmt, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [
        ("31/02/1980", "%d/%m/%Y"),
        ("29/02/2023", "%d/%m/%Y"),
        ("13/13/85", "%m/%d/%y"),
        ("00/01/1985", "%d/%m/%Y"),
        ("01/01/1899", "%d/%m/%Y"),
        ("25/11/2026", "%d/%m/%Y"),  # more than a day in the future
        ("01/01/2100", "%d/%m/%Y"),
        ("1985-04-03", "%d/%m/%Y"),  # another format than the source's
        ("03/04/85", "%d/%m/%Y"),
        ("03/04/1985", "%d/%m/%y"),
        ("03/04/1985", None),
        ("1985-02-30", None),
        ("not a date", None),
        ("not a date", "%d/%m/%Y"),
    ],
)
def test_impossible_or_unreadable_dates_are_invalid(raw: str, fmt: str | None) -> None:
    assert date(raw, fmt, today=TODAY) is None


def test_date_defaults_to_the_current_day() -> None:
    assert date("1/2/15", "%m/%d/%y") == dt.date(2015, 1, 2)
    tomorrow_plus_one = dt.date.today() + dt.timedelta(days=2)
    assert date(tomorrow_plus_one.isoformat()) is None


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("2024-01-05T10:00:00Z", None, dt.datetime(2024, 1, 5, 10)),
        ("2024-01-05T10:00:00+02:00", None, dt.datetime(2024, 1, 5, 8)),
        ("2024-01-05T10:00:00-0500", None, dt.datetime(2024, 1, 5, 15)),
        ("2024-01-05T23:30:00-01:00", None, dt.datetime(2024, 1, 6, 0, 30)),
        ("2024-01-05 10:00:00.123456789", None, dt.datetime(2024, 1, 5, 10, 0, 0, 123456)),
        ("2024-01-05T10:00:00.5Z", None, dt.datetime(2024, 1, 5, 10, 0, 0, 500000)),
        (" 2024-01-05 10:00 ", None, dt.datetime(2024, 1, 5, 10)),
        ("2024-01-05", None, dt.datetime(2024, 1, 5)),
        ("02/10/2026 14:30", "%d/%m/%Y %H:%M", dt.datetime(2026, 10, 2, 14, 30)),
        ("2024-01-05 10:00 +0100", "%Y-%m-%d %H:%M %z", dt.datetime(2024, 1, 5, 9)),
        ("2090-01-01T00:00:00", None, dt.datetime(2090, 1, 1)),
    ],
)
def test_timestamps_are_naive_utc(raw: str, fmt: str | None, expected: dt.datetime) -> None:
    value = timestamp(raw, fmt)
    assert value == expected
    assert value is not None and value.tzinfo is None


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [("not a date", None), ("1850-01-01T00:00:00", None), ("2024-13-01", None), ("x", "%Y")],
)
def test_unreadable_timestamps_are_invalid(raw: str, fmt: str | None) -> None:
    assert timestamp(raw, fmt) is None
