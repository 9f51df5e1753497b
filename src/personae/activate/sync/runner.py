"""One sync of one destination: audience, diff against what it holds, delivery, records.

1. The audience is built (:mod:`.audience`): consent-gated, pseudonymised, renamed, each
   member's field values fingerprinted.
2. The diff against ``destination_state``: **add** (a member the destination does not
   hold), **update** (its payload changed), **remove** (it holds a member who left the
   audience, lost consent or was erased). Changes a destination refused for good
   (a dead letter whose reason starts with ``refused``) are left out until their payload
   changes or ``personae destinations retry`` replays them.
3. Delivery: an audience connector gets the changes in batches of its ``max_batch``
   (removals first), each batch tried until it succeeds or fails for good
   (:mod:`.delivery`), and each acknowledged batch is written to ``destination_state`` at
   once. A snapshot connector (a file) gets the whole audience and writes it; the state
   is replaced after it is written.
4. The run is a row of ``destination_runs``; failed members are dead letters.

A batch that exhausts its retries (the destination is down) goes to the dead letters and
ends the run: what is left stays in the diff and goes next run.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from personae.activate.connectors.base import Change, identity_fields
from personae.activate.connectors.registry import open_connector
from personae.activate.sync import state
from personae.activate.sync.audience import (
    LIVE,
    Audience,
    build_audience,
    drop_audience,
    live_table,
    payload_sql,
)
from personae.activate.sync.delivery import Outcome, Pacer, deliver
from personae.catalog import DESTINATION_DEAD_LETTERS, DESTINATION_STATE
from personae.config.destinations import DestinationBase
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import NotFoundError, did_you_mean
from personae.sql import ident, literal

AUDIENCE = "_activate_audience"
CHANGES = "_activate_changes"
#: the changed members with the payload the destination holds (identifier changes)
REPLACED = "_activate_replaced"
KINDS = ("add", "update", "remove")


@dataclass
class SyncReport:
    destination: str
    run_id: str
    #: ``ok``, ``partial`` (some members failed), ``failed``
    status: str = "running"
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    #: members of the audience sent (consented), and those held back for lack of consent
    members: int = 0
    held_back: int = 0
    purpose: str | None = None
    channel: str | None = None
    pseudonymised: list[str] = field(default_factory=list)
    error: str | None = None
    #: dead letters put back in the diff by ``retry``
    replayed: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Members the destination holds after the run (its audience, consented)."""
        return self.members

    @property
    def counts(self) -> dict[str, int]:
        return {"add": self.added, "update": self.updated, "remove": self.removed}


@dataclass
class Options:
    """What tests and benchmarks change: the clock, the sleep, the connector."""

    now: dt.datetime | None = None
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    #: destination name -> connector to use instead of the registry's
    connectors: dict[str, Any] = field(default_factory=dict)
    #: the streaming worker's segment changes since the last run, the latest per person
    #: and segment: ``(person_id, segment, member)``; segment audiences follow them
    live: list[tuple[int, str, bool]] = field(default_factory=list)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def destination_of(config: ProjectConfig, name: str) -> Any:
    if name not in config.destinations:
        declared = list(config.destinations)
        hint = did_you_mean(name, declared, prefix="") or (
            f"declared: {', '.join(declared)}" if declared else "none is declared"
        )
        raise NotFoundError(f"no destination {name!r} in personae.yml; {hint}")
    return config.destinations[name]


