"""Load each source's files (or database rows: :mod:`personae.ingest.database`) into its
immutable raw table, incrementally.

For every file of a source:

1. a file whose content hash was loaded before is skipped (nothing loads twice);
2. the engine reads it into a staging table, every column as text, and returns the
   lines it could not parse; those are quarantined;
3. rows without a record id, and second occurrences of a record id in the file, are
   quarantined with the reason (a source declaring ``rows_per_record`` folds the rows
   of one record into one instead: :mod:`personae.ingest.fold`);
4. rows whose (record id, row hash) is already in raw are counted as unchanged;
   the rest are appended to ``raw_<source>`` with their load id and time.

A changed row therefore becomes a new version of its record, and an appended file
loads only its new rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from personae.config.sources import SourceConfig
from personae.engine import Engine, ReadOptions
from personae.errors import SourceError
from personae.ingest.collected import CollectedLoad, load_collected
from personae.ingest.database import DELETED, load_database_source
from personae.ingest.dlt_source import load_dlt_source
from personae.ingest.files import find_files, fingerprint
from personae.ingest.landing import (
    META_COLUMNS,
    STAGE,
    Guard,
    Landing,
    Origin,
    SourceLoad,
    check_columns,
    land,
)
from personae.ingest.privacy import (
    RETENTION,
    SUPPRESSED,
    apply_retention,
    identity_columns,
    record_removals,
)
from personae.ingest.tables import ensure_tables, loaded_hashes, raw_table
from personae.project import Project
from personae.protect.suppression import Suppression


@dataclass
class IngestReport:
    sources: list[SourceLoad]
    #: events received by ``personae serve`` and loaded into ``raw_collected``
    collected: CollectedLoad | None = None

    @property
    def rows_loaded(self) -> int:
        return sum(s.rows_loaded for s in self.sources)

    @property
    def rows_suppressed(self) -> int:
        collected = self.collected.rows_suppressed if self.collected else 0
        return sum(s.rows_suppressed for s in self.sources) + collected

    @property
    def rows_expired(self) -> int:
        return sum(s.rows_expired for s in self.sources)

    @property
    def rows_quarantined(self) -> int:
        return sum(s.rows_quarantined for s in self.sources)

    @property
    def rows_folded(self) -> int:
        return sum(s.rows_folded for s in self.sources)

    @property
    def warnings(self) -> list[str]:
        return [warning for s in self.sources for warning in s.warnings]


Progress = Callable[[str], None]


def ingest(
    project: Project, only: list[str] | None = None, progress: Progress | None = None
) -> IngestReport:
    """Load every declared source (or ``only`` these) into raw tables, then the events
    ``personae serve`` collected since the last load."""
    engine = project.engine
    ensure_tables(engine)
    suppression = Suppression.load(project.state_dir)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    reports = []
    for name, source in project.config.sources.items():
        if only and name not in only:
            continue
        if progress:
            progress(name)
        columns = identity_columns(project.config, source)
        guard = (suppression, columns)
        if source.database is not None:
            report = load_database_source(engine, project.root, name, source, guard)
        elif source.dlt is not None:
            report = load_dlt_source(engine, project.root, name, source, guard)
        else:
            report = _ingest_source(engine, project.root, name, source, guard)
        report.rows_expired = apply_retention(engine, raw_table(name), name, source, now)
        reports.append(report)
    collected = load_collected(project, suppression) if not only else None
    removals = [(r.source, SUPPRESSED, r.rows_suppressed) for r in reports]
    removals += [(r.source, RETENTION, r.rows_expired) for r in reports]
    removals += [(r.source, DELETED, r.rows_deleted) for r in reports]
    if collected is not None:
        removals.append(("(collected)", SUPPRESSED, collected.rows_suppressed))
    record_removals(engine, removals)
    return IngestReport(reports, collected)


def _ingest_source(
    engine: Engine, root: Path, name: str, source: SourceConfig, guard: Guard
) -> SourceLoad:
    report = SourceLoad(source=name)
    done = loaded_hashes(engine, name)
    for path in find_files(root, name, source):
        report.files_seen += 1
        fp = fingerprint(path)
        if fp.sha256 in done:
            continue
        if fp.size == 0:
            raise SourceError(
                f"sources.{name}: {path} is empty (0 bytes): it has no header and no rows; "
                "export it again or remove it"
            )
        _load_file(engine, name, source, path, fp.sha256, fp.size, report, guard)
        done.add(fp.sha256)
    raw = raw_table(name)
    if report.files_loaded == 0 and engine.table_exists(raw):
        # nothing new was read: a mapping edited since the last load must still match
        loaded = [c for c in engine.columns(raw) if c not in META_COLUMNS]
        check_columns(name, source, f"the files loaded from {source.path}", loaded)
    return report


def _load_file(
    engine: Engine,
    name: str,
    source: SourceConfig,
    path: Path,
    file_hash: str,
    file_size: int,
    report: SourceLoad,
    guard: Guard,
) -> None:
    load_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    options = ReadOptions(
        format=source.file_format,
        delimiter=source.delimiter,
        encoding=source.encoding,
        header=source.header,
    )
    read = engine.read_file(path, options, STAGE)
    check_columns(name, source, path.name, read.columns)
    header_lines = 1 if source.header and options.format in ("csv", "tsv") else 0
    origin = Origin(str(path), "file", header_lines, file_hash, file_size)
    land(engine, name, source, read, origin, Landing(load_id, now, guard), report)
    if read.rows == 0 and read.rejected:
        report.warnings.append(
            f"{path}: every row was rejected; check 'encoding' and 'delimiter' of source {name}"
        )
