"""Where the single customer view was exported, so that an erasure reaches every copy.

Each ``personae export postgres`` records its target in
``.personae/exports/postgres.json`` (0600): the URL as given, placeholders unresolved
(never a password), the schema, the tables written and when. An erasure
(:func:`forget_in_exports`) connects to each recorded target, with the placeholders
resolved then, and deletes the erased persons' rows from every table it holds by
``person_id`` in one transaction; a target it cannot reach is reported with what to do.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from personae.activate.postgres_export import (
    PostgresExportError,
    PostgresExportReport,
    Session,
    check_schema,
    check_tables,
    check_url,
    connect,
    export_postgres,
)
from personae.errors import PersonaeError
from personae.ingest.drivers import redact
from personae.project import Project
from personae.protect.audit import record
from personae.protect.files import write_private
from personae.sql import ident, literal

#: under the project's state folder (``.personae/``)
TARGETS_FILE = Path("exports") / "postgres.json"
#: the audit log's action of an export to PostgreSQL
AUDIT_ACTION = "export.postgres"


@dataclass
class ExportTarget:
    #: the URL as given: placeholders unresolved, no password
    url: str
    schema: str
    #: every table ever written there
    tables: list[str]
    exported_at: str

    @property
    def label(self) -> str:
        """``postgresql://bi:***@host/db schema personae``."""
        return f"{redact(self.url)} schema {self.schema}"


