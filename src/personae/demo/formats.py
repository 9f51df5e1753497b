"""Vectorised formatting: digits into templates, dates and times, identifiers, amounts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from personae.demo.arrays import IntArray, Rng, Strings, join, strings, text
from personae.demo.rates import DAY


def _write_digits(chars: npt.NDArray[np.uint8], slots: Sequence[int], values: IntArray) -> None:
    rest = values.astype(np.int64, copy=True)
    for slot in reversed(slots):
        chars[:, slot] = 48 + rest % 10
        rest //= 10


def fill_template(template: str, values: IntArray) -> Strings:
    """``template`` with its ``X`` slots filled by the digits of each value (``CXXX`` → C042)."""
    base = np.frombuffer(template.encode("ascii"), dtype=np.uint8)
    chars = np.tile(base, (len(values), 1))
    _write_digits(chars, [i for i, c in enumerate(template) if c == "X"], values)
    return strings(chars)


def calendar(seconds: IntArray) -> dict[str, IntArray]:
    """Year, month, day, hour, minute and second of times given in seconds since 1970."""
    days = seconds // DAY
    dates = days.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    clock = seconds - days * DAY
    return {
        "Y": year,
        "y": year % 100,
        "m": months.astype(np.int64) % 12 + 1,
        "d": (dates - months).astype(np.int64) + 1,
        "H": clock // 3600,
        "M": clock // 60 % 60,
        "S": clock % 60,
    }


_FIELD_WIDTHS = {"Y": 4, "y": 2, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}


def format_times(seconds: IntArray, fmt: str) -> Strings:
    """Times written with a fixed-width strftime format (%Y %y %m %d %H %M %S only)."""
    parts = calendar(seconds)
    template = ""
    writes: list[tuple[list[int], IntArray]] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            width = _FIELD_WIDTHS[fmt[i + 1]]
            writes.append((list(range(len(template), len(template) + width)), parts[fmt[i + 1]]))
            template += "0" * width
            i += 2
        else:
            template += fmt[i]
            i += 1
    chars = np.tile(np.frombuffer(template.encode("ascii"), dtype=np.uint8), (len(seconds), 1))
    for slots, values in writes:
        _write_digits(chars, slots, values)
    return strings(chars)


def us_short_dates(days: IntArray) -> Strings:
    """``m/d/yy`` without zero padding, as a US-set spreadsheet writes dates: ``3/7/85``."""
    parts = calendar(days * DAY)
    return join(text(parts["m"]), "/", text(parts["d"]), "/", fill_template("XX", parts["y"]))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hex_ids(rng: Rng, size: int, groups: Sequence[int] = (8, 4, 4, 4, 12)) -> Strings:
    """Random lower-case hex identifiers; the default groups make random (v4) UUIDs."""
    hexes = _HEX[rng.integers(0, 16, size=(size, sum(groups)), dtype=np.uint8)]
    if len(groups) == 5:  # the version and variant digits of a random UUID
        hexes[:, 12] = ord("4")
        hexes[:, 16] = _HEX[8 + rng.integers(0, 4, size)]
    chars = np.full((size, sum(groups) + len(groups) - 1), ord("-"), dtype=np.uint8)
    source = target = 0
    for group in groups:
        chars[:, target : target + group] = hexes[:, source : source + group]
        source += group
        target += group + 1
    return strings(chars)


def sequence_ids(prefix: str, size: int, start: int, width: int) -> Strings:
    """Ids numbered in file order: ``prefix`` + zero-padded numbers from ``start``."""
    width = max(width, len(str(start + size)))
    return fill_template(prefix + "X" * width, start + np.arange(size, dtype=np.int64))


def amounts(cents: IntArray) -> Strings:
    """``59.90``: euros with a dot and two decimals."""
    return join(text(cents // 100), ".", fill_template("XX", cents % 100))
