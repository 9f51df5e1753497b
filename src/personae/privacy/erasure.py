"""Erasure (GDPR art. 17) that reaches every table and file, and stays done.

:func:`erase` removes a person:

1. its identifiers (those no other person holds) join the suppression list as keyed
   hashes, first, so ``serve`` and ``ingest`` stop taking the person in at once;
2. every warehouse table is read for the columns that tie a row to the person, and the
   rows go: ``person_id`` (and ``other_person_id``), a record key (``source`` +
   ``record_id``, either side of a match pair, ``_source`` + ``_record_id`` in raw,
   ``source`` + ``message_id`` in ``raw_collected``), an identifier value (``id_value``,
   lookup tables' ``raw``/``value``), a raw value quoted in ``quarantine.raw``, and in raw
   tables any row carrying a suppressed identifier (rows loaded since the last run);
3. the collector's WAL segments and Parquet files are rewritten without its messages,
   the matching model's term-frequency files without its values
   (:mod:`personae.privacy.models`), the serving store the Profile API reads without
   its rows (:func:`personae.serving.store.erase_persons`), and the PostgreSQL schemas
   ``personae export postgres`` wrote to (:mod:`personae.activate.postgres_targets`;
   one that cannot be reached is a warning saying what to do);
4. the erasure is recorded in the project's audit log (:mod:`personae.protect.audit`)
   without PII: request id, who (the OS user), how the person was named (the kind,
   never the value), counts per table and file. Dry runs are recorded too;
5. the warehouse is compacted (deleted rows leave no bytes behind), recorded as
   ``privacy.compact``. The compaction rewrites the whole file, so :func:`erase_many`
   (``personae privacy erase --from-file``) erases many persons with one, and it is
   skipped when no row was deleted since the last one (an erasure run again to clean
   the collector's files once it has flushed): a marker file is written before the
   first row goes and removed by the compaction, so a crash in between is caught up.

Tables are discovered, not listed: a table added later (the consent ledger, a stage's
scratch table) is covered as long as it keys its rows by one of those columns.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from personae.activate.postgres_targets import forget_in_exports
from personae.activate.triggers import FOLDER as TRIGGERS_DIR
from personae.activate.triggers import TriggerQueue
from personae.catalog import RAW_COLLECTED, RAW_PREFIX
from personae.collect.paths import CollectPaths
from personae.engine import Engine
from personae.errors import NotFoundError
from personae.ingest.privacy import COLLECTED_IDENTIFIERS, identity_columns
from personae.privacy.destinations import TABLES as DESTINATION_TABLES
from personae.privacy.destinations import forget_in_destinations
from personae.privacy.files import erase_from_parquet, erase_from_segments, message_filter
from personae.privacy.models import erase_from_models
from personae.privacy.person import (
    KEYS_TABLE,
    Person,
    PrivacyRequestError,
    Selector,
    find_person,
    mine,
)
from personae.project import Project
from personae.protect.audit import os_actor, record
from personae.protect.hashing import load_key, phone_tail
from personae.protect.suppression import Suppression, entries, message_identifiers, suppress
from personae.serving.store import SERVING_DIR, ServingError, erase_persons, persons_holding
from personae.sql import ident, literal

VALUES_TABLE = "_privacy_values"
#: how the report names the serving store (the Profile API's), in ``files``
SERVING_FILES = f".personae/{SERVING_DIR}"
TRIGGER_FILES = f".personae/{TRIGGERS_DIR}"
#: the audit log's action of an erasure (``details.dry_run`` tells a dry run)
AUDIT_ACTION = "privacy.erase"
#: the audit log's action of the compaction that completes erasures
COMPACT_ACTION = "privacy.compact"
#: the selectors of a line of ``--from-file``
REQUEST_KINDS = ("email", "phone", "user_id", "person")
#: marks rows deleted and not yet compacted away, under ``.personae/privacy/``
PENDING_FILE = "compaction.pending"


@dataclass
class ErasureReport:
    request_id: str
    at: str
    by: str
    selector: str
    dry_run: bool
    person_ids: list[int]
    tables: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    #: values removed per term-frequency file of the matching model
    models: dict[str, int] = field(default_factory=dict)
    #: destinations told to remove the person: members each held
    destinations: dict[str, int] = field(default_factory=dict)
    #: recorded PostgreSQL exports (``personae export postgres``): rows deleted from each
    exports: dict[str, int] = field(default_factory=dict)
    #: identifiers hashed into the suppression list; those kept out (shared with others)
    suppressed: int = 0
    shared: int = 0
    warnings: list[str] = field(default_factory=list)
    #: seconds spent on tables, files and compaction
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> dict[str, Any]:
        """What the audit log records: ids and counts, never a person's values (the
        audit entry has the time and the actor)."""
        return {
            "request_id": self.request_id,
            "selector": self.selector,
            "dry_run": self.dry_run,
            "person_ids": self.person_ids,
            "tables": self.tables,
            "files": self.files,
            "models": self.models,
            "destinations": self.destinations,
            "exports": self.exports,
            "warnings": len(self.warnings),
            "suppressed_identifiers": self.suppressed,
            "shared_identifiers_kept": self.shared,
        }


def _value(column: str) -> str:
    return f"CAST({column} AS VARCHAR) IN (SELECT value FROM {VALUES_TABLE})"


def table_condition(table: str, columns: set[str], ids: str) -> str | None:
    """The SQL condition of a table's rows that belong to the person, from its columns."""
    name = ident(table)
    found = []
    if "person_id" in columns:
        found.append(f"person_id IN ({ids})")
    if "other_person_id" in columns:
        found.append(f"other_person_id IN ({ids})")
    if {"source", "record_id"} <= columns:
        found.append(mine("source", "record_id", name))
    if {"_source", "_record_id"} <= columns:
        found.append(mine("_source", "_record_id", name))
    if {"source", "message_id"} <= columns:
        found.append(mine("source", "message_id", name))
    for side in ("l", "r"):
        if {f"source_{side}", f"record_id_{side}"} <= columns:
            found.append(mine(f"source_{side}", f"record_id_{side}", name))
    if "id_value" in columns:
        found.append(_value("id_value"))
    if table.startswith("_lookup_") and {"raw", "value"} <= columns:
        found += [_value("raw"), _value("value")]
    if table == "quarantine" and "raw" in columns:
        found.append(f"EXISTS (SELECT 1 FROM {VALUES_TABLE} v WHERE contains(raw, v.quoted))")
    if table == "data_quality" and "examples" in columns:
        found.append(f"EXISTS (SELECT 1 FROM {VALUES_TABLE} v WHERE contains(examples, v.value))")
    return " OR ".join(f"({c})" for c in found) if found else None


