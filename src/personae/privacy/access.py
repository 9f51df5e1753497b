"""The right of access (GDPR art. 15) and portability (art. 20): one JSON file.

:func:`access_export` gathers, for one person, every raw row of every source (every
version), every collected message, the cleaned records and events, the golden profile
with the lineage of each value, traits, segment membership and history, and every other
table of the warehouse that holds rows of the person (the consent ledger, what
activation sent where) when those exist.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personae.catalog import (
    EVENTS,
    PROFILE_VALUES,
    PROFILES,
    RAW_COLLECTED,
    RECORDS,
    SEGMENT_HISTORY,
    SEGMENT_MEMBERSHIP,
    TRAITS,
    raw_table,
)
from personae.engine import Engine
from personae.privacy.person import KEYS_TABLE, Person, Selector, mine
from personae.project import Project
from personae.protect.audit import record

#: the audit log's action of an access export
AUDIT_ACTION = "privacy.access"

#: sections by person_id, in the order of the file
BY_PERSON = {
    "profile": PROFILES,
    "profile_lineage": PROFILE_VALUES,
    "traits": TRAITS,
    "segments": SEGMENT_MEMBERSHIP,
    "segment_history": SEGMENT_HISTORY,
}


@dataclass
class AccessExport:
    person_ids: list[int]
    #: the id the audit log records the request under
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    sections: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Rows per section (per source for ``sources``)."""
        found: dict[str, int] = {}
        for name, rows in self.sections.items():
            if isinstance(rows, dict):
                found.update({f"{name}.{k}": len(v) for k, v in rows.items()})
            elif isinstance(rows, list):
                found[name] = len(rows)
        return found

    def summary(self) -> str:
        ids = ", ".join(map(str, self.person_ids))
        lines = [f"person {ids}:"]
        lines += [f"  {name}: {n} row{'s' if n != 1 else ''}" for name, n in self.counts().items()]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "personae_access_export": 1,
            "request_id": self.request_id,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "person_ids": self.person_ids,
            "summary": self.counts(),
            **self.sections,
        }


def _rows(engine: Engine, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = engine.query(sql, params).to_pylist()
    return rows


def _mine(source: str, record_id: str) -> str:
    return mine(source, record_id)


def access_export(
    project: Project, person: Person, selector: Selector | None = None
) -> AccessExport:
    """Everything the warehouse holds about ``person``, recorded in the audit log (the
    request id, how the person was named, never the value, and the rows per section)."""
    engine = project.engine
    person.write_keys(engine)
    export = AccessExport(person.person_ids)
    sources: dict[str, list[dict[str, Any]]] = {}
    for name in project.config.sources:
        raw = raw_table(name)
        if engine.table_exists(raw):
            found = _rows(engine, f"SELECT * FROM {raw} WHERE {_mine('_source', '_record_id')}")
            if found:
                sources[name] = found
    export.sections["sources"] = sources
    if engine.table_exists(RAW_COLLECTED):
        export.sections["collected_events"] = _rows(
            engine,
            f"SELECT * FROM {RAW_COLLECTED} WHERE {_mine('source', 'message_id')} "
            "ORDER BY timestamp",
        )
    for name, table in (("records", RECORDS), ("events", EVENTS)):
        if engine.table_exists(table):
            export.sections[name] = _rows(
                engine, f"SELECT * FROM {table} WHERE {_mine('source', 'record_id')}"
            )
    ids = ", ".join(str(i) for i in person.person_ids)
    for name, table in BY_PERSON.items():
        if engine.table_exists(table):
            export.sections[name] = _rows(
                engine, f"SELECT * FROM {table} WHERE person_id IN ({ids}) ORDER BY ALL"
            )
    # tables built beyond the pipeline (the consent ledger, activation's records)
    known = {*BY_PERSON.values(), RECORDS, EVENTS}
    for other in engine.tables():
        if other in known or other.startswith(("_", "identity_", "persons")):
            continue
        if "person_id" in engine.columns(other):
            export.sections[other] = _rows(
                engine, f"SELECT * FROM {other} WHERE person_id IN ({ids})"
            )
    engine.drop_table(KEYS_TABLE)
    record(
        project.root,
        AUDIT_ACTION,
        {
            "request_id": export.request_id,
            "selector": selector.describe() if selector else f"persons {ids}",
            "person_ids": export.person_ids,
            "rows": export.counts(),
        },
    )
    return export


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def write_access_export(export: AccessExport, out: Path) -> None:
    """Write the export as JSON (UTF-8, indented), readable only by its owner."""
    out.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(export.to_json(), default=_default, ensure_ascii=False, indent=2)
    out.touch(mode=0o600, exist_ok=True)
    out.write_text(data + "\n", encoding="utf-8")