def diff(
    engine: Engine,
    name: str,
    audience: Audience,
    *,
    numbered: bool = True,
    identity: Sequence[str] = (),
) -> dict[str, int]:
    """Write the changes to send to :data:`CHANGES` (``numbered``: with ``seq``, the
    order they are sent in, removals first); their count per kind.

    ``identity``: the sent fields the destination knows members by (the connector's
    ``identity_fields``): a member one of whose values changed is not updated but
    removed with the payload the destination holds, then added with the new one."""
    dest = literal(name)
    seq = (
        """, row_number() OVER (
            ORDER BY CASE c.kind WHEN 'remove' THEN 0 WHEN 'update' THEN 1 ELSE 2 END,
                     c.person_id) AS seq"""
        if numbered
        else ""
    )
    fields = [f for f in audience.fields if f in set(identity)]
    held = ", s.payload AS held, s.fingerprint AS held_fingerprint" if fields else ""
    changed = f"""
        SELECT CASE WHEN s.person_id IS NULL THEN 'add' ELSE 'update' END AS kind,
               a.person_id, {payload_sql(audience.fields)} AS payload, a.fingerprint{held}
        FROM {audience.table} a
        LEFT JOIN (SELECT person_id, fingerprint{", payload" if fields else ""}
                   FROM {DESTINATION_STATE} WHERE destination = {dest}) s
               ON s.person_id = a.person_id
        WHERE s.person_id IS NULL OR s.fingerprint <> a.fingerprint"""
    if fields:
        # an update of an identifier: the held payload removed, the new one added
        replaced = " OR ".join(
            f"json_extract_string(u.payload, {literal('$.' + json.dumps(f))}) IS DISTINCT "
            f"FROM json_extract_string(u.held, {literal('$.' + json.dumps(f))})"
            for f in fields
        )
        engine.create_table_as(
            REPLACED,
            f"SELECT u.*, u.kind = 'update' AND ({replaced}) AS replaced FROM ({changed}) u",
        )
        changed = f"""
            SELECT CASE WHEN replaced THEN 'add' ELSE kind END AS kind, person_id, payload,
                   fingerprint
            FROM {REPLACED}
            UNION ALL
            SELECT 'remove' AS kind, person_id, held AS payload, held_fingerprint AS fingerprint
            FROM {REPLACED} WHERE replaced"""
    engine.create_table_as(
        CHANGES,
        f"""
        SELECT c.*{seq}
        FROM (
            {changed}
            UNION ALL
            SELECT 'remove' AS kind, s.person_id, s.payload, s.fingerprint
            FROM {DESTINATION_STATE} s
            WHERE s.destination = {dest}
              AND NOT EXISTS (SELECT 1 FROM {audience.table} a WHERE a.person_id = s.person_id)
        ) c
        WHERE NOT EXISTS (
            SELECT 1 FROM {DESTINATION_DEAD_LETTERS} d
            WHERE d.destination = {dest} AND d.person_id = c.person_id
              AND d.change = c.kind AND d.reason LIKE 'refused%'
              AND d.payload = c.payload)
        {"ORDER BY seq" if numbered else ""}
        """,
    )
    engine.drop_table(REPLACED)
    counts = dict.fromkeys(KINDS, 0)
    for kind, count in engine.rows(f"SELECT kind, count(*) FROM {CHANGES} GROUP BY kind"):
        counts[str(kind)] = int(count)
    return counts


