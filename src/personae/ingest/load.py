"""Load each source's files into its immutable raw table, incrementally.

For every file of a source:

1. a file whose content hash was loaded before is skipped (nothing loads twice);
2. the engine reads it into a staging table, every column as text, and returns the
   lines it could not parse; those are quarantined;
3. rows without a record id, and second occurrences of a record id in the file, are
   quarantined with the reason;
4. rows whose (record id, row hash) is already in raw are counted as unchanged;
   the rest are appended to ``raw_<source>`` with their load id and time.

A changed row therefore becomes a new version of its record, and an appended file
loads only its new rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from personae.catalog import QUARANTINE
from personae.config.sources import SourceConfig
from personae.engine import Engine, ReadOptions
from personae.errors import SourceError, did_you_mean
from personae.ingest.collected import CollectedLoad, load_collected
from personae.ingest.files import find_files, fingerprint
from personae.ingest.privacy import (
    RETENTION,
    SUPPRESSED,
    apply_retention,
    drop_suppressed,
    identity_columns,
    record_removals,
)
from personae.ingest.tables import (
    ensure_tables,
    loaded_hashes,
    new_rejects,
    quarantine_rows,
    raw_table,
    record_load,
)
from personae.project import Project
from personae.protect.suppression import Suppression
from personae.sql import ident, literal

#: columns ingest adds to every raw table
META_COLUMNS = ("_source", "_record_id", "_row_hash", "_load_id", "_loaded_at", "_file")
STAGE = "_stage_ingest"


@dataclass
class SourceLoad:
    source: str
    files_seen: int = 0
    files_loaded: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_unchanged: int = 0
    #: rows of erased persons dropped before landing (the suppression list)
    rows_suppressed: int = 0
    #: raw rows deleted because they are older than the source's ``retention``
    rows_expired: int = 0
    warnings: list[str] = field(default_factory=list)


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
        report = _ingest_source(engine, project.root, name, source, (suppression, columns))
        report.rows_expired = apply_retention(engine, raw_table(name), name, source, now)
        reports.append(report)
    collected = load_collected(project, suppression) if not only else None
    removals = [(r.source, SUPPRESSED, r.rows_suppressed) for r in reports]
    removals += [(r.source, RETENTION, r.rows_expired) for r in reports]
    if collected is not None:
        removals.append(("(collected)", SUPPRESSED, collected.rows_suppressed))
    record_removals(engine, removals)
    return IngestReport(reports, collected)


#: the suppression list and the identity columns of the source it is checked on
_Guard = tuple[Suppression, list[tuple[str, str, str | None]]]


def _ingest_source(
    engine: Engine, root: Path, name: str, source: SourceConfig, guard: _Guard
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
        _check_columns(name, source, f"the files loaded from {source.path}", loaded)
    return report


def _load_file(
    engine: Engine,
    name: str,
    source: SourceConfig,
    path: Path,
    file_hash: str,
    file_size: int,
    report: SourceLoad,
    guard: _Guard,
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
    _check_columns(name, source, path.name, read.columns)
    # an erased person's rows never land: dropped before any other step
    suppressed = drop_suppressed(engine, STAGE, *guard)
    # a changed file is read again whole: a bad line quarantined before is not added twice
    fresh = new_rejects(engine, name, read.rejected)
    quarantine_rows(engine, name, load_id, fresh, now)

    columns = [c for c in read.columns if c != "_line"]
    values = ", ".join(f"coalesce({ident(c)}, chr(0))" for c in columns)
    row_hash = f"md5(concat_ws(chr(31), {values}))"
    record_id = f"nullif(trim({ident(source.record_id)}), '')" if source.record_id else row_hash
    keyed, dups = f"{STAGE}_keyed", f"{STAGE}_dups"
    engine.create_table_as(
        keyed, f"SELECT *, {record_id} AS _record_id, {row_hash} AS _row_hash FROM {STAGE}"
    )
    # a record id seen twice in the file: the first line wins, later ones are quarantined
    engine.create_table_as(
        dups,
        f"SELECT _record_id, min(_line) AS _first_line FROM {keyed} "
        "WHERE _record_id IS NOT NULL GROUP BY _record_id HAVING count(*) > 1",
    )
    repeated = (
        f"EXISTS (SELECT 1 FROM {dups} d "
        "WHERE d._record_id = k._record_id AND k._line > d._first_line)"
    )
    header_lines = 1 if source.header and options.format in ("csv", "tsv") else 0
    raw_json = "json_object(" + ", ".join(f"{literal(c)}, k.{ident(c)}" for c in columns) + ")"
    id_label = source.record_id or "(row hash)"
    rejected_by_id = "k._record_id IS NULL OR k._line > d._first_line"
    id_rejected = int(
        engine.scalar(
            f"SELECT count(*) FROM {keyed} k LEFT JOIN {dups} d ON d._record_id = k._record_id "
            f"WHERE {rejected_by_id}"
        )
    )
    engine.execute(
        f"""
        INSERT INTO {QUARANTINE}
        SELECT {literal(name)}, {literal(load_id)}, {literal(str(path))},
               k._line + {header_lines}, k._record_id,
               CASE WHEN k._record_id IS NULL
                    THEN 'missing record id: column {id_label} is empty'
                    ELSE 'duplicate record id ' || k._record_id || ' in this file (first at line '
                         || CAST(d._first_line + {header_lines} AS VARCHAR) || ')'
               END,
               CAST({raw_json} AS VARCHAR), CAST({literal(now.isoformat(sep=" "))} AS TIMESTAMP)
        FROM {keyed} k LEFT JOIN {dups} d ON d._record_id = k._record_id
        WHERE ({rejected_by_id})
          AND NOT EXISTS (SELECT 1 FROM {QUARANTINE} q
                          WHERE q.source = {literal(name)} AND q.file = {literal(str(path))}
                            AND q.raw = CAST({raw_json} AS VARCHAR))
        """
    )
    quarantined = int(
        engine.scalar(f"SELECT count(*) FROM {QUARANTINE} WHERE load_id = ?", [load_id])
    ) - len(fresh)

    raw = raw_table(name)
    new_rows = f"""
        SELECT k.* FROM {keyed} k
        WHERE k._record_id IS NOT NULL AND NOT {repeated}
    """
    new_versions = 0
    if engine.table_exists(raw):
        existing = set(engine.columns(raw))
        for column in columns:
            if column not in existing:
                engine.execute(f"ALTER TABLE {raw} ADD COLUMN {ident(column)} VARCHAR")
        new_rows += f"""
          AND NOT EXISTS (SELECT 1 FROM {raw} r
                          WHERE r._record_id = k._record_id AND r._row_hash = k._row_hash)
        """
        new_versions = int(
            engine.scalar(
                f"SELECT count(*) FROM ({new_rows}) n "
                f"WHERE EXISTS (SELECT 1 FROM {raw} r WHERE r._record_id = n._record_id)"
            )
        )
    select = ", ".join(
        [ident(c) for c in columns]
        + [
            f"{literal(name)} AS _source",
            "_record_id",
            "_row_hash",
            f"{literal(load_id)} AS _load_id",
            f"CAST({literal(now.isoformat(sep=' '))} AS TIMESTAMP) AS _loaded_at",
            f"{literal(str(path))} AS _file",
        ]
    )
    target_columns = ", ".join([ident(c) for c in columns] + list(META_COLUMNS))
    if engine.table_exists(raw):
        engine.execute(f"INSERT INTO {raw} ({target_columns}) SELECT {select} FROM ({new_rows})")
    else:
        engine.create_table_as(raw, f"SELECT {select} FROM ({new_rows})")
    loaded = int(engine.scalar(f"SELECT count(*) FROM {raw} WHERE _load_id = ?", [load_id]))
    # rows already in raw, and bad rows already in the quarantine, are unchanged
    repeated_rejects = (id_rejected - quarantined) + (len(read.rejected) - len(fresh))
    unchanged = (read.rows - suppressed - id_rejected - loaded) + repeated_rejects

    rows_read = read.rows + len(read.rejected)
    record_load(
        engine,
        {
            "load_id": load_id,
            "source": name,
            "file": str(path),
            "file_hash": file_hash,
            "file_size": file_size,
            "rows_read": rows_read,
            "rows_loaded": loaded,
            "rows_quarantined": quarantined + len(fresh),
            "rows_unchanged": unchanged,
            "rows_new_versions": new_versions,
            "loaded_at": now,
        },
    )
    for table in (STAGE, keyed, dups):
        engine.drop_table(table)
    report.files_loaded += 1
    report.rows_read += rows_read
    report.rows_loaded += loaded
    report.rows_quarantined += quarantined + len(fresh)
    report.rows_unchanged += unchanged
    report.rows_suppressed += suppressed
    if read.rows == 0 and read.rejected:
        report.warnings.append(
            f"{path}: every row was rejected; check 'encoding' and 'delimiter' of source {name}"
        )


def _check_columns(name: str, source: SourceConfig, where: str, columns: list[str]) -> None:
    """Every mapped column must exist in the file; say why when it does not: the source,
    the key, the column, the file's columns and the closest of them."""
    wanted: list[tuple[str, str]] = []
    if source.record_id:
        wanted.append(("record_id", source.record_id))
    if source.updated_at:
        wanted.append(("updated_at", source.updated_at.column))
    for field_name, spec in source.field_specs().items():
        wanted.append((f"fields.{field_name}", spec.column))
    if source.event:
        wanted.append(("event.timestamp", source.event.timestamp.column))
        if source.event.name_column:
            wanted.append(("event.name_column", source.event.name_column))
        for prop, pspec in source.event.properties.items():
            column = pspec if isinstance(pspec, str) else pspec.column
            wanted.append((f"event.properties.{prop}", column))
    present = set(columns)
    for key, column in wanted:
        if column in present or column.partition(".")[0] in present:
            continue  # "a.b" reads key b of the JSON column a
        hint = ""
        if len(columns) == 1 and source.file_format in ("csv", "tsv"):
            guess = next((d for d in (";", "\t", "|", ",") if d in columns[0]), None)
            hint = (
                f"; the file was read as a single column {columns[0][:60]!r}: "
                + (f"is the delimiter {guess!r}? set 'delimiter: \"{guess}\"'" if guess else "")
                + " on the source"
            )
        else:
            hint = did_you_mean(column, columns) + f"; the file's columns are: {', '.join(columns)}"
        raise SourceError(f"sources.{name}.{key}: column {column!r} is not in {where}{hint}")
