"""The streaming worker: collected messages to the serving store within a second or so.

It follows the collectors' write-ahead logs (:mod:`.source`) in micro-batches. Each
micro-batch:

1. turns the messages into records and events with the clean stage's own SQL
   (:func:`personae.clean.collected.collected_records_sql`), in an in-memory DuckDB;
2. stitches them onto the store's persons (:mod:`.stitch`);
3. appends the new events to their persons' documents (an event the person already
   holds, by source and message id, is skipped: a retry, or a replay);
4. recomputes the touched persons' traits and segments with the batch's SQL
   (:mod:`.evaluate`), and compares the segments with what the store held: entering
   and leaving persons, and the events journeys wait for, become triggers
   (:mod:`personae.activate.triggers`);
5. commits: the triggers (with the position they reach) to the trigger queue, then the
   persons, merges, lookups and the position to the serving store, in one SQLite
   transaction each.

Crash safety: the store's position and its documents commit together, so a restart
reads again exactly the messages after it. A crash between the two commits leaves the
queue ahead; the restart replays up to the queue's position without appending triggers
again. Nothing is applied twice, nothing is skipped.

The store's generation is replaced by each batch publish; the worker notices, and starts
the new generation after the collected files that run loaded: what the batch did not
see is streamed again onto it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from personae.activate.triggers import Trigger, TriggerQueue
from personae.catalog import RAW_COLLECTED
from personae.clean.collected import (
    collected_events_sql,
    collected_records_sql,
    record_payload,
    refresh_collected_lookups,
)
from personae.collect import stored
from personae.collect.paths import CollectPaths
from personae.config.journeys import Journey, Test
from personae.engine import DuckDBEngine, Engine
from personae.project import Project
from personae.serving.store import Codec, ServingPaths
from personae.sql import ident, literal
from personae.stream.evaluate import Evaluator, history
from personae.stream.generation import Generation, Person
from personae.stream.source import (
    Message,
    MessageSource,
    Positions,
    as_dict,
    covered_positions,
)
from personae.stream.stitch import Incoming, Stitcher, event_order
from personae.unify.identifiers import blocked_reason_sql
from personae.unify.rules import identity_types

log = logging.getLogger(__name__)

#: seconds between two polls when nothing came
INTERVAL = 0.02
#: messages per micro-batch at most
BATCH = 5_000
#: how often old triggers are dropped from the queue (seconds)
PRUNE_SECONDS = 3600
_RECORDS = "_stream_records"


@dataclass
class BatchReport:
    messages: int = 0
    events: int = 0
    persons: int = 0
    new_persons: int = 0
    merges: int = 0
    guard_hits: int = 0
    triggers: int = 0
    #: newest ``received_at`` applied (microseconds), for the lag
    received_us: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def waited_events(journeys: dict[str, Journey]) -> set[str]:
    """Event names journeys enter on or wait for: each becomes an ``event`` trigger."""
    names: set[str] = set()

    def add(value: str | list[str] | None) -> None:
        if isinstance(value, str):
            names.add(value)
        elif value:
            names.update(value)

    for journey in journeys.values():
        add(journey.entry.event)
        tests: list[Test | None] = [s.wait_until for s in journey.steps]
        tests += [s.branch for s in journey.steps] + list(journey.exit_when)
        for test in tests:
            if test is not None:
                add(test.event)
    return names


class StreamWorker:
    """Applies collected messages to a project's serving store, batch by batch."""

    def __init__(self, project: Project, *, batch: int = BATCH) -> None:
        self.project = project
        self.config = project.config
        self.batch = batch
        self.paths = ServingPaths.of(project.state_dir)
        collect = CollectPaths.of(project.root, self.config.collect.events_dir)
        self.wal_dir, self.events_dir = collect.wal, collect.events
        self.codec = Codec.for_project(project.state_dir, project.keys)
        self.types = identity_types(self.config)
        self.waited = waited_events(self.config.journeys)
        self.queue = TriggerQueue(project.state_dir)
        self.engine: Engine = DuckDBEngine(threads=1)
        self.generation: Generation | None = None
        self.source: MessageSource | None = None
        self.evaluator: Evaluator | None = None
        self._live: Path | None = None
        #: the queue is ahead of the store (a crash between the two commits): replay
        #: up to here without triggers
        self._replay_until: Positions | None = None
        self._profile_fields: list[str] = []
        #: when the trigger queue is next pruned (monotonic seconds)
        self._prune_at = 0.0
        #: why the live store cannot be streamed onto (None: it can), and which it is
        self.problem: str | None = None
        self._refused: Path | None = None

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
        if self.generation is not None:
            self.generation.close()
        self.queue.close()
        self.engine.close()

    # --- the generation

    def attach(self) -> bool:
        """Follow the live generation (a publish swaps in a new one); False without one."""
        live = self.paths.live()
        if live is None:
            return False
        if live == self._live and self.generation is not None:
            return True
        if live == self._refused:
            return False
        if self.source is not None:
            self.source.close()
        if self.generation is not None:
            self.generation.close()
        generation = Generation(live, self.codec)
        if "column_types" not in generation.meta:
            generation.close()
            self._refused = live
            self.problem = (
                f"{live.name} was published by an earlier personae, without what the "
                "stream needs: run 'personae serving publish' (or the next run does it)"
            )
            log.warning("%s", self.problem)
            return False
        self.problem = None
        generation.prepare()
        positions = generation.positions()
        if generation.fresh:
            through = json.loads(generation.meta.get("collected_through") or "{}")
            positions = covered_positions(through)
        self.generation = generation
        self.source = MessageSource(self.wal_dir, self.events_dir, positions, self.project.keys)
        self.evaluator = Evaluator(
            self.engine, self.config, generation.meta, generation.trait_names
        )
        self._live = live
        marked = self.queue.mark(_producer(live))
        ahead = {c: (int(p[0]), int(p[1])) for c, p in (marked or {}).items()}
        self._replay_until = ahead if _after(ahead, positions) else None
        log.info("streaming onto %s from %s", live.name, positions)
        return True

    # --- the loop

    def run(self, stop: threading.Event, interval: float = INTERVAL) -> None:
        while not stop.is_set():
            if not self.attach():
                stop.wait(0.5)
                continue
            report = self.step()
            if report.messages == 0:
                stop.wait(interval)

    def step(self, now: dt.datetime | None = None) -> BatchReport:
        """Read and apply one micro-batch."""
        report = BatchReport()
        if not self.attach():
            return report
        assert self.source is not None
        if time.monotonic() >= self._prune_at:  # triggers are kept KEEP_DAYS
            self.queue.prune(now or dt.datetime.now(dt.UTC).replace(tzinfo=None))
            self._prune_at = time.monotonic() + PRUNE_SECONDS
        until = self._replay_until
        started = time.perf_counter()
        messages = self.source.poll(self.batch, until=until)
        report.seconds["read"] = time.perf_counter() - started
        replaying = until is not None
        if replaying and not _after(until or {}, self.source.positions):
            self._replay_until = None
        if not messages:
            if replaying:
                self._commit_positions()
            return report
        self.apply(messages, report, now=now, triggers=not replaying)
        return report

    def _commit_positions(self) -> None:
        assert self.generation is not None and self.source is not None
        self.generation.commit([], {}, [], self.source.positions, {})

    # --- one micro-batch

    def apply(
        self,
        messages: list[Message],
        report: BatchReport,
        *,
        now: dt.datetime | None = None,
        triggers: bool = True,
    ) -> None:
        generation, source, evaluator = self.generation, self.source, self.evaluator
        assert generation is not None and source is not None and evaluator is not None
        now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        started = time.perf_counter()
        report.messages = len(messages)
        report.received_us = max(int(m.row.get("received_at") or 0) for m in messages)
        records, events, fields = self._records(messages)
        report.seconds["records"] = time.perf_counter() - started

        started = time.perf_counter()
        stitched = Stitcher(generation, self.types).stitch(records)
        report.new_persons, report.guard_hits = stitched.new_persons, stitched.guard_hits
        report.merges = len(stitched.merged)
        touched: dict[int, Person] = {}
        fired: list[Trigger] = []
        for index, event in events.items():
            person = stitched.persons[stitched.person_of[index]]
            touched[person.person_id] = person
            if person.has_event(event["s"], event["m"]):
                continue
            person.events.append(event)
            report.events += 1
            if event["e"] in self.waited:
                fired.append(
                    Trigger(
                        "event",
                        person.person_id,
                        event["e"],
                        _iso(event["t"]),
                        f"event|{event['s']}|{event['m']}",
                        {"properties": event["p"]},
                    )
                )
        for person in stitched.persons.values():
            touched[person.person_id] = person
            person.events.sort(key=event_order)
        self._fill_profiles(fields, stitched.person_of, stitched.persons)
        report.seconds["stitch"] = time.perf_counter() - started

        started = time.perf_counter()
        persons = list(touched.values())
        histories = {p.person_id: history(p, generation.meta) for p in persons}
        values, members = evaluator.evaluate(persons, histories, now)
        since = _stamp(now)
        for person in persons:
            person.traits.update(values.get(person.person_id, {}))
            truncated = not histories[person.person_id].complete
            old = dict(person.segments)
            wanted = members.get(person.person_id, set())
            kept: dict[str, str | None] = {}
            for name, how in evaluator.plan.segments.items():
                keep = how != "streamed" or (truncated and name in evaluator.plan.reads_events)
                if keep:
                    if name in old:
                        kept[name] = old[name]
                elif name in wanted:
                    kept[name] = old.get(name) or since
            person.segments = kept
            for name in kept.keys() - old.keys():
                fired.append(self._change("entered", person.person_id, name, now))
            for name in old.keys() - kept.keys():
                fired.append(self._change("left", person.person_id, name, now))
        for loser in stitched.losers.values():
            for name in loser.segments:
                fired.append(self._change("left", loser.person_id, name, now))
        report.persons = len(persons)
        report.seconds["evaluate"] = time.perf_counter() - started

        started = time.perf_counter()
        assert self._live is not None
        if triggers:
            report.triggers = self.queue.append(
                fired, _producer(self._live), as_dict(source.positions)
            )
        generation.commit(
            persons,
            stitched.merged,
            stitched.lookups,
            source.positions,
            {"next_person_id": str(stitched.next_person_id), "applied_at": _stamp(now)},
        )
        report.seconds["commit"] = time.perf_counter() - started

    def _change(self, kind: str, person: int, segment: str, now: dt.datetime) -> Trigger:
        return Trigger(
            "entered" if kind == "entered" else "left",
            person,
            segment,
            now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            f"{kind}|{person}|{segment}|{uuid.uuid4().hex}",
        )

    def _records(
        self, messages: list[Message]
    ) -> tuple[list[Incoming], dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
        """Per message (by index): its record (identifiers by priority), its event if it
        has a timestamp, and its record's profile fields (when it has any)."""
        engine = self.engine
        columns = {c: [m.row.get(c) for m in messages] for c in stored.COLUMNS}
        columns["_n"] = list(range(len(messages)))
        columns["payload"] = [_slim(text) for text in columns["payload"]]
        schema = stored.SCHEMA.append(pa.field("_n", pa.int64()))
        engine.write_arrow(RAW_COLLECTED, pa.table(columns, schema=schema), mode="replace")
        refresh_collected_lookups(engine, self.config)
        numbered = collected_records_sql(self.config).replace("SELECT ", "SELECT _n, ", 1)
        engine.create_table_as(_RECORDS, numbered)
        incoming = [
            Incoming(str(s), str(m), "", [])
            for s, m in zip(columns["source"], columns["message_id"], strict=True)
        ]
        present = set(engine.columns(_RECORDS))
        assert self.evaluator is not None
        wanted = [c for c in self.evaluator.profile_columns if c in present]
        self._profile_fields = wanted
        fields: dict[int, dict[str, Any]] = {}
        if wanted:
            filled = " OR ".join(f"{ident(c)} IS NOT NULL" for c in wanted)
            picked = ", ".join(ident(c) for c in wanted)
            for row in engine.query(
                f"SELECT _n, {picked} FROM {_RECORDS} WHERE {filled}"
            ).to_pylist():
                fields[int(row.pop("_n"))] = row
        kinds = [t for t in self.types if t.name in present]
        if kinds:
            unpivot = " UNION ALL ".join(
                f"SELECT _n, {literal(t.name)} AS id_type, "
                f"CAST({ident(t.name)} AS VARCHAR) AS id_value, {t.rank} AS rank "
                f"FROM {_RECORDS} WHERE {ident(t.name)} IS NOT NULL"
                for t in kinds
            )
            blocked = blocked_reason_sql(self.config.identity.blocked, [t.name for t in kinds])
            for n, kind, value in engine.rows(
                f"SELECT _n, id_type, id_value FROM ({unpivot}) "
                f"WHERE id_value <> '' AND ({blocked}) IS NULL ORDER BY _n, rank"
            ):
                incoming[int(n)].ids.append((str(kind), str(value)))
        numbered = collected_events_sql(self.config).replace("SELECT ", "SELECT _n, ", 1)
        events: dict[int, dict[str, Any]] = {}
        for row in engine.query(
            "SELECT _n, source, record_id, event, CAST(timestamp AS VARCHAR) AS t, properties "
            f"FROM ({numbered}) WHERE timestamp IS NOT NULL"
        ).to_pylist():
            n = int(row["_n"])
            events[n] = {
                "t": row["t"],
                "s": row["source"],
                "m": row["record_id"],
                "e": row["event"],
                "p": row["properties"],
                "n": 1,
            }
            incoming[n].at = row["t"]
        return incoming, events, fields

    def _fill_profiles(
        self,
        fields: dict[int, dict[str, Any]],
        person_of: dict[int, int],
        persons: dict[int, Person],
    ) -> None:
        """A golden field the store leaves empty takes the messages' latest value (a new
        visitor's e-mail from its identify): the batch's survivorship rules decide at
        the next run."""
        assert self.generation is not None
        generation = self.generation
        keys = {c: generation.key(c) for c in self._profile_fields if generation.knows(c)}
        for index in sorted(fields):
            person = persons.get(person_of.get(index, -1))
            if person is None:
                continue
            for column, value in fields[index].items():
                key = keys.get(column)
                if key is not None and value is not None and person.traits.get(key) is None:
                    person.traits[key] = _plain_value(value)


def _slim(text: str | None) -> str | None:
    """A payload as :func:`record_payload` cuts it down (unparsable: left as it is)."""
    if not text:
        return text
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if not isinstance(parsed, dict):
        return text
    return orjson.dumps(record_payload(parsed)).decode()


def _plain_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _producer(generation: Path) -> str:
    return f"stream:{generation.name}"


def _after(a: Positions, b: Positions) -> bool:
    """Is ``a`` past ``b`` for some collector?"""
    return any(pos > b.get(collector, (0, 0)) for collector, pos in a.items())


def _stamp(now: dt.datetime) -> str:
    return now.isoformat(sep=" ")


def _iso(text: str) -> str:
    return text.replace(" ", "T") + "Z"
