"""``personae destinations run|status|retry``: sync declared destinations as diffs, see
their last runs, lag and failures, and replay their dead letters.

Registered on the main app by ``register(app)``; ``personae activate`` is an alias of
``personae destinations run``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from personae.cli import render
from personae.cli.context import console, guard, open_project

if TYPE_CHECKING:
    from personae.activate.sync import SyncReport

destinations_app = typer.Typer(
    help="Sync audiences to destinations as diffs; see their runs, lag and failures."
)

Names = Annotated[list[str] | None, typer.Argument(help="Destinations (default: all of them).")]


def describe(report: SyncReport) -> str:
    """``newsletter: ok; 12 added, 1 updated, 0 removed, 0 failed; 310 members sent…``."""
    if report.status == "failed" and not report.members and not report.run_id:
        return f"{report.destination}: failed: {report.error}"
    line = (
        f"{report.destination}: {report.status}; {report.added:,} added, "
        f"{report.updated:,} updated, {report.removed:,} removed, {report.failed:,} failed"
    )
    if report.replayed:
        line += f" ({render.plural(report.replayed, 'dead letter')} replayed)"
    if report.purpose is not None:
        line += (
            f"; {render.plural(report.members, 'member')} consented to {report.purpose} "
            f"on {report.channel}, {render.plural(report.held_back, 'person')} held back "
            "for lack of consent"
        )
    if report.pseudonymised:
        line += f"; {', '.join(report.pseudonymised)} pseudonymised"
    if report.error:
        line += f"; {report.error}"
    return line


def _print(reports: list[SyncReport]) -> None:
    if not reports:
        console.print("No destination to run.")
    for report in reports:
        console.print(describe(report), highlight=False, soft_wrap=True, markup=False)
    failed = [r.destination for r in reports if r.status == "failed"]
    if failed:
        from personae.errors import PersonaeError

        raise PersonaeError(
            f"{render.plural(len(failed), 'destination')} failed ({', '.join(failed)}); the "
            "others ran. See `personae destinations status`"
        )


@destinations_app.command("run")
def run_cmd(
    names: Names = None,
    due: Annotated[
        bool, typer.Option("--due", help="Only the destinations whose schedule is due.")
    ] = False,
) -> None:
    """Send each destination what changed in its audience since its last sync (segment
    audiences follow what the streaming worker changed since the last run)."""
    from personae.activate.sync import run_destinations
    from personae.activate.sync.runner import Options
    from personae.stream.overlay import live_memberships

    def go() -> None:
        with open_project() as project:
            options = Options(live=live_memberships(project.state_dir))
            reports = run_destinations(
                project.engine, project.config, project.root, names, only_due=due, options=options
            )
        _print(reports)

    guard(go)


@destinations_app.command("retry")
def retry_cmd(names: Names = None) -> None:
    """Replay the dead letters (of the named destinations, or of all that have some)."""
    from personae.activate.sync import retry_destinations

    def go() -> None:
        with open_project() as project:
            reports = retry_destinations(project.engine, project.config, project.root, names)
        if not reports:
            console.print("No dead letters to replay.")
            return
        _print(reports)

    guard(go)


def _ago(delta: dt.timedelta | None) -> str:
    """``45s``, ``12m 5s``, ``3h 20m``, ``2d 4h``; ``never synced``."""
    if delta is None:
        return "never synced"
    seconds = max(0, int(delta.total_seconds()))
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for i, (unit, size) in enumerate(units[:-1]):
        if seconds >= size:
            small, small_size = units[i + 1]
            return f"{seconds // size}{unit} {(seconds % size) // small_size}{small}"
    return f"{seconds}s"


@destinations_app.command("status")
def status_cmd() -> None:
    """Each destination's last run, lag (time since its last successful sync), members
    held, dead letters and failed runs."""
    from personae.activate.sync import statuses

    def go() -> None:
        with open_project() as project:
            found = statuses(project.engine, project.config)
        if not found:
            console.print("No destinations in personae.yml.")
            return
        for s in found:
            last = "never run"
            if s.last_started is not None:
                last = (
                    f"last run {s.last_status} at {s.last_started:%Y-%m-%d %H:%M}: "
                    f"{s.added:,} added, {s.updated:,} updated, {s.removed:,} removed, "
                    f"{s.failed:,} failed"
                )
            console.print(
                f"{s.name} ({s.type}): {last}; lag {_ago(s.lag)}; holds "
                f"{render.plural(s.members, 'member')}; "
                f"{render.plural(s.dead_letters, 'dead letter')}; "
                f"{render.plural(s.failed_runs, 'failed run')}; due: {'yes' if s.due else 'no'}",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )
            if s.error:
                console.print(f"  error: {s.error}", highlight=False, soft_wrap=True, markup=False)

    guard(go)


def register(app: typer.Typer) -> None:
    app.add_typer(destinations_app, name="destinations")
