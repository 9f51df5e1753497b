"""A journey tick: persons enter, exit, wait and move through their steps; every message
goes through the orchestrator.

One tick, at the clock's ``now``, for every journey asked:

1. in-flight persons who are gone (erased, merged away), whose step no longer exists, or
   who pass an ``exit_when`` test leave (``exited``, the reason in their path);
2. new persons enter (:mod:`.entry`) at the first step;
3. persons whose wait is over, whose ``wait_until`` event happened or ran out, or whose
   message was held back for a while (quiet hours, a temporary failure) are due;
4. due persons run their step, in rounds: a send, a branch, an audience change or an exit
   moves them on at once (so one tick can go send → branch → send), a wait parks them.
   Each round's sends, from every journey, are decided together by the orchestrator, so
   priorities and caps hold across journeys.

The tests (branches, waits, exits) and the entries are SQL over the warehouse; the
state machine runs in Python over the due persons only, and their rows replace theirs in
``journey_state``. A path lists the steps a person completed with their outcome, e.g.
``first_email:sent > wait_3d > opened:no > facebook:added > exit:done``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from personae.activate.journeys.entry import entrants_sql
from personae.activate.journeys.probe import describe, passing, passing_sql
from personae.activate.journeys.tables import AUDIENCE_SCHEMA, IN_FLIGHT, STATE_SCHEMA
from personae.activate.orchestrator import (
    Candidate,
    Clock,
    Connectors,
    Orchestrator,
    check_send,
    deliver,
    message_id,
)
from personae.activate.orchestrator.decide import validate_orchestration
from personae.activate.orchestrator.rules import ChannelRule, always_allowed
from personae.activate.orchestrator.send import check_message
from personae.activate.orchestrator.tables import (
    MESSAGES_SCHEMA,
    append_rows,
    arrow,
    dicts,
    ensure_table,
)
from personae.activate.triggers import Trigger, TriggerQueue
from personae.catalog import (
    ACTIVATION_MESSAGES,
    EVENTS,
    JOURNEY_AUDIENCE_MEMBERS,
    JOURNEY_STATE,
    PERSONS,
    SEGMENT_MEMBERSHIP,
)
from personae.config.journeys import EXIT, Journey, Step, Test
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError, NotFoundError, did_you_mean
from personae.protect.suppression import Suppression
from personae.query.asof import timestamp_sql, window_delta
from personae.query.people import LIVE_PERSONS_SQL
from personae.query.tables import require_tables
from personae.sql import literal

#: scratch tables of a tick
_CHANGED = "_journeys_changed"
_PROBE = "_journeys_probe"
_LIVE = "_journeys_live_triggers"
_LIVE_EVENTS = "_journeys_live_events"
#: the journeys' name as a consumer of the trigger queue, and how many they read a tick
CONSUMER = "journeys"
MAX_TRIGGERS = 200_000
#: the most steps one person runs in one tick (a branch looping back stops here)
MAX_ROUNDS = 50

Row = dict[str, Any]


@dataclass
class JourneyReport:
    entered: int = 0
    exited: int = 0
    finished: int = 0
    #: step completions, by step
    moved: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: message decisions by status
    messages: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    audience: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: "status: reason" -> messages not sent for it
    held: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class TickReport:
    now: dt.datetime
    journeys: dict[str, JourneyReport] = field(default_factory=dict)
    #: the stream's triggers this tick read
    triggers: int = 0

    def messages(self) -> dict[str, int]:
        total: dict[str, int] = defaultdict(int)
        for report in self.journeys.values():
            for status, n in report.messages.items():
                total[status] += n
        return dict(total)


def ensure_tables(engine: Engine) -> None:
    ensure_table(engine, JOURNEY_STATE, STATE_SCHEMA)
    ensure_table(engine, ACTIVATION_MESSAGES, MESSAGES_SCHEMA)
    ensure_table(engine, JOURNEY_AUDIENCE_MEMBERS, AUDIENCE_SCHEMA)


def journey_names(config: ProjectConfig, names: Sequence[str] | None) -> list[str]:
    declared = list(config.journeys)
    for name in names or ():
        if name not in config.journeys:
            hint = did_you_mean(name, declared, prefix="") or (
                f"declared: {', '.join(declared) or 'none'}"
            )
            raise NotFoundError(f"no journey {name!r} in personae.yml; {hint}")
    return list(names) if names else declared


def validate_journeys(config: ProjectConfig) -> None:
    """Check what journeys refer to elsewhere in personae.yml: segments, campaigns and
    their channels, destinations, and compile their conditions. Raises ConfigError."""
    validate_orchestration(config)
    _check_fed_destinations(config)
    for name, journey in config.journeys.items():
        base = f"journeys.{name}"
        if journey.entry.segment is not None:
            _check_segment(config, journey.entry.segment, f"{base}.entry.segment")
        #: (test, where it is, relative to the journey)
        tests: list[tuple[Test, str]] = [
            (t, f"exit_when[{i}]") for i, t in enumerate(journey.exit_when)
        ]
        for i, (step, step_name) in enumerate(
            zip(journey.steps, journey.step_names(), strict=True)
        ):
            path = f"{base}.steps[{i}] ({step_name})"
            if step.send is not None:
                channel = check_send(config, step.send.campaign, step.send.channel, f"{path}.send")
                check_message(config, step.send.campaign, channel, f"{path}.send")
            if step.audience is not None:
                target = step.audience.add or step.audience.remove or ""
                if target not in config.destinations:
                    hint = did_you_mean(target, list(config.destinations), prefix="")
                    raise ConfigError(
                        f"no destination {target!r}; {hint or 'declare it under destinations'}",
                        path=f"{path}.audience",
                    )
                fed = config.destinations[target].journeys
                if name not in fed:
                    fix = [*fed, name] if fed else name
                    raise ConfigError(
                        f"puts persons in destination {target!r}, whose sync does not read "
                        f"journey {name!r}'s audience steps; write audience: {{journey: "
                        f"{fix if isinstance(fix, str) else '[' + ', '.join(fix) + ']'}}} "
                        f"under destinations.{target} (a destination sends one audience)",
                        path=f"{path}.audience",
                    )
            if step.branch is not None:
                tests.append((step.branch, f"steps[{i}].branch"))
            if step.wait_until is not None:
                tests.append((step.wait_until, f"steps[{i}].wait_until"))
        for test, where in tests:
            if test.segment is not None:
                _check_segment(config, test.segment, f"{base}.{where}.segment")
            # compiles conditions and event filters: their errors come before any run
            passing_sql(config, name, test, "SELECT 1 AS person_id", dt.datetime(2000, 1, 1), where)


def _check_fed_destinations(config: ProjectConfig) -> None:
    """``audience: {journey: J}`` of a destination names declared journeys."""
    for target, destination in config.destinations.items():
        for journey in destination.journeys:
            if journey not in config.journeys:
                hint = did_you_mean(journey, list(config.journeys), prefix="") or (
                    f"journeys: {', '.join(config.journeys) or 'none'}"
                )
                raise ConfigError(
                    f"no journey {journey!r}; {hint}",
                    path=f"destinations.{target}.audience.journey",
                )


def _check_segment(config: ProjectConfig, segment: str, path: str) -> None:
    if segment not in config.segments:
        hint = did_you_mean(segment, list(config.segments), prefix="") or (
            f"segments: {', '.join(config.segments) or 'none'}"
        )
        raise ConfigError(f"no segment {segment!r}; {hint}", path=path)


def _uses_segments(journey: Journey) -> bool:
    tests = [*journey.exit_when, *(s.branch or s.wait_until for s in journey.steps)]
    return journey.entry.segment is not None or any(
        t is not None and t.segment is not None for t in tests
    )


class Ticker:
    """Runs one tick of several journeys at ``now``."""

    def __init__(
        self,
        engine: Engine,
        config: ProjectConfig,
        now: dt.datetime,
        connectors: Connectors,
        *,
        suppression: Suppression | None = None,
        channel_rule: ChannelRule = always_allowed,
        root: Path | None = None,
        live: str | None = None,
        live_events: str | None = None,
    ) -> None:
        self.engine = engine
        #: the stream's triggers (a table), which let persons in before the next run,
        #: and the events it saw (a table), which waits, branches and exits read too
        self.live = live
        self.live_events = live_events
        self.config = config
        self.now = now
        self.connectors = connectors
        self.root = root
        self.orchestrator = Orchestrator(
            engine, config, suppression=suppression, channel_rule=channel_rule
        )
        self.report = TickReport(now)
        self.events_exist = engine.table_exists(EVENTS)
        self.audience_rows: list[Row] = []
        #: journey -> its step names and their positions (computed once per tick)
        self.names = {name: j.step_names() for name, j in config.journeys.items()}
        self.index = {name: j.step_index() for name, j in config.journeys.items()}

    # ------------------------------------------------------------------ loading

    def _state_sql(self, name: str, where: str) -> str:
        return f"SELECT * FROM {JOURNEY_STATE} WHERE journey = {literal(name)} AND {where}"

    def _load(self, sql: str) -> list[Row]:
        return dicts(self.engine.query(sql))

    def _probe(self, name: str, test: Test, relation: str, path: str) -> set[int]:
        return passing(
            self.engine, self.config, name, test, relation, self.now, path, self.live_events
        )

    def _passing_rows(
        self, name: str, test: Test, state: str, relation: str, path: str
    ) -> list[Row]:
        """The rows of ``state`` whose person passes ``test`` (over ``relation``)."""
        passing = passing_sql(
            self.config,
            name,
            test,
            relation,
            self.now,
            path,
            events_exist=self.events_exist,
            live_events=self.live_events,
        )
        return self._load(f"SELECT s.* FROM ({state}) s WHERE s.person_id IN ({passing})")

    def _due(self, name: str, journey: Journey) -> dict[int, Row]:
        """Every row of the journey that has something to do at this tick."""
        now = timestamp_sql(self.now)
        names = ", ".join(literal(n) for n in journey.step_names())
        flight = ", ".join(literal(s) for s in IN_FLIGHT)
        rows: dict[int, Row] = {}
        report = self.report.journeys[name]
        # gone persons and vanished steps
        gone = self._load(
            self._state_sql(
                name,
                f"status IN ({flight}) AND (step NOT IN ({names}) OR person_id NOT IN "
                f"({LIVE_PERSONS_SQL}))",
            )
        )
        live_steps = set(journey.step_names())
        heirs = self._heirs(name, [r for r in gone if r["step"] in live_steps])
        for row in gone:
            heir = heirs.get(row["person_id"])
            if heir is not None and heir not in rows:
                # merged into a live person who is not in this journey: they carry on
                rows[heir] = {**row, "person_id": heir, "updated_at": self.now}
                why = f"merged into person {heir}"
            elif row["step"] not in live_steps:
                why = f"step {row['step']} no longer exists"
            else:
                why = "person gone"
            self._leave(row, "exited", f"exited:{why}")
            report.exited += 1
            rows[row["person_id"]] = row
        # exit tests
        in_flight = self._state_sql(name, f"status IN ({flight})")
        relation = f"SELECT person_id, entered_at, entered_at AS since_at FROM ({in_flight}) s"
        exited: list[int] = []
        for i, test in enumerate(journey.exit_when):
            for row in self._passing_rows(name, test, in_flight, relation, f"exit_when[{i}]"):
                if row["person_id"] not in rows:
                    self._leave(row, "exited", f"exited:{describe(test)}")
                    report.exited += 1
                    rows[row["person_id"]] = row
                    exited.append(row["person_id"])
        self._withdraw(name, journey, exited)
        # waits over, retries due
        for row in self._load(
            self._state_sql(
                name,
                f"(status = 'active' OR (status = 'waiting' AND next_at <= {now}))",
            )
        ):
            rows.setdefault(row["person_id"], row)
        # wait_until: the event happened
        for i, (step, step_name) in enumerate(
            zip(journey.steps, journey.step_names(), strict=True)
        ):
            if step.wait_until is None:
                continue
            waiting = self._state_sql(name, f"status = 'waiting' AND step = {literal(step_name)}")
            relation = f"SELECT person_id, entered_at, updated_at AS since_at FROM ({waiting}) s"
            happened = self._passing_rows(
                name, step.wait_until, waiting, relation, f"steps[{i}].wait_until"
            )
            for row in happened:
                mine = rows.setdefault(row["person_id"], row)
                if mine["status"] == "waiting" and mine["step"] == step_name:
                    mine["_happened"] = True
        return rows

    def _withdraw(self, name: str, journey: Journey, persons: list[int]) -> None:
        """Persons an ``exit_when`` test took out leave the audiences this journey put them
        in (a removal row for each destination whose latest row from this journey is
        their addition): they no longer qualify. An ``exit`` step or the journey's end
        keeps them there."""
        targets = {s.audience.add for s in journey.steps if s.audience and s.audience.add}
        if not persons or not targets:
            return
        ids = ", ".join(str(int(p)) for p in persons)
        held = self.engine.rows(
            f"""
            SELECT destination, person_id FROM (
                SELECT destination, person_id, removed_at, row_number() OVER (
                    PARTITION BY destination, person_id
                    ORDER BY coalesce(removed_at, added_at) DESC,
                             CASE WHEN removed_at IS NULL THEN 1 ELSE 0 END) AS latest
                FROM {JOURNEY_AUDIENCE_MEMBERS}
                WHERE journey = {literal(name)} AND person_id IN ({ids})
            ) r
            WHERE latest = 1 AND removed_at IS NULL
            ORDER BY destination, person_id"""
        )
        for destination, person in held:
            if destination in targets:
                self.audience_rows.append(
                    {
                        "destination": destination,
                        "person_id": int(person),
                        "journey": name,
                        "added_at": None,
                        "removed_at": self.now,
                    }
                )
                self.report.journeys[name].audience[f"remove {destination}"] += 1

    def _heirs(self, name: str, gone: list[Row]) -> dict[int, int]:
        """Gone person id -> the live person it was merged into, when that person is not
        in journey ``name`` yet (the first one merged into them wins)."""
        if not gone:
            return {}
        ids = ", ".join(str(int(r["person_id"])) for r in gone)
        pairs = self.engine.rows(
            f"SELECT p.person_id, p.merged_into FROM {PERSONS} p "
            f"JOIN {PERSONS} heir ON heir.person_id = p.merged_into "
            f"AND heir.merged_into IS NULL WHERE p.person_id IN ({ids}) "
            f"AND NOT EXISTS (SELECT 1 FROM {JOURNEY_STATE} s WHERE s.journey = "
            f"{literal(name)} AND s.person_id = p.merged_into) ORDER BY p.person_id"
        )
        heirs: dict[int, int] = {}
        taken: set[int] = set()
        for gone_id, heir in pairs:
            if heir not in taken:
                heirs[int(gone_id)] = int(heir)
                taken.add(int(heir))
        return heirs

    def _leave(self, row: Row, status: str, what: str) -> None:
        row["status"] = status
        row["next_at"] = None
        row["path"] = _append(row["path"], what)
        row["updated_at"] = self.now

    # ------------------------------------------------------------------ the machine

    def tick(self, names: Sequence[str]) -> TickReport:
        require_tables(self.engine, [PERSONS])
        if any(_uses_segments(self.config.journeys[name]) for name in names):
            require_tables(self.engine, [SEGMENT_MEMBERSHIP])
        ensure_tables(self.engine)
        changed: dict[tuple[str, int], Row] = {}
        active: list[Row] = []
        for name in names:
            journey = self.config.journeys[name]
            self.report.journeys[name] = JourneyReport()
            due = self._due(name, journey)
            first = journey.step_names()[0]
            sql = entrants_sql(self.config, name, journey, self.now, self.events_exist, self.live)
            entrants = [] if sql is None else [int(r[0]) for r in self.engine.rows(sql)]
            for person in entrants:
                if person in due:
                    continue
                due[person] = {
                    "journey": name,
                    "person_id": person,
                    "step": first,
                    "status": "active",
                    "entered_at": self.now,
                    "next_at": None,
                    "path": "",
                    "updated_at": self.now,
                }
            self.report.journeys[name].entered += len(entrants)
            for person, row in due.items():
                changed[(name, person)] = row
                if row["status"] in IN_FLIGHT:
                    self._wake(journey, row)
                    if row["status"] == "active":
                        active.append(row)
        for _ in range(MAX_ROUNDS):
            if not active:
                break
            active = self._round(active)
        for row in active:  # a loop of instant steps: park them until the next tick
            row["status"], row["next_at"] = "waiting", self.now
        self._save(list(changed.values()))
        return self.report

    def _wake(self, journey: Journey, row: Row) -> None:
        """A due waiting row: move on, or run its step again."""
        if row["status"] != "waiting":
            return
        index = self.index[row["journey"]][row["step"]]
        step = journey.steps[index]
        due = row["next_at"] is None or row["next_at"] <= self.now
        if step.wait_until is not None:
            if row.pop("_happened", False):
                self._move(journey, row, index, step.wait_until.then, "yes")
            elif due:
                self._move(journey, row, index, step.wait_until.else_, "timeout")
        elif not due:
            return
        elif step.wait is not None:
            self._move(journey, row, index, None, "")
        else:  # a send held back for a while: try again
            row["status"], row["next_at"] = "active", None

    def _move(
        self, journey: Journey, row: Row, index: int, target: str | None, outcome: str
    ) -> None:
        """Complete step ``index`` with ``outcome`` and go to ``target`` (default: next)."""
        names = self.names[row["journey"]]
        report = self.report.journeys[row["journey"]]
        report.moved[names[index]] += 1
        row["path"] = _append(row["path"], names[index] + (f":{outcome}" if outcome else ""))
        row["updated_at"] = self.now
        row["next_at"] = None
        if target is None:
            target = names[index + 1] if index + 1 < len(names) else EXIT
        if target == EXIT:
            row["status"], row["step"] = "done", EXIT
            row["path"] = _append(row["path"], "exit:end")
            report.finished += 1
            return
        row["step"], row["status"] = target, "active"

    def _round(self, active: list[Row]) -> list[Row]:
        """Run every active row's step once; returns the rows still active."""
        groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for row in active:
            groups[(row["journey"], row["step"])].append(row)
        sends: list[tuple[Row, Candidate]] = []
        for (name, step_name), rows in groups.items():
            journey = self.config.journeys[name]
            index = self.index[name][step_name]
            self._run_step(name, journey, index, journey.steps[index], rows, sends)
        self._send(sends)
        return [row for rows in groups.values() for row in rows if row["status"] == "active"]

    def _run_step(
        self,
        name: str,
        journey: Journey,
        index: int,
        step: Step,
        rows: list[Row],
        sends: list[tuple[Row, Candidate]],
    ) -> None:
        step_name = self.names[name][index]
        if step.exit is not None:
            for row in rows:
                self.report.journeys[name].moved[step_name] += 1
                row["step"] = EXIT
                self._leave(row, "done", f"{step_name}:{step.exit}")
                self.report.journeys[name].finished += 1
        elif step.wait is not None:
            for row in rows:
                row["status"] = "waiting"
                row["next_at"] = self.now + window_delta(step.wait)
                row["updated_at"] = self.now
        elif step.wait_until is not None:
            for row in rows:
                row["status"] = "waiting"
                row["next_at"] = self.now + window_delta(step.wait_until.within)
                row["updated_at"] = self.now
        elif step.branch is not None:
            holds = self._probe_rows(name, step.branch, rows, f"steps[{index}].branch")
            for row in rows:
                yes = row["person_id"] in holds
                target = step.branch.then if yes else step.branch.else_
                self._move(journey, row, index, target, "yes" if yes else "no")
        elif step.audience is not None:
            add = step.audience.add is not None
            destination = step.audience.add or step.audience.remove or ""
            for row in rows:
                self.audience_rows.append(
                    {
                        "destination": destination,
                        "person_id": row["person_id"],
                        "journey": name,
                        "added_at": self.now if add else None,
                        "removed_at": None if add else self.now,
                    }
                )
                self.report.journeys[name].audience[
                    f"{'add' if add else 'remove'} {destination}"
                ] += 1
                self._move(journey, row, index, None, "added" if add else "removed")
        elif step.send is not None:
            channel = check_send(
                self.config,
                step.send.campaign,
                step.send.channel,
                f"journeys.{name}.steps[{index}].send",
            )
            for row in rows:
                mid = message_id(
                    name,
                    step_name,
                    row["person_id"],
                    row["entered_at"],
                    step.send.campaign,
                    channel,
                )
                sends.append(
                    (
                        row,
                        Candidate(
                            mid, step.send.campaign, row["person_id"], channel, name, step_name
                        ),
                    )
                )

    def _probe_rows(self, name: str, test: Test, rows: list[Row], path: str) -> set[int]:
        table = pa.table(
            {
                "person_id": pa.array([r["person_id"] for r in rows], pa.int64()),
                "entered_at": pa.array([r["entered_at"] for r in rows], pa.timestamp("us")),
            }
        )
        self.engine.write_arrow(_PROBE, table, mode="replace")
        try:
            relation = f"SELECT person_id, entered_at, entered_at AS since_at FROM {_PROBE}"
            return self._probe(name, test, relation, path)
        finally:
            self.engine.drop_table(_PROBE)

    def _send(self, sends: list[tuple[Row, Candidate]]) -> None:
        if not sends:
            return
        decisions = self.orchestrator.decide([c for _, c in sends], self.now)
        deliver(self.engine, self.config, decisions, self.connectors, self.now, self.root)
        for (row, _), decision in zip(sends, decisions, strict=True):
            journey = self.config.journeys[row["journey"]]
            report = self.report.journeys[row["journey"]]
            report.messages[decision.status] += 1
            if decision.status != "sent":
                report.held[f"{decision.status}: {decision.reason}"] += 1
            if decision.retry:
                row["status"], row["next_at"] = "waiting", decision.retry_at or self.now
                row["updated_at"] = self.now
                continue
            index = self.index[row["journey"]][row["step"]]
            self._move(journey, row, index, None, decision.status)

    # ------------------------------------------------------------------ saving

    def _save(self, rows: list[Row]) -> None:
        append_rows(self.engine, JOURNEY_AUDIENCE_MEMBERS, AUDIENCE_SCHEMA, self.audience_rows)
        if not rows:
            return
        for row in rows:
            row.pop("_happened", None)
        table = arrow(rows, STATE_SCHEMA)
        self.engine.write_arrow(_CHANGED, table, mode="replace")
        try:
            columns = ", ".join(STATE_SCHEMA.names)
            self.engine.create_table_as(
                JOURNEY_STATE,
                f"SELECT {columns} FROM {JOURNEY_STATE} s WHERE NOT EXISTS (SELECT 1 FROM "
                f"{_CHANGED} c WHERE c.journey = s.journey AND c.person_id = s.person_id) "
                f"UNION ALL SELECT {columns} FROM {_CHANGED}",
            )
        finally:
            self.engine.drop_table(_CHANGED)