def run_destination(
    engine: Engine,
    config: ProjectConfig,
    root: Path,
    name: str,
    options: Options | None = None,
) -> SyncReport:
    """Sync destination ``name`` once. A failure is recorded in ``destination_runs`` and
    raised."""
    options = options or Options()
    destination = destination_of(config, name)
    started = time.perf_counter()
    now = options.now or utcnow()
    report = SyncReport(name, f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
    state.ensure_tables(engine)
    state.start_run(engine, name, report.run_id, now)
    try:
        connector = options.connectors.get(name) or open_connector(name, destination, root)
        try:
            live = None
            if options.live:
                engine.write_arrow(LIVE, live_table(options.live), mode="replace")
                live = LIVE
            audience = build_audience(engine, config, name, destination, AUDIENCE, live=live)
            report.members, report.held_back = audience.members, audience.held_back
            report.purpose, report.channel = audience.purpose, audience.channel
            report.pseudonymised = audience.pseudonymised
            max_batch = max(1, int(getattr(connector, "max_batch", 1)))
            snapshot = hasattr(connector, "write_snapshot")
            pending = diff(
                engine,
                name,
                audience,
                numbered=not snapshot,
                identity=() if snapshot else identity_fields(connector),
            )
            pacer = Pacer(destination.requests_per_second, sleep=options.sleep)
            if snapshot:
                _snapshot(engine, destination, connector, audience, pending, report, pacer, options)
            else:
                _batches(engine, destination, connector, max_batch, report, pacer, options)
        finally:
            connector.close()
    except Exception as exc:
        report.status, report.error = "failed", str(exc)
        _finish(engine, report, started, options)
        raise
    if report.status == "running":
        acknowledged = report.added + report.updated + report.removed
        report.status = "ok" if report.failed == 0 else "partial" if acknowledged else "failed"
    _finish(engine, report, started, options)
    return report


def _finish(engine: Engine, report: SyncReport, started: float, options: Options) -> None:
    state.finish_run(
        engine,
        report.run_id,
        status=report.status,
        counts=report.counts,
        failed=report.failed,
        error=report.error,
        now=options.now or utcnow(),
    )
    drop_audience(engine, AUDIENCE)
    engine.drop_table(CHANGES)
    engine.drop_table(REPLACED)
    state.drop_scratch(engine)
    report.seconds = time.perf_counter() - started


def _snapshot(
    engine: Engine,
    destination: DestinationBase,
    connector: Any,
    audience: Audience,
    pending: dict[str, int],
    report: SyncReport,
    pacer: Pacer,
    options: Options,
) -> None:
    columns = ", ".join(f"a.{ident(f)}" for f in audience.fields)
    extracted = ", ".join(
        f"json_extract_string(c.payload, {literal('$.' + json.dumps(f))}) AS {ident(f)}"
        for f in audience.fields
    )
    snapshot = f"SELECT a.person_id, {columns} FROM {AUDIENCE} a ORDER BY a.person_id"

    def changed(kind: str) -> str:
        return (
            f"SELECT a.person_id, {columns} FROM {CHANGES} c JOIN {AUDIENCE} a "
            f"ON a.person_id = c.person_id WHERE c.kind = {literal(kind)} ORDER BY a.person_id"
        )

    diffs = {
        "added": changed("add"),
        "updated": changed("update"),
        "removed": f"SELECT c.person_id, {extracted} FROM {CHANGES} c "
        "WHERE c.kind = 'remove' ORDER BY c.person_id",
    }
    outcome = deliver(
        lambda: connector.write_snapshot(engine, snapshot, diffs),
        destination,
        pacer,
        sleep=options.sleep,
        rng=options.rng,
    )
    if not outcome.ok:
        report.status, report.error = "failed", outcome.reason
        return
    now = options.now or utcnow()
    state.apply_changes(engine, report.destination, report.run_id, CHANGES, now)
    report.added, report.updated, report.removed = (pending[k] for k in KINDS)


def _batches(
    engine: Engine,
    destination: DestinationBase,
    connector: Any,
    max_batch: int,
    report: SyncReport,
    pacer: Pacer,
    options: Options,
) -> None:
    changes = engine.query(f"SELECT kind, person_id, payload FROM {CHANGES} ORDER BY seq")
    kinds = changes.column("kind").to_pylist()
    persons = changes.column("person_id").to_pylist()
    payloads = changes.column("payload").to_pylist()
    name = report.destination
    had_dead_letters = state.has_dead_letters(engine, name)
    removed = {p for k, p in zip(kinds, persons, strict=True) if k == "remove"}
    for start, stop in _ranges(kinds, max_batch, identity_fields(connector)):
        batch = [
            Change(kinds[i], persons[i], orjson.loads(payloads[i])) for i in range(start, stop)
        ]
        outcome: Outcome = deliver(
            lambda batch=batch: connector.send(batch),  # type: ignore[misc]
            destination,
            pacer,
            sleep=options.sleep,
            rng=options.rng,
        )
        if outcome.ok:
            failed = getattr(outcome.value, "failed", None) or {}
            refused = {pid: f"refused: {why}" for pid, why in failed.items()}
        else:
            refused = {c.person_id: outcome.reason for c in batch}
        now = options.now or utcnow()
        if refused:
            failures = [
                (
                    c.kind,
                    c.person_id,
                    payloads[start + i],
                    refused[c.person_id],
                    outcome.attempts,
                )
                for i, c in enumerate(batch)
                if c.person_id in refused
            ]
            report.failed += state.dead_letter(engine, name, report.run_id, failures, now)
        # seq is 1-based and follows the order of ``changes``
        state.acknowledge(
            engine,
            name,
            report.run_id,
            CHANGES,
            (start + 1, stop),
            refused,
            now,
            had_dead_letters=had_dead_letters,
            # an addition whose removal came first (a changed identifier) may have
            # left a state row behind when that removal was refused
            only_adds=all(c.kind == "add" and c.person_id not in removed for c in batch),
        )
        for c in batch:
            if c.person_id not in refused:
                setattr(report, _FIELD[c.kind], getattr(report, _FIELD[c.kind]) + 1)
        if not outcome.ok and not outcome.permanent:
            report.error = (
                f"{outcome.reason}; stopped: {changes.num_rows - stop} changes wait for the "
                "next run"
            )
            report.status = "failed" if start == 0 else "partial"
            return


def _ranges(kinds: Sequence[str], max_batch: int, identity: Sequence[str]) -> list[tuple[int, int]]:
    """The ``[start, stop)`` of each batch, in ``seq`` order. With ``identity`` fields, a
    batch holds removals only or none: a member replaced (removed with its old
    identifiers, added with the new ones) then has its removal and its addition in two
    requests, each acknowledged (or refused) on its own, so a crash between them resumes
    with the addition alone."""
    total = len(kinds)
    removals = sum(1 for k in kinds if k == "remove") if identity else 0
    cuts = [(0, removals), (removals, total)] if 0 < removals < total else [(0, total)]
    return [
        (start, min(start + max_batch, stop))
        for lo, stop in cuts
        for start in range(lo, stop, max_batch)
    ]


_FIELD = {"add": "added", "update": "updated", "remove": "removed"}
