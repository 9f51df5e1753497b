"""What ingest loaded and what it held back: each source's loads, the quarantine's
reasons, and a paginated browser of quarantined rows with their raw text. What
``personae status`` prints and the sources and quarantine pages show.

    page = quarantine_rows(engine, source="crm", limit=20)
    for row in page.rows:
        print(row.file, row.line, row.reason, row.raw)
    if page.has_more:
        page = quarantine_rows(engine, source="crm", offset=page.next_offset, limit=20)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from personae.catalog import LOADS, QUARANTINE, raw_table
from personae.engine import Engine
from personae.errors import PersonaeError

#: the most rows a quarantine page may hold
MAX_LIMIT = 1000


@dataclass(frozen=True)
class SourceLoads:
    """A source as ingest left it: files loaded, rows in its raw table (every version),
    rows quarantined, and the last load (ISO 8601, naive UTC; None: never loaded)."""

    source: str
    files: int
    raw_rows: int
    quarantined: int
    last_load: str | None


@dataclass(frozen=True)
class QuarantineReason:
    """How many rows of a source were quarantined for one reason."""

    source: str
    reason: str
    rows: int


@dataclass(frozen=True)
class QuarantinedRow:
    """A row ingest could not load: where it was (file, line, its record id when it
    could be read), why, and the raw row as received (a CSV line, or JSON text)."""

    source: str
    file: str
    line: int | None
    record_id: str | None
    reason: str
    raw: str | None
    quarantined_at: str | None
    load_id: str


@dataclass(frozen=True)
class QuarantinePage:
    """A page of quarantined rows, newest first; ``total`` counts every row the filters
    keep."""

    rows: tuple[QuarantinedRow, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.rows)


def source_loads(engine: Engine, sources: Iterable[str]) -> list[SourceLoads]:
    """The loads of each of ``sources`` (the project's, in its order). Empty before the
    first ``personae ingest``."""
    if not engine.table_exists(LOADS):
        return []
    loads = {
        str(source): (int(files), last)
        for source, files, last in engine.rows(
            f"SELECT source, count(DISTINCT file), max(loaded_at) FROM {LOADS} GROUP BY source"
        )
    }
    held = _held_per_source(engine)
    found: list[SourceLoads] = []
    for source in sources:
        files, last = loads.get(source, (0, None))
        table = raw_table(source)
        found.append(
            SourceLoads(
                source,
                files,
                engine.count(table) if engine.table_exists(table) else 0,
                held.get(source, 0),
                _iso(last),
            )
        )
    return found


def quarantine_reasons(
    engine: Engine, *, source: str | None = None, limit: int | None = None
) -> list[QuarantineReason]:
    """Rows quarantined per source and reason, most first (of one ``source``; the
    ``limit`` first)."""
    if not engine.table_exists(QUARANTINE):
        return []
    where, params = _filters(source, None)
    top = f" LIMIT {int(limit)}" if limit is not None else ""
    return [
        QuarantineReason(str(src), str(reason), int(n))
        for src, reason, n in engine.rows(
            f"SELECT source, reason, count(*) AS n FROM {QUARANTINE} {where} "
            f"GROUP BY source, reason ORDER BY n DESC, source, reason{top}",
            params,
        )
    ]


def quarantine_rows(
    engine: Engine,
    *,
    source: str | None = None,
    reason: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> QuarantinePage:
    """Quarantined rows, newest first (then by source, file and line), of one
    ``source`` and one exact ``reason`` (as :func:`quarantine_reasons` gives it)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise PersonaeError(f"a quarantine page holds 1 to {MAX_LIMIT} rows, not {limit}")
    if offset < 0:
        raise PersonaeError(f"a quarantine page starts at offset 0 or more, not {offset}")
    if not engine.table_exists(QUARANTINE):
        return QuarantinePage((), 0, offset, limit)
    where, params = _filters(source, reason)
    total = int(engine.scalar(f"SELECT count(*) FROM {QUARANTINE} {where}", params) or 0)
    rows = engine.rows(
        f"SELECT source, file, line, record_id, reason, raw, quarantined_at, load_id "
        f"FROM {QUARANTINE} {where} "
        "ORDER BY quarantined_at DESC, source, file, line "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        params,
    )
    return QuarantinePage(
        tuple(
            QuarantinedRow(
                str(src),
                str(file),
                None if line is None else int(line),
                None if record_id is None else str(record_id),
                str(why),
                None if raw is None else str(raw),
                _iso(at),
                str(load_id),
            )
            for src, file, line, record_id, why, raw, at, load_id in rows
        ),
        total,
        offset,
        limit,
    )


def _held_per_source(engine: Engine) -> dict[str, int]:
    if not engine.table_exists(QUARANTINE):
        return {}
    return {
        str(source): int(n)
        for source, n in engine.rows(f"SELECT source, count(*) FROM {QUARANTINE} GROUP BY source")
    }


def _filters(source: str | None, reason: str | None) -> tuple[str, list[object]]:
    conditions: list[str] = []
    params: list[object] = []
    if source is not None:
        conditions.append("source = ?")
        params.append(source)
    if reason is not None:
        conditions.append("reason = ?")
        params.append(reason)
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


def _iso(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)