def _write_values(engine: Engine, values: set[str]) -> None:
    ordered = sorted(values)
    engine.write_arrow(
        VALUES_TABLE,
        pa.table(
            {
                "value": pa.array(ordered, pa.string()),
                "quoted": pa.array([json.dumps(v) for v in ordered], pa.string()),
            }
        ),
        mode="replace",
    )


def erase(
    project: Project,
    person: Person,
    selector: Selector,
    dry_run: bool = False,
    compact: bool = True,
) -> ErasureReport:
    """Remove ``person`` from every table and file; ``dry_run`` only counts.

    ``compact=False`` leaves the compaction to the caller (:func:`compact_warehouse`),
    which an erasure is not finished without: :func:`erase_many` compacts once for many
    persons.
    """
    engine = project.engine
    state = project.state_dir
    report = ErasureReport(
        request_id=uuid.uuid4().hex[:12],
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        by=os_actor(),
        selector=selector.describe(),
        dry_run=dry_run,
        person_ids=person.person_ids,
        shared=len(person.shared),
    )
    own = person.own_identifiers
    this_person = Suppression(load_key(state), frozenset(entries(load_key(state), own)))
    if not dry_run:
        report.suppressed = suppress(state, own)
    else:
        report.suppressed = len(this_person)
    started = time.perf_counter()
    person.write_keys(engine)
    # the model's values first: they are found through the person's records
    report.models = erase_from_models(project, dry_run)
    _write_values(engine, {v for _, v in own})
    message_ids = {r for _, r in person.records}
    ids = ", ".join(str(i) for i in person.person_ids)
    pending = compaction_pending(state)
    if not dry_run:  # before any row goes: a crash from here on leaves it marked
        _mark_pending(state, report.request_id)
    for table in engine.tables():
        if table in (KEYS_TABLE, VALUES_TABLE, *DESTINATION_TABLES):
            continue
        columns = set(engine.columns(table))
        condition = table_condition(table, columns, ids)
        if condition is None:
            continue
        if dry_run:
            count = int(engine.scalar(f"SELECT count(*) FROM {ident(table)} WHERE {condition}"))
        else:  # one scan: the table's row count is known without one
            before = engine.count(ident(table))
            engine.execute(f"DELETE FROM {ident(table)} WHERE {condition}")
            count = before - engine.count(ident(table))
        if count:
            report.tables[table] = count
    if not dry_run:
        _raw_by_identifier(project, this_person, own, report)
    # the serving store also holds persons the streaming worker made since the last run
    streamed = persons_holding(state, own, project.keys) | set(person.person_ids)
    try:
        served = erase_persons(state, streamed, dry_run)
    except ServingError as exc:  # the rows are gone; only rewriting the file is left
        served = 0
        report.warnings.append(str(exc))
    if served:
        report.files[SERVING_FILES] = served
    with TriggerQueue(state) as queue:
        triggered = queue.erase(streamed, dry_run)
    if triggered:
        report.files[TRIGGER_FILES] = triggered
    # last: the person has left every audience, so each destination holding them is told
    destinations = forget_in_destinations(project, person.person_ids, dry_run)
    report.destinations = destinations.removed
    report.warnings += destinations.warnings
    exports = forget_in_exports(
        project.root, state, person.person_ids, sorted(person.records), dry_run
    )
    report.exports = exports.removed
    report.warnings += exports.warnings
    engine.drop_table(KEYS_TABLE)
    engine.drop_table(VALUES_TABLE)
    if not dry_run and not report.tables and not pending:
        _pending_file(state).unlink(missing_ok=True)  # nothing removed: nothing to wipe
    report.seconds["tables"] = time.perf_counter() - started
    started = time.perf_counter()

    def doomed(row: dict[str, Any]) -> bool:
        return row.get("message_id") in message_ids or this_person.any_match(
            message_identifiers(row)
        )

    paths = CollectPaths.of(project.root, project.config.collect.events_dir)
    segments, warnings = erase_from_segments(paths, doomed, dry_run, project.keys)
    report.files.update(_relative(project, segments))
    narrow = message_filter(message_ids, own)
    report.files.update(
        _relative(project, erase_from_parquet(paths, doomed, dry_run, narrow, project.keys))
    )
    report.warnings += warnings
    report.seconds["files"] = time.perf_counter() - started
    record(project.root, AUDIT_ACTION, report.to_json())
    if compact and not dry_run and compaction_pending(state):
        report.seconds["compact"] = compact_warehouse(project)
    return report