def recorded_exports(state_dir: Path) -> list[ExportTarget]:
    path = state_dir / TARGETS_FILE
    if not path.exists():
        return []
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return [ExportTarget(**entry) for entry in found["targets"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PostgresExportError(
            f"{path}: cannot read the record of PostgreSQL exports ({exc}); restore it from "
            "a backup, or export again to each target to record it anew"
        ) from None


def record_export(state_dir: Path, url: str, schema: str, tables: list[str]) -> None:
    """Add (or update) the target of an export in the record."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    targets = recorded_exports(state_dir)
    for target in targets:
        if (target.url, target.schema) == (url, schema):
            target.tables = sorted({*target.tables, *tables})
            target.exported_at = at
            break
    else:
        targets.append(ExportTarget(url, schema, sorted(tables), at))
    data = {"targets": [asdict(t) for t in targets]}
    write_private(state_dir / TARGETS_FILE, json.dumps(data, indent=2).encode(), durable=True)


def publish(
    project: Project,
    url: str,
    schema: str,
    tables: list[str] | None = None,
    *,
    purpose: str | None = None,
    channel: str | None = None,
    on_staged: Callable[[], None] | None = None,
    setting: str = "--url",
) -> PostgresExportReport:
    """:func:`export_postgres`, its target recorded first (so no copy is ever left
    unrecorded, even by an export that stops half-way) and the export written to the
    audit log (the URL without its password, the schema, rows per table)."""
    check_url(url, setting)
    check_schema(schema)
    record_export(project.state_dir, url, schema, check_tables(tables))
    report = export_postgres(
        project.engine,
        project.config,
        project.root,
        url,
        schema,
        tables,
        purpose=purpose,
        channel=channel,
        on_staged=on_staged,
        setting=setting,
    )
    details = {
        "target": report.target,
        "schema": schema,
        "rows": report.rows,
        "purpose": purpose,
        "channel": report.channel,
        "held_back": report.held_back,
        "views_kept": sorted(v for views in report.kept.values() for v in views),
    }
    record(project.root, AUDIT_ACTION, details)
    return report


def publish_declared(project: Project) -> dict[str, PostgresExportReport]:
    """Every export of ``personae.yml``'s ``exports:`` (the end of a whole run), each
    tried even when another fails; raises one error naming every failure."""
    done: dict[str, PostgresExportReport] = {}
    failed: list[str] = []
    for name, spec in project.config.exports.items():
        try:
            done[name] = publish(
                project,
                spec.url,
                spec.schema_name,
                list(spec.tables) if spec.tables else None,
                purpose=spec.purpose,
                channel=spec.channel,
                setting=f"exports.{name}.url",
            )
        except PersonaeError as exc:
            failed.append(f"exports.{name}: {exc}")
    if failed:
        exported = f" (done: {', '.join(done)})" if done else ""
        raise PostgresExportError(
            f"the run's stages finished, but {len(failed)} export(s) failed{exported}: "
            + " | ".join(failed)
            + "; `personae export postgres` retries one by hand"
        )
    return done


@dataclass
class ExportErasure:
    #: target label -> rows removed (or found, in a dry run)
    removed: dict[str, int] = field(default_factory=dict)
    #: targets the erasure could not reach, and what to do
    warnings: list[str] = field(default_factory=list)


def _exported_ids(
    cursor: Any, schema: str, person_ids: list[int], records: list[tuple[str, str]]
) -> str:
    """The person's ids, and those the export's ``identities`` gives the person's
    records (ids change when persons merge or split after an export)."""
    ids = {int(i) for i in person_ids}
    for start in range(0, len(records), 1000):
        keys = ", ".join(f"({literal(s)}, {literal(r)})" for s, r in records[start : start + 1000])
        cursor.execute(
            f"SELECT DISTINCT person_id FROM {ident(schema)}.identities "
            f"WHERE (source, record_id) IN (VALUES {keys})"
        )
        ids |= {int(row[0]) for row in cursor.fetchall() if row[0] is not None}
    return ", ".join(str(i) for i in sorted(ids))


def _erase_in(
    session: Session,
    target: ExportTarget,
    person_ids: list[int],
    records: list[tuple[str, str]],
    dry_run: bool,
) -> int:
    cursor = session.connection.cursor()
    try:
        cursor.execute(
            "SELECT c.relname, bool_or(a.attname = 'person_id') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
            f"WHERE n.nspname = {literal(target.schema)} AND c.relkind IN ('r', 'p') "
            "GROUP BY c.relname"
        )
        found = {str(name): bool(keyed) for name, keyed in cursor.fetchall()}
        present = {name for name in found if name in target.tables}
        held = records if found.get("identities") and "identities" in present else []
        ids = _exported_ids(cursor, target.schema, person_ids, held)
        removed = 0
        for table in sorted(name for name in present if found[name]):
            name = f"{ident(target.schema)}.{ident(table)}"
            if dry_run:
                cursor.execute(f"SELECT count(*) FROM {name} WHERE person_id IN ({ids})")
            else:
                cursor.execute(
                    f"WITH gone AS (DELETE FROM {name} WHERE person_id IN ({ids}) RETURNING 1) "
                    "SELECT count(*) FROM gone"
                )
            removed += int(cursor.fetchall()[0][0])
        if not dry_run and {"segments", "segment_members"} <= present:
            schema = ident(target.schema)
            cursor.execute(
                f"UPDATE {schema}.segments s SET members = (SELECT count(*) FROM "
                f"{schema}.segment_members m WHERE m.segment = s.segment)"
            )
        session.connection.commit()
        return removed
    finally:
        cursor.close()


def forget_in_exports(
    root: Path,
    state_dir: Path,
    person_ids: list[int],
    records: list[tuple[str, str]],
    dry_run: bool,
) -> ExportErasure:
    """Delete the person's rows from every recorded PostgreSQL export, found by their
    ids and by their source ``records`` in the export's ``identities``; ``dry_run`` only
    counts them. A target that cannot be reached is reported, never fatal."""
    result = ExportErasure()
    if not person_ids:
        return result
    ids = ", ".join(str(int(i)) for i in person_ids)
    try:
        targets = recorded_exports(state_dir)
    except PostgresExportError as exc:
        result.warnings.append(str(exc))
        return result
    if not targets:
        return result
    from adbc_driver_manager import Error

    for target in targets:
        try:
            with connect(target.url, root, setting=f"the export to {target.label}") as session:
                try:
                    result.removed[target.label] = _erase_in(
                        session, target, person_ids, records, dry_run
                    )
                except Error as exc:
                    raise PostgresExportError(session.why(exc)) from None
        except PersonaeError as exc:  # unreachable, refused, or a placeholder not set
            result.warnings.append(
                f"PostgreSQL export {target.label}: the person's rows could not be deleted "
                f"({exc}); they are still there: once it can be reached, run `personae export "
                f"postgres --url '{target.url}' --schema {target.schema}` (it rewrites the "
                f"tables without them) or DELETE FROM each of its tables "
                f"({', '.join(target.tables)}) WHERE person_id IN ({ids})"
            )
    return result
