"""``personae journeys``: run a tick of the journeys, show a journey's counts per step,
and show why a person got (or did not get) each message.

Registered on the main app by ``register(app)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.markup import escape

from personae.cli import render
from personae.cli.context import console, guard, open_project

journeys_app = typer.Typer(
    help="Journeys and the orchestrator: run a tick, counts per step, and why a person "
    "got (or did not get) a message."
)


def register(app: typer.Typer) -> None:
    """Add ``personae journeys run|status|why`` to ``app``."""
    app.add_typer(journeys_app, name="journeys")


def _at(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(
            f"--at {text!r} is not a date and time; write 2024-06-10T09:00 (UTC)"
        ) from error
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


@journeys_app.command("run")
def run_cmd(
    name: Annotated[str | None, typer.Argument(help="One journey (default: all).")] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Run as of this UTC time instead of now (a replay)."),
    ] = None,
) -> None:
    """Run one tick: persons enter, wait, move on and exit; messages go through the
    orchestrator. The streaming worker's triggers let persons in before the next run
    (journeys entered once, reentry: never)."""
    from personae.activate.journeys import run_journeys
    from personae.activate.orchestrator import (
        FixedClock,
        SystemClock,
        channel_rule_for,
        connectors_for,
    )
    from personae.protect.suppression import Suppression

    when = _at(at)

    def go() -> None:
        from personae.activate.triggers import TriggerQueue, queue_path

        with open_project() as project:
            clock = FixedClock(when) if when is not None else SystemClock()
            streamed = queue_path(project.state_dir).exists() and when is None
            queue = TriggerQueue(project.state_dir) if streamed else None
            try:
                report = run_journeys(
                    project.engine,
                    project.config,
                    clock,
                    connectors_for(project.config, project.root),
                    [name] if name else None,
                    suppression=Suppression.load(project.state_dir),
                    channel_rule=channel_rule_for(project.config),
                    root=project.root,
                    queue=queue,
                )
            finally:
                if queue is not None:
                    queue.close()
        if not report.journeys:
            console.print("No journeys declared in personae.yml (journeys:).")
        for journey, one in report.journeys.items():
            messages = ", ".join(f"{n} {status}" for status, n in sorted(one.messages.items()))
            console.print(
                f"{escape(journey)}: {render.plural(one.entered, 'person')} entered, "
                f"{one.finished} finished, {one.exited} exited; "
                f"messages: {messages or 'none'}",
                highlight=False,
            )
            for change, n in sorted(one.audience.items()):
                console.print(f"  audience {escape(change)}: {n}", highlight=False)
            for why, n in sorted(one.held.items(), key=lambda item: -item[1])[:10]:
                console.print(f"  {n} {escape(why)}", highlight=False)

    guard(go)


@journeys_app.command("status")
def status_cmd(name: Annotated[str, typer.Argument(help="The journey.")]) -> None:
    """Persons per step (active, waiting, done, exited) and message decisions per step."""
    from personae.activate.journeys import journey_status
    from personae.activate.journeys.run import journey_names

    def go() -> None:
        with open_project() as project:
            journey_names(project.config, [name])
            status = journey_status(project.engine, name, project.config.journeys[name])
        table = render.titled_table(
            f"Journey {name}: {render.plural(status.entered, 'person')}",
            "step",
            "kind",
            "active",
            "waiting",
            "done",
            "exited",
            "messages",
        )
        for step in status.steps:
            messages = ", ".join(f"{n} {s}" for s, n in sorted(step.messages.items()))
            table.add_row(
                step.step,
                step.kind,
                *(str(step.persons.get(s, 0)) for s in ("active", "waiting", "done", "exited")),
                messages,
            )
        console.print(table)

    guard(go)


@journeys_app.command("why")
def why_cmd(
    person: Annotated[int, typer.Argument(help="The person id.")],
    limit: Annotated[int, typer.Option("--limit", help="The most decisions shown.")] = 50,
) -> None:
    """A person's journeys (step, path) and every message decision about them, with its
    reason."""
    from personae.activate.journeys import journeys_of
    from personae.activate.orchestrator import decisions_about

    def go() -> None:
        with open_project() as project:
            journeys = journeys_of(project.engine, person)
            decisions = decisions_about(project.engine, person, limit)
        if not journeys and not decisions:
            console.print(f"Person {person} is in no journey and no message was decided.")
            return
        for row in journeys:
            console.print(
                f"{escape(row['journey'])}: {row['status']} at {escape(row['step'])}, "
                f"entered {row['entered_at']:%Y-%m-%d %H:%M}; path: {escape(row['path'] or '-')}",
                highlight=False,
            )
        table = render.titled_table(
            f"Messages decided for person {person}",
            "decided at",
            "campaign",
            "channel",
            "journey",
            "status",
            "reason",
        )
        for d in decisions:
            table.add_row(
                f"{d['decided_at']:%Y-%m-%d %H:%M}",
                escape(d["campaign"]),
                d["channel"],
                escape(d["journey"] or ""),
                d["status"],
                escape(d["reason"] or ""),
            )
        console.print(table)

    guard(go)
