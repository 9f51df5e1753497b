"""The demo's activation, told: what each destination was sent on its first sync and on
the next one, the messages of each campaign by decision, why messages were not sent, the
journeys' paths, and where the local receivers wrote what they got."""

from __future__ import annotations

from rich.console import Console

from personae.activate.sync import SyncReport
from personae.cli.render import plural, titled_table
from personae.demo.activation import DemoActivation

#: a webhook change's type, as the summary says it
CHANGE_NAMES = {"add": "added", "update": "updated", "remove": "removed"}
#: the most frequent paths shown per journey
PATHS_SHOWN = 4
#: the message decisions, in the order they are shown
STATUSES = ("sent", "control", "suppressed", "outranked", "capped", "conflict", "deduped")


def tell_activation(console: Console, activation: DemoActivation) -> None:
    console.rule("[bold]Activation")
    _destinations(console, activation)
    _campaigns(console, activation)
    _held(console, activation)
    _journeys(console, activation)
    _received(console, activation)


def _changes(report: SyncReport) -> str:
    if report.status == "failed":
        return f"failed: {report.error}"
    return f"+{report.added:,} ~{report.updated:,} -{report.removed:,}" + (
        f" ({report.failed:,} failed)" if report.failed else ""
    )


def _destinations(console: Console, activation: DemoActivation) -> None:
    table = titled_table(
        "Destinations (synced as diffs: +added ~updated -removed)",
        "destination",
        "members",
        "no consent",
        "first sync",
        "after the journeys",
    )
    second = {r.destination: r for r in activation.second_sync}
    for first in activation.first_sync:
        again = second.get(first.destination)
        last = again or first
        table.add_row(
            first.destination,
            f"{last.members:,}",
            f"{last.held_back:,}",
            _changes(first),
            _changes(again) if again else "",
        )
    console.print(table)


def _campaigns(console: Console, activation: DemoActivation) -> None:
    if not activation.campaigns:
        return
    seen = {s for c in activation.campaigns for s in c.statuses}
    columns = [s for s in STATUSES if s in seen] + sorted(seen - set(STATUSES))
    table = titled_table("Messages by campaign and decision", "campaign", *columns)
    for outcome in activation.campaigns:
        table.add_row(outcome.campaign, *(f"{outcome.statuses.get(s, 0):,}" for s in columns))
    console.print(table)


def _held(console: Console, activation: DemoActivation) -> None:
    if not activation.held:
        return
    table = titled_table("Not sent, and why (the most frequent reason)", "decision", "messages")
    table.add_column("reason", justify="left")
    for held in activation.held:
        table.add_row(held.status, f"{held.messages:,}", held.reason)
    console.print(table)


def _journeys(console: Console, activation: DemoActivation) -> None:
    ticks = activation.ticks
    if not ticks:
        return
    table = titled_table(
        f"Journeys: {plural(len(ticks), 'tick')}, one a day from "
        f"{ticks[0].now:%Y-%m-%d %H:%M} UTC (simulated days)",
        "journey",
        "persons",
    )
    table.add_column("path", justify="left")
    for journey, paths in activation.paths.items():
        for path, n in paths[:PATHS_SHOWN]:
            table.add_row(journey, f"{n:,}", path)
    console.print(table)


def _received(console: Console, activation: DemoActivation) -> None:
    folder = activation.received
    parts = []
    if activation.emails_received:
        parts.append(f"{plural(activation.emails_received, 'e-mail')} in {folder / 'mail.mbox'}")
    for name, changes in activation.webhook_changes.items():
        counted = ", ".join(
            f"{n:,} {CHANGE_NAMES.get(kind, kind)}" for kind, n in sorted(changes.items())
        )
        parts.append(f"{counted or 'nothing'} in {folder / (name + '.jsonl')}")
    if parts:
        console.print("Local receivers got " + "; ".join(parts) + ".", highlight=False)
