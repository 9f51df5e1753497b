"""Landing staged rows in ``raw_<source>``: the one path every source's rows take.

A file read by the engine, or a database extract written batch by batch, waits in the
staging table ``_stage_ingest`` (every column as text, plus ``_line``: its line or row
number). :func:`land` then

1. drops the rows of erased persons (the suppression list), then folds the rows of one
   record into one when the source declares ``rows_per_record`` (:mod:`.fold`);
2. quarantines the rows the reader rejected, the rows without a record id, and second
   occurrences of a record id, with the reason;
3. counts the rows whose (record id, row hash) is already in raw as unchanged, and
   appends the rest to ``raw_<source>`` with their load id and time;
4. records the load in ``loads``.

A changed row therefore becomes a new version of its record, wherever it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from personae.catalog import QUARANTINE
from personae.config.sources import SourceConfig
from personae.engine import Engine, FileRead
from personae.errors import SourceError, did_you_mean
from personae.ingest.fold import fold
from personae.ingest.privacy import drop_suppressed
from personae.ingest.tables import new_rejects, quarantine_rows, raw_table, record_load
from personae.protect.suppression import Suppression
from personae.sql import ident, literal

#: columns ingest adds to every raw table
META_COLUMNS = ("_source", "_record_id", "_row_hash", "_load_id", "_loaded_at", "_file")
#: the staging table a file or an extract is read into before it lands
STAGE = "_stage_ingest"

#: the suppression list and the identity columns of the source it is checked on
Guard = tuple[Suppression, list[tuple[str, str, str | None]]]


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
    #: raw rows deleted because their record was deleted at the source (database sources)
    rows_deleted: int = 0
    #: rows folded into their record's first row (``rows_per_record``)
    rows_folded: int = 0
    #: what a database source read: its table or query and the cursor range (None: files)
    extract: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Origin:
    """Where staged rows came from, as ``loads``, the quarantine and ``_file`` say it."""

    #: the file's path, or the database and table (never a password)
    label: str
    #: how messages name it: ``file`` or ``extract``
    unit: str = "file"
    #: lines before the first row (a CSV header), added to quarantined rows' line numbers
    header_lines: int = 0
    file_hash: str | None = None
    file_size: int | None = None


@dataclass(frozen=True)
class Landing:
    """One load: its id and time, and what it is checked against."""

    load_id: str
    at: dt.datetime
    guard: Guard


def land(
    engine: Engine,
    name: str,
    source: SourceConfig,
    read: FileRead,
    origin: Origin,
    landing: Landing,
    report: SourceLoad,
) -> None:
    """Land the rows staged in ``read.table`` (see the module's docstring), then drop the
    staging tables."""
    stage, load_id, now = read.table, landing.load_id, landing.at
    # an erased person's rows never land: dropped before any other step
    suppressed = drop_suppressed(engine, stage, *landing.guard)
    read, folded, warnings = fold(engine, name, source, read, origin.label)
    # a changed file is read again whole: a bad line quarantined before is not added twice
    fresh = new_rejects(engine, name, read.rejected)
    quarantine_rows(engine, name, load_id, fresh, now)

    columns = [c for c in read.columns if c != "_line"]
    values = ", ".join(f"coalesce({ident(c)}, chr(0))" for c in columns)
    row_hash = f"md5(concat_ws(chr(31), {values}))"
    record_id = f"nullif(trim({ident(source.record_id)}), '')" if source.record_id else row_hash
    keyed, dups = f"{stage}_keyed", f"{stage}_dups"
    engine.create_table_as(
        keyed, f"SELECT *, {record_id} AS _record_id, {row_hash} AS _row_hash FROM {stage}"
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
    header_lines = origin.header_lines
    raw_json = "json_object(" + ", ".join(f"{literal(c)}, k.{ident(c)}" for c in columns) + ")"
    id_label = source.record_id or "(row hash)"
    rejected_by_id = "k._record_id IS NULL OR k._line > d._first_line"
    id_rejected = int(
        engine.scalar(
            f"SELECT count(*) FROM {keyed} k LEFT JOIN {dups} d ON d._record_id = k._record_id "
            f"WHERE {rejected_by_id}"
        )
    )
    label = literal(origin.label)
    engine.execute(
        f"""
        INSERT INTO {QUARANTINE}
        SELECT {literal(name)}, {literal(load_id)}, {label},
               k._line + {header_lines}, k._record_id,
               CASE WHEN k._record_id IS NULL
                    THEN 'missing record id: column {id_label} is empty'
                    ELSE 'duplicate record id ' || k._record_id
                         || ' in this {origin.unit} (first at line '
                         || CAST(d._first_line + {header_lines} AS VARCHAR) || ')'
               END,
               CAST({raw_json} AS VARCHAR), CAST({literal(now.isoformat(sep=" "))} AS TIMESTAMP)
        FROM {keyed} k LEFT JOIN {dups} d ON d._record_id = k._record_id
        WHERE ({rejected_by_id})
          AND NOT EXISTS (SELECT 1 FROM {QUARANTINE} q
                          WHERE q.source = {literal(name)} AND q.file = {label}
                            AND q.raw = CAST({raw_json} AS VARCHAR))
        """
    )
    quarantined = int(
        engine.scalar(
            f"SELECT count(*) FROM {QUARANTINE} WHERE load_id = ? AND source = ?",
            [load_id, name],
        )  # one dlt load id may hold several sources' tables
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
            f"{label} AS _file",
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

    rows_read = read.rows + len(read.rejected) + folded
    record_load(
        engine,
        {
            "load_id": load_id,
            "source": name,
            "file": origin.label,
            "file_hash": origin.file_hash,
            "file_size": origin.file_size,
            "rows_read": rows_read,
            "rows_loaded": loaded,
            "rows_quarantined": quarantined + len(fresh),
            "rows_unchanged": unchanged,
            "rows_new_versions": new_versions,
            "loaded_at": now,
            "rows_folded": folded,
        },
    )
    for table in (stage, keyed, dups):
        engine.drop_table(table)
    report.files_loaded += 1
    report.rows_read += rows_read
    report.rows_loaded += loaded
    report.rows_quarantined += quarantined + len(fresh)
    report.rows_unchanged += unchanged
    report.rows_suppressed += suppressed
    report.rows_folded += folded
    report.warnings.extend(warnings)


def check_columns(
    name: str, source: SourceConfig, where: str, columns: list[str], owner: str = "the file's"
) -> None:
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
    if source.rows_per_record:
        for list_name, keys in source.rows_per_record.collected().items():
            wanted += [(f"rows_per_record.collect.{list_name}", c) for c in keys.values()]
    present = set(columns) | set(source.rows_per_record.collect if source.rows_per_record else ())
    for key, column in wanted:
        if column in present or column.partition(".")[0] in present:
            continue  # "a.b" reads key b of the JSON column a
        hint = ""
        if len(columns) == 1 and source.path is not None and source.file_format in ("csv", "tsv"):
            guess = next((d for d in (";", "\t", "|", ",") if d in columns[0]), None)
            hint = (
                f"; the file was read as a single column {columns[0][:60]!r}: "
                + (f"is the delimiter {guess!r}? set 'delimiter: \"{guess}\"'" if guess else "")
                + " on the source"
            )
        else:
            hint = did_you_mean(column, columns) + f"; {owner} columns are: {', '.join(columns)}"
        raise SourceError(f"sources.{name}.{key}: column {column!r} is not in {where}{hint}")