def _append(path: str | None, item: str) -> str:
    return f"{path} > {item}" if path else item


def run_journeys(
    engine: Engine,
    config: ProjectConfig,
    clock: Clock,
    connectors: Connectors,
    names: Sequence[str] | None = None,
    *,
    suppression: Suppression | None = None,
    channel_rule: ChannelRule = always_allowed,
    root: Path | None = None,
    queue: TriggerQueue | None = None,
) -> TickReport:
    """One tick of the named journeys (default: all) at ``clock.now()``; ``root``, the
    project folder, signs the links of templated messages. With ``queue``, the stream's
    triggers not yet seen by the journeys (consumer :data:`CONSUMER`) let persons in too
    (:mod:`.entry`), and are acknowledged once the tick is saved."""
    wanted = journey_names(config, names)
    validate_journeys(config)
    pending = queue.pending(CONSUMER, limit=MAX_TRIGGERS) if queue is not None else []
    live = live_events = None
    if pending:
        engine.write_arrow(_LIVE, _triggers_table(pending), mode="replace")
        live = _LIVE
    seen = queue.events() if queue is not None else []
    if seen:
        engine.write_arrow(_LIVE_EVENTS, _events_table(seen), mode="replace")
        live_events = _LIVE_EVENTS
    ticker = Ticker(
        engine,
        config,
        clock.now(),
        connectors,
        suppression=suppression,
        channel_rule=channel_rule,
        root=root,
        live=live,
        live_events=live_events,
    )
    try:
        report = ticker.tick(wanted)
    finally:
        engine.drop_table(_LIVE)
        engine.drop_table(_LIVE_EVENTS)
    if queue is not None and pending:
        queue.ack(CONSUMER, pending[-1].position)
    report.triggers = len(pending)
    return report


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def _events_table(triggers: list[Trigger]) -> pa.Table:
    """``event`` triggers as the rows of :func:`person_events_sql` (the key is
    ``event|<source>|<record id>``)."""
    keys = [[*t.key.split("|", 2), "", ""] for t in triggers]
    return pa.table(
        {
            "person_id": pa.array([t.person_id for t in triggers], pa.int64()),
            "source": [k[1] for k in keys],
            "record_id": [k[2] for k in keys],
            "event": [t.name for t in triggers],
            "timestamp": pa.array([_at(t.at) for t in triggers], pa.timestamp("us")),
            "properties": [str(t.data.get("properties") or "{}") for t in triggers],
        }
    )


def _triggers_table(triggers: list[Trigger]) -> pa.Table:
    return pa.table(
        {
            "person_id": pa.array([t.person_id for t in triggers], pa.int64()),
            "kind": [t.kind for t in triggers],
            "name": [t.name for t in triggers],
            "at": pa.array([_at(t.at) for t in triggers], pa.timestamp("us")),
        }
    )
