"""Writing sources to their files: CSV or JSON lines, and the broken rows real exports
contain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personae.demo import names as vocab
from personae.demo.arrays import IntArray, Strings, join


@dataclass(frozen=True)
class SourceData:
    """One generated source: its rows and the real person behind each row."""

    name: str
    file: str
    table: pa.Table
    record_id: str
    persons: IntArray

    @property
    def rows(self) -> int:
        return len(self.persons)


#: rows rendered at a time when writing files
CHUNK_ROWS = 250_000


def _csv_field(values: Strings) -> Strings:
    """A CSV field: quoted only when it holds a comma, a quote or a line break; null -> ''."""
    needs_quotes = pc.match_substring_regex(values, '[,"\\r\\n]')
    if pc.any(needs_quotes).as_py():
        quoted = join('"', pc.replace_substring(values, '"', '""'), '"')
        values = pc.if_else(needs_quotes, quoted, values)
    return pc.fill_null(values, "")


def _csv_lines(table: pa.Table) -> Strings:
    fields_ = [_csv_field(column) for column in table.columns]
    return join(pc.binary_join_element_wise(*fields_, ","), "\n")


def _json_lines(table: pa.Table) -> Strings:
    """Segment-style tracking events; ``user_id`` is absent on the web, null in the app;
    ``product_id`` and ``category`` only on product events."""
    column = table.column
    user_id = pc.if_else(
        pc.is_valid(column("user_id")),
        join('"user_id":"', column("user_id"), '",'),
        pc.if_else(column("app"), '"user_id":null,', ""),
    )
    product = pc.fill_null(
        join(',"product_id":"', column("product_id"), '","category":"', column("category"), '"'),
        "",
    )
    context = pc.if_else(column("app"), join('{"device_id":"', column("device_id"), '"}'), "{}")
    return join(
        '{"message_id":"',
        column("message_id"),
        '","anonymous_id":"',
        column("anonymous_id"),
        '",',
        user_id,
        '"event":"',
        column("event"),
        '","timestamp":"',
        column("timestamp"),
        '","properties":{"path":"',
        column("path"),
        '","url":"' + vocab.SITE,
        column("path"),
        '"',
        product,
        '},"context":',
        context,
        "}\n",
    )


def write_text(handle: BinaryIO, lines: Strings) -> None:
    """Write a string array's characters as they are (each line ends with its newline)."""
    chunks = lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]
    for chunk in chunks:
        if len(chunk):
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
            offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
            handle.write(memoryview(chunk.buffers()[2])[offsets[0] : offsets[-1]])


def write_source(source: SourceData, path: Path) -> None:
    """Write a source to its file, a chunk of rows at a time."""
    jsonl = path.suffix == ".jsonl"
    with path.open("wb") as handle:
        if not jsonl:
            handle.write((",".join(source.table.column_names) + "\n").encode())
        for start in range(0, source.table.num_rows, CHUNK_ROWS):
            chunk = source.table.slice(start, CHUNK_ROWS)
            write_text(handle, _json_lines(chunk) if jsonl else _csv_lines(chunk))


#: rows that real exports contain and ingest must quarantine, appended to the files
#: (they are not records, so the ground truth does not list them)
BROKEN_ROWS: dict[str, bytes] = {
    # a line cut short by a bad export
    "crm": b"C9999901,Jean,Martin\n",
    # a comment with an unquoted comma: one column too many
    "nps_survey": b"R99999901,jean@example.org,9,Super, merci,01/10/2026\n",
    # a latin-1 byte in a UTF-8 file
    "support_tickets": (
        b"SUP-9999901,H\xe9l\xe8ne Dupuis,helene@example.org,,Retour,2026-10-01 10:00:00\n"
    ),
}


def add_broken_rows(files: dict[str, Path]) -> None:
    """Append a few malformed lines and repeat one order id, as real exports do."""
    for name, line in BROKEN_ROWS.items():
        with files[name].open("ab") as handle:
            handle.write(line)
    orders = files["orders"]
    with orders.open("rb") as handle:
        handle.readline()
        first_order = handle.readline()
    with orders.open("ab") as handle:
        handle.write(first_order)  # the same order exported twice
