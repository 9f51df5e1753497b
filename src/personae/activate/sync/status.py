"""Running several destinations (one failing never stalls the others), what is due on
its schedule, replaying dead letters, and the status of each destination."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from personae.activate.sync import state
from personae.activate.sync.runner import (
    Options,
    SyncReport,
    destination_of,
    run_destination,
    utcnow,
)
from personae.catalog import DESTINATION_DEAD_LETTERS, DESTINATION_RUNS, DESTINATION_STATE
from personae.config.destinations import Schedule
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import PersonaeError

#: run statuses after which the destination holds what was acknowledged
SUCCESS = ("ok", "partial")


def _last_success(engine: Engine, name: str) -> dt.datetime | None:
    value = engine.scalar(
        f"SELECT max(started_at) FROM {DESTINATION_RUNS} WHERE destination = ? "
        f"AND status IN ('ok', 'partial')",
        [name],
    )
    return value if isinstance(value, dt.datetime) else None


def due(engine: Engine, config: ProjectConfig, name: str, now: dt.datetime) -> bool:
    """Is destination ``name`` due at ``now``? ``on_change``: always (a run with nothing
    changed sends nothing); ``every: 1h``: an hour after its last successful run began;
    no schedule: never (it runs when named)."""
    schedule = destination_of(config, name).schedule
    if schedule is None:
        return False
    if not isinstance(schedule, Schedule):
        return True
    state.ensure_tables(engine)
    last = _last_success(engine, name)
    return last is None or last + schedule.interval <= now


def run_destinations(
    engine: Engine,
    config: ProjectConfig,
    root: Path,
    names: list[str] | None = None,
    *,
    only_due: bool = False,
    options: Options | None = None,
) -> list[SyncReport]:
    """Sync the named destinations (default: all; with ``only_due``, those due), in
    declaration order. A destination that fails is reported and the next one runs."""
    options = options or Options()
    wanted = names if names else list(config.destinations)
    for name in wanted:
        destination_of(config, name)
    if only_due:
        now = options.now or utcnow()
        wanted = [name for name in wanted if due(engine, config, name, now)]
    reports: list[SyncReport] = []
    for name in wanted:
        try:
            reports.append(run_destination(engine, config, root, name, options))
        except Exception as exc:  # one failing destination never stalls the others
            last = (
                engine.rows(
                    f"SELECT run_id FROM {DESTINATION_RUNS} WHERE destination = ? "
                    "ORDER BY started_at DESC LIMIT 1",
                    [name],
                )
                if engine.table_exists(DESTINATION_RUNS)
                else []
            )
            run_id = str(last[0][0]) if last else ""
            reports.append(SyncReport(name, run_id, status="failed", error=_why(exc)))
    return reports


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, PersonaeError) else f"{type(exc).__name__}: {exc}"


def retry_destinations(
    engine: Engine,
    config: ProjectConfig,
    root: Path,
    names: list[str] | None = None,
    options: Options | None = None,
) -> list[SyncReport]:
    """Replay the dead letters of the named destinations (default: those that have
    some): they go back into the diff, which is recomputed from the current audience
    (so consent is checked again, and a member who left is not sent), and the
    destination runs."""
    state.ensure_tables(engine)
    if not names:
        names = [
            str(row[0])
            for row in engine.rows(
                f"SELECT DISTINCT destination FROM {DESTINATION_DEAD_LETTERS} ORDER BY 1"
            )
            if str(row[0]) in config.destinations
        ]
    if not names:
        return []
    for name in names:
        destination_of(config, name)
    replayed = {name: state.clear_dead_letters(engine, name) for name in names}
    reports = run_destinations(engine, config, root, names, options=options)
    for report in reports:
        report.replayed = replayed.get(report.destination, 0)
    return reports


@dataclass
class DestinationStatus:
    name: str
    type: str
    #: members the destination holds (acknowledged)
    members: int
    last_run: str | None
    last_status: str | None
    last_started: dt.datetime | None
    added: int
    updated: int
    removed: int
    failed: int
    error: str | None
    #: time since the last successful sync (None: never synced)
    lag: dt.timedelta | None
    dead_letters: int
    #: runs of the last ``window`` that failed
    failed_runs: int
    due: bool


def statuses(
    engine: Engine, config: ProjectConfig, now: dt.datetime | None = None
) -> list[DestinationStatus]:
    """Each declared destination's last run, lag and failures."""
    now = now or utcnow()
    state.ensure_tables(engine)
    found: list[DestinationStatus] = []
    for name, destination in config.destinations.items():
        last = engine.rows(
            f"SELECT run_id, status, started_at, added, updated, removed, failed, error "
            f"FROM {DESTINATION_RUNS} WHERE destination = ? ORDER BY started_at DESC, "
            "finished_at DESC NULLS FIRST LIMIT 1",
            [name],
        )
        success = engine.scalar(
            f"SELECT max(finished_at) FROM {DESTINATION_RUNS} WHERE destination = ? "
            "AND status IN ('ok', 'partial')",
            [name],
        )
        run = last[0] if last else (None,) * 8
        found.append(
            DestinationStatus(
                name=name,
                type=destination.type,
                members=_count(engine, DESTINATION_STATE, name),
                last_run=run[0],
                last_status=run[1],
                last_started=run[2],
                added=int(run[3] or 0),
                updated=int(run[4] or 0),
                removed=int(run[5] or 0),
                failed=int(run[6] or 0),
                error=run[7],
                lag=now - success if isinstance(success, dt.datetime) else None,
                dead_letters=_count(engine, DESTINATION_DEAD_LETTERS, name),
                failed_runs=int(
                    engine.scalar(
                        f"SELECT count(*) FROM {DESTINATION_RUNS} WHERE destination = ? "
                        "AND status IN ('failed', 'interrupted')",
                        [name],
                    )
                    or 0
                ),
                due=due(engine, config, name, now),
            )
        )
    return found


def _count(engine: Engine, table: str, name: str) -> int:
    return int(engine.scalar(f"SELECT count(*) FROM {table} WHERE destination = ?", [name]) or 0)