def _pending_file(state_dir: Path) -> Path:
    return state_dir / "privacy" / PENDING_FILE


def compaction_pending(state_dir: Path) -> bool:
    """Whether rows were deleted since the warehouse was last compacted (an erasure
    removed rows, or stopped before its compaction)."""
    return _pending_file(state_dir).exists()


def _mark_pending(state_dir: Path, request_id: str) -> None:
    path = _pending_file(state_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, f"{request_id}\n".encode())
    finally:
        os.close(fd)


def pending_requests(state_dir: Path) -> list[str]:
    """The erasures whose deleted rows still wait for the compaction (request ids)."""
    path = _pending_file(state_dir)
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").split() if line]


def compact_warehouse(project: Project, request_ids: list[str] | None = None) -> float:
    """Rewrite the warehouse so the erased rows leave no bytes behind
    (:meth:`Engine.compact`), recorded in the audit log as ``privacy.compact`` with the
    erasures it completes (by default, every one waiting); returns the seconds it took.

    ``personae run`` calls it at its end when erasures are waiting, and ``personae
    privacy compact`` (or ``erase --compact``) at once."""
    if request_ids is None:
        request_ids = pending_requests(project.state_dir)
    started = time.perf_counter()
    project.engine.checkpoint()
    project.engine.compact()
    _pending_file(project.state_dir).unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    record(
        project.root,
        COMPACT_ACTION,
        {"request_ids": request_ids, "seconds": round(seconds, 1)},
    )
    return seconds


@dataclass
class BatchReport:
    """Erasures of many persons with one compaction (:func:`erase_many`)."""

    erasures: list[ErasureReport] = field(default_factory=list)
    #: requests that named no one, or no valid value: (line, why)
    not_found: list[tuple[int, str]] = field(default_factory=list)
    compact_seconds: float = 0.0


def erase_many(
    project: Project,
    requests: list[tuple[int, Selector]],
    dry_run: bool = False,
    compact: bool = True,
) -> BatchReport:
    """Erase every person ``requests`` names (line number, selector), one after the
    other, then compact the warehouse once: the compaction rewrites the whole file, so
    a batch costs one compaction instead of one per person. A request that names no one
    is reported and the others go on."""
    batch = BatchReport()
    try:
        for line, selector in requests:
            try:
                person = find_person(project, selector)
            except NotFoundError:
                batch.not_found.append((line, f"no person found {selector.describe()}"))
                continue
            except PrivacyRequestError as exc:  # a value that is no e-mail, no phone
                batch.not_found.append((line, str(exc)))
                continue
            batch.erasures.append(erase(project, person, selector, dry_run, compact=False))
    finally:  # what was erased is compacted, even when a later request fails
        if compact and batch.erasures and not dry_run and compaction_pending(project.state_dir):
            batch.compact_seconds = compact_warehouse(project)
    return batch


