"""Activation at a glance: each destination's last sync and failures, each journey's
persons per step and status, and message decisions by status. What the activation
dashboard shows; it reads through ``personae destinations status`` and ``personae
journeys status`` (:mod:`personae.activate.sync.status`,
:mod:`personae.activate.journeys.status`), so the CLI and the UI say the same.

Only reads: before any sync or journey ran, destinations and journeys are listed with
no runs and no persons (nothing is created, so a read-only warehouse works too).

    overview = activation_overview(engine, project.config)
    for destination in overview.destinations:
        print(destination.name, destination.last_status, destination.dead_letters)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from personae.activate.journeys.status import journey_status
from personae.activate.sync.status import statuses
from personae.catalog import (
    ACTIVATION_MESSAGES,
    DESTINATION_DEAD_LETTERS,
    DESTINATION_RUNS,
    DESTINATION_STATE,
    JOURNEY_AUDIENCE_MEMBERS,
    JOURNEY_STATE,
)
from personae.config.models import ProjectConfig
from personae.engine import Engine


@dataclass(frozen=True)
class DestinationOverview:
    """A destination's last sync (``last_status``: ``running``, ``ok``, ``partial``,
    ``failed``, ``interrupted``; None: never synced) and what it changed; ``members``
    the destination holds; ``lag_seconds`` since the last successful sync; runs that
    failed; dead letters waiting for ``personae destinations retry``; ``due`` on its
    schedule. Times are ISO 8601, naive UTC."""

    name: str
    type: str
    members: int
    last_run: str | None
    last_status: str | None
    last_started: str | None
    added: int
    updated: int
    removed: int
    failed: int
    error: str | None
    lag_seconds: float | None
    dead_letters: int
    failed_runs: int
    due: bool


@dataclass(frozen=True)
class StepOverview:
    """A step of a journey: persons per status (``active``, ``waiting``, ``done``,
    ``exited``) and message decisions per status taken at it. ``kind`` is the step's
    kind, ``end`` for the journey's end, ``removed`` for a step no longer declared."""

    step: str
    kind: str
    persons: dict[str, int]
    messages: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.persons.values())


@dataclass(frozen=True)
class JourneyOverview:
    """A journey: the persons who entered it, and its steps in order."""

    name: str
    entered: int
    steps: tuple[StepOverview, ...]


@dataclass(frozen=True)
class ActivationOverview:
    """Every declared destination and journey, and the orchestrator's message
    decisions per status (``sent``, ``failed``, ``suppressed``, ``capped``, …) and per
    channel and status."""

    destinations: tuple[DestinationOverview, ...]
    journeys: tuple[JourneyOverview, ...]
    messages: dict[str, int]
    messages_by_channel: dict[str, dict[str, int]]

    @property
    def dead_letters(self) -> int:
        return sum(d.dead_letters for d in self.destinations)


def activation_overview(
    engine: Engine, config: ProjectConfig, now: dt.datetime | None = None
) -> ActivationOverview:
    """The activation dashboard; ``now`` (naive UTC, default the clock) measures lags
    and what is due."""
    return ActivationOverview(
        destinations=destination_overviews(engine, config, now),
        journeys=journey_overviews(engine, config),
        messages=message_counts(engine),
        messages_by_channel=_messages_by_channel(engine),
    )


def destination_overviews(
    engine: Engine, config: ProjectConfig, now: dt.datetime | None = None
) -> tuple[DestinationOverview, ...]:
    """Each declared destination, in declaration order."""
    synced = all(
        engine.table_exists(t)
        for t in (DESTINATION_RUNS, DESTINATION_STATE, DESTINATION_DEAD_LETTERS)
    )
    if not synced:
        return tuple(
            _never_synced(name, d.type, d.schedule is not None)
            for name, d in config.destinations.items()
        )
    return tuple(
        DestinationOverview(
            name=s.name,
            type=s.type,
            members=s.members,
            last_run=s.last_run,
            last_status=s.last_status,
            last_started=s.last_started.isoformat() if s.last_started else None,
            added=s.added,
            updated=s.updated,
            removed=s.removed,
            failed=s.failed,
            error=s.error,
            lag_seconds=s.lag.total_seconds() if s.lag is not None else None,
            dead_letters=s.dead_letters,
            failed_runs=s.failed_runs,
            due=s.due,
        )
        for s in statuses(engine, config, now)
    )


def _never_synced(name: str, type_: str, scheduled: bool) -> DestinationOverview:
    return DestinationOverview(
        name=name,
        type=type_,
        members=0,
        last_run=None,
        last_status=None,
        last_started=None,
        added=0,
        updated=0,
        removed=0,
        failed=0,
        error=None,
        lag_seconds=None,
        dead_letters=0,
        failed_runs=0,
        due=scheduled,  # a scheduled destination never synced is due
    )


def journey_overviews(engine: Engine, config: ProjectConfig) -> tuple[JourneyOverview, ...]:
    """Each declared journey, in declaration order, with its steps in order (then its
    end and steps removed since persons reached them)."""
    ticked = all(
        engine.table_exists(t)
        for t in (JOURNEY_STATE, ACTIVATION_MESSAGES, JOURNEY_AUDIENCE_MEMBERS)
    )
    found: list[JourneyOverview] = []
    for name, journey in config.journeys.items():
        if not ticked:
            steps = tuple(
                StepOverview(step_name, step.kind, {}, {})
                for step_name, step in zip(journey.step_names(), journey.steps, strict=True)
            )
            found.append(JourneyOverview(name, 0, steps))
            continue
        status = journey_status(engine, name, journey)
        found.append(
            JourneyOverview(
                name,
                status.entered,
                tuple(
                    StepOverview(s.step, s.kind, dict(s.persons), dict(s.messages))
                    for s in status.steps
                ),
            )
        )
    return tuple(found)


def message_counts(engine: Engine) -> dict[str, int]:
    """Message decisions per status, most first."""
    if not engine.table_exists(ACTIVATION_MESSAGES):
        return {}
    return {
        str(status): int(n)
        for status, n in engine.rows(
            f"SELECT status, count(*) AS n FROM {ACTIVATION_MESSAGES} "
            "GROUP BY status ORDER BY n DESC, status"
        )
    }


def _messages_by_channel(engine: Engine) -> dict[str, dict[str, int]]:
    if not engine.table_exists(ACTIVATION_MESSAGES):
        return {}
    found: dict[str, dict[str, int]] = {}
    for channel, status, n in engine.rows(
        f"SELECT channel, status, count(*) AS n FROM {ACTIVATION_MESSAGES} "
        "GROUP BY channel, status ORDER BY channel, n DESC, status"
    ):
        found.setdefault(str(channel), {})[str(status)] = int(n)
    return found
