"""Vectorised string arrays: the types the demo generator works with, and the pyarrow
operations that build text row by row (no Python loop over rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Rng = np.random.Generator
#: a pyarrow string array (pyarrow has no type hints)
Strings = Any
Weighted = Sequence[tuple[str, float]]


def strings(chars: npt.NDArray[np.uint8]) -> Strings:
    """A string array from a matrix of ASCII codes: one fixed-width string per row."""
    rows, width = chars.shape
    if rows * width >= 2**31:
        raise ValueError("too much text for one string array; generate fewer people")
    offsets = (np.arange(rows + 1, dtype=np.int64) * width).astype(np.int32)
    data = np.ascontiguousarray(chars)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def text(values: IntArray) -> Strings:
    return pa.array(values, type=pa.int64()).cast(pa.string())


def words(words: Sequence[str]) -> Strings:
    return pa.array(list(words), type=pa.string())


def take(values: Strings, rows: IntArray) -> Strings:
    return values.take(pa.array(rows, type=pa.int64()))


def join(*parts: Any) -> Strings:
    """Concatenate string arrays and literals row by row (null if any part is null)."""
    return pc.binary_join_element_wise(*parts, "")


def scatter(size: int, parts: Sequence[tuple[IntArray, Strings]]) -> Strings:
    """One array from parts that each give the values of some of its rows."""
    parts = [(rows, values) for rows, values in parts if len(rows)]
    if not parts:
        return pa.nulls(size, pa.string())
    where = np.empty(size, dtype=np.int64)
    where[np.concatenate([rows for rows, _ in parts])] = np.arange(size, dtype=np.int64)
    return take(pa.concat_arrays([values for _, values in parts]), where)


def replace_at(values: Strings, rows: IntArray, new: Strings) -> Strings:
    where = np.arange(len(values), dtype=np.int64)
    where[rows] = len(values) + np.arange(len(rows), dtype=np.int64)
    return take(pa.concat_arrays([values, new]), where)


def null_where(values: Strings, mask: BoolArray) -> Strings:
    return pc.if_else(mask, pa.scalar(None, pa.string()), values)