def read_requests(path: Path) -> list[tuple[int, Selector]]:
    """Erasure requests from a file, one a line: ``email:ann@example.org``,
    ``phone:+33612345678``, ``user_id:C1042`` or ``person:1234``; blank lines and lines
    starting with ``#`` are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PrivacyRequestError(f"{path}: cannot read the requests: {exc}") from exc
    requests = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, value = line.partition(":")
        kind, value = kind.strip().lower().replace("-", "_"), value.strip()
        if kind not in REQUEST_KINDS or not value:
            raise PrivacyRequestError(
                f"{path}, line {number}: write one request a line as KIND:VALUE, KIND one "
                f"of {', '.join(REQUEST_KINDS)} (e.g. email:ann@example.org)"
            )
        if kind == "person":
            if not value.isdigit():
                raise PrivacyRequestError(
                    f"{path}, line {number}: a person id is a number (person:1234)"
                )
            requests.append((number, Selector(person=int(value))))
        elif kind == "email":
            requests.append((number, Selector(email=value)))
        elif kind == "phone":
            requests.append((number, Selector(phone=value)))
        else:
            requests.append((number, Selector(user_id=value)))
    return requests


def _raw_by_identifier(
    project: Project, person: Suppression, own: set[tuple[str, str]], report: ErasureReport
) -> None:
    """Raw rows loaded since the last run carry the person's identifiers but have no
    record in ``records`` yet: they go by value."""
    engine = project.engine
    tables: list[tuple[str, list[tuple[str, str, str | None]]]] = [
        (RAW_PREFIX + name, identity_columns(project.config, source))
        for name, source in project.config.sources.items()
    ]
    collected = [(kind, f"nullif(trim({sql}), '')", None) for kind, sql in COLLECTED_IDENTIFIERS]
    tables.append((str(RAW_COLLECTED), list(collected)))
    for raw, columns in tables:
        if engine.table_exists(raw):
            gone = _drop_by_identifier(engine, raw, person, own, columns)
            if gone:
                report.tables[raw] = report.tables.get(raw, 0) + gone


def _candidates(kind: str, sql: str, values: list[str]) -> str | None:
    """SQL: a raw value that may be one of ``values`` (the person's normalised
    identifiers of ``kind``) in any spelling the suppression list's normalisation
    accepts: it contains the lower-case e-mail, the phone's last digits, or the id."""
    if kind == "email":
        needles, haystack = values, f"lower({sql})"
    elif kind == "phone":
        needles = [tail for v in values if (tail := phone_tail(v)) is not None]
        haystack = f"regexp_replace({sql}, '[^0-9]', '', 'g')"
    else:
        needles, haystack = values, sql
    if not needles:
        return None
    return " OR ".join(f"contains({haystack}, {literal(n)})" for n in sorted(set(needles)))


def _drop_by_identifier(
    engine: Engine,
    table: str,
    person: Suppression,
    own: set[tuple[str, str]],
    columns: list[tuple[str, str, str | None]],
) -> int:
    """Delete the rows of ``table`` holding one of the person's identifiers; returns how
    many. SQL narrows each column to the few values that may be the person's, and only
    those are hashed and checked against the person's suppression entries."""
    conditions = []
    for kind, sql, region in columns:
        values = [v for k, v in own if k == kind]
        narrow = _candidates(kind, sql, values)
        if narrow is None:
            continue
        found = [
            str(row[0])
            for row in engine.rows(f"SELECT DISTINCT {sql} FROM {table} WHERE {narrow}")
            if row[0] is not None
        ]
        hits = person.matching(kind, found, region)
        if hits:
            conditions.append(f"{sql} IN ({', '.join(literal(v) for v in hits)})")
    if not conditions:
        return 0
    before = engine.count(table)
    engine.execute(f"DELETE FROM {table} WHERE {' OR '.join(conditions)}")
    return before - engine.count(table)


def _relative(project: Project, counts: dict[str, int]) -> dict[str, int]:
    """Counts per file, keyed by the path inside the project where the file is in it."""
    root = project.root.resolve()
    found = {}
    for name, count in counts.items():
        path = Path(name).resolve()
        found[str(path.relative_to(root)) if path.is_relative_to(root) else name] = count
    return found
