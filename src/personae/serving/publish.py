"""Publish the serving store from the warehouse: what the Profile API reads.

Per live person: the traits document (golden profile fields without lineage, and every
trait), the external ids (every identity value its records hold, as the clean stage
normalised it, blocked and generic values left out), the newest events
(``serving.events_per_person``, within ``serving.events_days``), its segment
memberships (with ``since``); per retired person id, the person it now resolves to.

The documents are built as JSON by the engine and read a slice of persons at a time, so
memory stays bounded whatever the number of persons. The new generation is written
beside the live one and swapped in by replacing ``CURRENT``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personae.catalog import (
    COLLECTED_FILES,
    EVENTS,
    IDENTITY_GUARDS,
    IDENTITY_MAP,
    PERSONS,
    PROFILES,
    RECORDS,
    SEGMENT_MEMBERSHIP,
    TRAITS,
)
from personae.collect.tail import part_name
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.profile.aggregates import property_types
from personae.project import Project
from personae.protect.keys import KeyStore, keys_file
from personae.query.tables import require_tables
from personae.serving.names import NAME_TOKENS, PERSON_TOKENS, write_search_tokens
from personae.serving.store import (
    INDEXES,
    PREFIX,
    SCHEMA,
    SCHEMA_VERSION,
    SUFFIX,
    Codec,
    ServingPaths,
    remove_generation,
)
from personae.sql import ident, literal, sql_type
from personae.unify.rules import identity_types

#: persons read from the warehouse at a time
SLICE = 200_000
_IDS = "_serving_ids"
_EVENTS = "_serving_events"


@dataclass
class PublishReport:
    path: str = ""
    persons: int = 0
    external_ids: int = 0
    events: int = 0
    memberships: int = 0
    links: int = 0
    name_tokens: int = 0
    bytes: int = 0
    encrypted: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def _text(column: str) -> str:
    """A timestamp as text, ``2026-03-01 10:00:00[.ffffff]`` on every engine (sorts as
    time does); the API shows it as ISO 8601 UTC."""
    return f"CAST({column} AS VARCHAR)"


def trait_names(engine: Engine) -> list[str]:
    """The names of a person's traits document: the golden fields (no lineage), then the
    traits (a trait wins over a profile column of the same name)."""
    traits = [c for c in engine.columns(TRAITS) if c != "person_id"]
    profile = [
        c
        for c in engine.columns(PROFILES)
        if c != "person_id" and not c.endswith(("__source", "__record_id")) and c not in traits
    ]
    return [*profile, *traits]


def column_types(engine: Engine, names: list[str]) -> dict[str, str]:
    """The SQL type of each name of the traits document (for the streaming worker, which
    reads the documents back into typed tables)."""
    traits = set(engine.columns(TRAITS))
    types: dict[str, str] = {}
    for table, alias in ((PROFILES, "p"), (TRAITS, "t")):
        wanted = [n for n in names if (n in traits) == (alias == "t")]
        if not wanted:
            continue
        schema = engine.query(
            f"SELECT {', '.join(ident(n) for n in wanted)} FROM {table} WHERE false"
        ).schema
        types.update({n: sql_type(schema.field(n).type) for n in wanted})
    return types


def collected_through(engine: Engine) -> dict[str, int]:
    """Per collector, the highest segment number whose Parquet part the warehouse
    loaded: the streaming worker starts after it."""
    if not engine.table_exists(COLLECTED_FILES):
        return {}
    through: dict[str, int] = {}
    for (name,) in engine.rows(f"SELECT file FROM {COLLECTED_FILES}"):
        collector, seq = part_name(Path(str(name)))
        if collector:
            through[collector] = max(through.get(collector, 0), seq)
    return through


def _traits_sql(engine: Engine, names: list[str], types: dict[str, str]) -> str:
    """``person_id, doc``: a JSON object keyed by each name's position in ``names`` (the
    names are written once, in ``meta``, not once per person). Timestamps are written as
    text the same way on every engine (:func:`_text`), as the streaming worker writes
    them."""
    traits = set(engine.columns(TRAITS))

    def value(name: str) -> str:
        column = f"{'t' if name in traits else 'p'}.{ident(name)}"
        return _text(column) if types.get(name) == "TIMESTAMP" else column

    pairs = ", ".join(f"{literal(str(i))}, {value(n)}" for i, n in enumerate(names))
    return (
        f"SELECT p.person_id, CAST(json_object({pairs}) AS VARCHAR) AS doc "
        f"FROM {PROFILES} p LEFT JOIN {TRAITS} t USING (person_id)"
    )


def _identifiers_sql(engine: Engine, config: ProjectConfig) -> str:
    """Every identity value of every record with its person, source and time."""
    present = set(engine.columns(RECORDS))
    parts = [
        f"SELECT source, record_id, observed_at, {literal(t.name)} AS id_type, "
        f"CAST({ident(t.name)} AS VARCHAR) AS id_value FROM {RECORDS} "
        f"WHERE {ident(t.name)} IS NOT NULL AND CAST({ident(t.name)} AS VARCHAR) <> ''"
        for t in identity_types(config)
        if t.name in present
    ]
    if not parts:
        parts = [
            "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS record_id, "
            "CAST(NULL AS TIMESTAMP) AS observed_at, CAST(NULL AS VARCHAR) AS id_type, "
            "CAST(NULL AS VARCHAR) AS id_value WHERE false"
        ]
    guarded = ""
    if engine.table_exists(IDENTITY_GUARDS):
        guarded = (
            f"WHERE NOT EXISTS (SELECT 1 FROM {IDENTITY_GUARDS} g WHERE g.id_type = i.id_type "
            "AND g.id_value = i.id_value AND g.guard IN ('blocked', 'generic'))"
        )
    return f"""
        SELECT m.person_id, i.id_type, i.id_value, count(*) AS records,
               min(i.source) AS source_id, min(i.observed_at) AS created_at
        FROM ({" UNION ALL ".join(parts)}) i
        JOIN {IDENTITY_MAP} m USING (source, record_id)
        {guarded}
        GROUP BY m.person_id, i.id_type, i.id_value
        ORDER BY m.person_id
    """


def _events_sql(config: ProjectConfig, now: dt.datetime) -> str:
    keep = config.serving.events_per_person
    since = ""
    if config.serving.events_days is not None:
        start = now - dt.timedelta(days=config.serving.events_days)
        since = f"AND e.timestamp >= CAST({literal(start.isoformat(sep=' '))} AS TIMESTAMP)"
    return f"""
        SELECT person_id, ts, source, record_id, doc FROM (
            SELECT m.person_id, e.timestamp AS ts, e.source, e.record_id,
                   CAST(json_object(
                       't', {_text("e.timestamp")}, 's', e.source, 'm', e.record_id,
                       'e', e.event, 'p', e.properties
                   ) AS VARCHAR) AS doc,
                   row_number() OVER (PARTITION BY m.person_id
                                      ORDER BY e.timestamp DESC, e.source DESC,
                                               e.record_id DESC) AS n
            FROM {EVENTS} e JOIN {IDENTITY_MAP} m USING (source, record_id)
            WHERE e.timestamp IS NOT NULL {since}
        ) WHERE n <= {keep}
        ORDER BY person_id
    """


def _slices(engine: Engine) -> list[tuple[int, int]]:
    """Person id ranges ``(low, high]`` of about :data:`SLICE` persons each."""
    bounds = [
        int(r[0])
        for r in engine.rows(
            f"SELECT person_id FROM (SELECT person_id, row_number() OVER (ORDER BY person_id) "
            f"AS n FROM {PROFILES}) WHERE n % {SLICE} = 0 ORDER BY person_id"
        )
    ]
    top = engine.scalar(f"SELECT max(person_id) FROM {PROFILES}")
    if top is None:
        return []
    edges = [-1, *bounds]
    if not bounds or bounds[-1] < int(top):
        edges.append(int(top))
    return list(itertools.pairwise(edges))


def _sliced(engine: Engine, sql: str, slices: list[tuple[int, int]]) -> Iterator[list[Any]]:
    """The rows of ``sql`` (which has a ``person_id`` column), a slice of persons at a time."""
    for low, high in slices:
        table = engine.query(
            f"SELECT * FROM ({sql}) s WHERE person_id > {low} AND person_id <= {high}"
        )
        yield list(
            zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True)
        )


def _documents(
    engine: Engine, sql: str, slices: list[tuple[int, int]], order: str
) -> Iterator[list[Any]]:
    """``person_id, '[doc, …]'`` per person from ``sql`` (``person_id, doc`` and the
    ``order`` columns)."""
    grouped = (  # (on Spark, string_agg orders by the documents' text: the same order)
        f"SELECT person_id, '[' || string_agg(doc, ',' ORDER BY {order}) || ']' AS docs "
        f"FROM {sql} GROUP BY person_id"
    )
    yield from _sliced(engine, grouped, slices)


def _write(db: sqlite3.Connection, table: str, rows: Iterator[list[Any]], codec: Codec) -> int:
    """Insert ``(person_id, document)`` rows, each document sealed when encrypted."""
    count = 0
    for chunk in rows:
        chunk = [(p, codec.seal(d.encode())) for p, d in chunk]
        db.executemany(f"INSERT INTO {table} VALUES (?, ?)", chunk)
        count += len(chunk)
    return count


def _links(engine: Engine) -> list[tuple[int, int]]:
    """Each retired person id -> the live person it resolves to (chains followed)."""
    merged = {
        int(p): int(m)
        for p, m in engine.rows(
            f"SELECT person_id, merged_into FROM {PERSONS} WHERE merged_into IS NOT NULL"
        )
    }
    out = []
    for retired in merged:
        target, seen = merged[retired], {retired}
        while target in merged and target not in seen:
            seen.add(target)
            target = merged[target]
        out.append((retired, target))
    return sorted(out)


def publish_wanted(project: Project) -> bool:
    """Does a run publish the store? ``serving.publish``, where ``auto`` means: a read key
    exists (the Profile API can be called), or a store was published before (keep it
    fresh)."""
    wanted = project.config.serving.publish
    if wanted != "auto":
        return bool(wanted)
    if ServingPaths.of(project.state_dir).live() is not None:
        return True
    return any(key.scope == "read" for key in KeyStore(keys_file(project.root)).list())


def publish(project: Project, now: dt.datetime | None = None) -> PublishReport:
    """Build a new generation of the serving store from the warehouse and swap it in."""
    engine, config = project.engine, project.config
    require_tables(engine, [PROFILES, TRAITS, SEGMENT_MEMBERSHIP, IDENTITY_MAP, RECORDS])
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    reference = dt.datetime.combine(config.as_of, dt.time()) if config.as_of else now
    paths = ServingPaths.of(project.state_dir)
    paths.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    live = paths.live()
    for stale in paths.generations():  # left by an interrupted publish
        if stale != live:
            remove_generation(stale)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    path = paths.folder / f"{PREFIX}{stamp}-{secrets.token_hex(3)}{SUFFIX}"
    codec = Codec.for_project(project.state_dir, project.keys)
    report = PublishReport(path=str(path), encrypted=codec.encrypted)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        _build(engine, config, db, codec, reference, report)
        db.execute("PRAGMA journal_mode = WAL")
    except BaseException:
        db.close()
        remove_generation(path)
        raise
    finally:
        for scratch in (_IDS, _EVENTS, NAME_TOKENS, PERSON_TOKENS):
            engine.drop_table(scratch)
    db.close()
    started = time.perf_counter()
    swap_in(paths, path, live)
    report.seconds["swap"] = time.perf_counter() - started
    report.bytes = path.stat().st_size
    return report


def _build(
    engine: Engine,
    config: ProjectConfig,
    db: sqlite3.Connection,
    codec: Codec,
    now: dt.datetime,
    report: PublishReport,
) -> None:
    for pragma in ("page_size = 8192", "journal_mode = OFF", "synchronous = OFF"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("PRAGMA cache_size = -262144")
    for statement in SCHEMA:
        db.execute(statement)
    slices = _slices(engine)
    db.execute("BEGIN")

    started = time.perf_counter()
    names = trait_names(engine)
    types = column_types(engine, names)
    traits = _sliced(engine, _traits_sql(engine, names, types), slices)
    report.persons = _write(db, "traits", traits, codec)
    report.seconds["traits"] = time.perf_counter() - started

    started = time.perf_counter()
    engine.create_table_as(_IDS, _identifiers_sql(engine, config))
    item = (
        "CAST(json_object('t', id_type, 'i', id_value, 's', source_id, "
        f"'c', {_text('created_at')}) AS VARCHAR)"
    )
    docs = f"(SELECT person_id, id_type, id_value, {item} AS doc FROM {_IDS})"
    _write(db, "external_ids", _documents(engine, docs, slices, "id_type, id_value"), codec)
    report.external_ids = _lookups(engine, db, codec)
    report.seconds["external_ids"] = time.perf_counter() - started

    started = time.perf_counter()
    if engine.table_exists(EVENTS) and config.serving.events_per_person > 0:
        engine.create_table_as(_EVENTS, _events_sql(config, now))
        report.events = engine.count(_EVENTS)
        order = "ts, source, record_id"  # oldest first: the reader reverses
        _write(db, "events", _documents(engine, _EVENTS, slices, order), codec)
    report.seconds["events"] = time.perf_counter() - started

    started = time.perf_counter()
    report.name_tokens = write_search_tokens(engine, db, codec)
    report.seconds["search"] = time.perf_counter() - started

    started = time.perf_counter()
    members = engine.rows(
        f"SELECT person_id, segment, {_text('since')} FROM {SEGMENT_MEMBERSHIP} "
        "ORDER BY person_id, segment"
    )
    db.executemany("INSERT INTO segments VALUES (?, ?, ?)", members)
    report.memberships = len(members)
    links = _links(engine) if engine.table_exists(PERSONS) else []
    db.executemany("INSERT INTO links VALUES (?, ?)", links)
    report.links = len(links)
    meta = {
        "schema": SCHEMA_VERSION,
        "published_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "persons": str(report.persons),
        "encrypted": "1" if codec.encrypted else "0",
        "key_id": codec.key_id,
        "id_types": ",".join(t.name for t in identity_types(config)),
        "trait_names": json.dumps(names),
        "phone_region": config.defaults.phone_region,
        "events_per_person": str(config.serving.events_per_person),
        "events_days": str(config.serving.events_days or ""),
        "reference": now.isoformat(sep=" "),
        "column_types": json.dumps(types),
        "property_types": json.dumps(
            property_types(engine, config) if engine.table_exists(EVENTS) else {}
        ),
        "collected_through": json.dumps(collected_through(engine)),
    }
    db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    db.execute("COMMIT")
    for statement in INDEXES:
        db.execute(statement)
    report.seconds["segments_links_indexes"] = time.perf_counter() - started


def _lookups(engine: Engine, db: sqlite3.Connection, codec: Codec) -> int:
    """``lookup``: each external id -> the person whose records hold it most (ties: the
    lowest person id), so a value two persons share answers one of them, always the same."""
    chosen = f"""
        SELECT id_type, id_value, person_id FROM (
            SELECT id_type, id_value, person_id, row_number() OVER (
                PARTITION BY id_type, id_value ORDER BY records DESC, person_id) AS n
            FROM {_IDS}) WHERE n = 1
    """
    if codec.encrypted:
        sql = f"SELECT id_type, id_value, person_id FROM ({chosen}) ORDER BY person_id"
    else:
        sql = f"SELECT id_type || ':' || id_value AS k, person_id FROM ({chosen}) ORDER BY k"
    table = engine.query(sql)
    count = 0
    columns = [table.column(i) for i in range(table.num_columns)]
    step = 500_000
    for start in range(0, table.num_rows, step):
        part = [c.slice(start, step).to_pylist() for c in columns]
        if codec.encrypted:
            rows = [
                (codec.lookup_key(k, v), p)
                for k, v, p in zip(part[0], part[1], part[2], strict=True)
            ]
            rows.sort()
        else:
            rows = list(zip(part[0], part[1], strict=True))
        db.executemany("INSERT INTO lookup VALUES (?, ?)", rows)
        count += len(rows)
    return count


def swap_in(paths: ServingPaths, path: Path, live: Path | None) -> None:
    """Make ``path`` the live generation (durably), then remove the old one."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    temporary = paths.current.with_suffix(".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(temporary, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(path.name + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, paths.current)
    folder = os.open(paths.folder, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    if live is not None and live != path:
        remove_generation(live)
