"""The demo activates: its destinations and journeys run once against local receivers.

After the pipeline, :func:`activate_demo` starts an SMTP server and the webhook
receivers on 127.0.0.1 (:mod:`personae.demo.receivers`), then

1. syncs every destination (a first, full sync);
2. runs the journeys now and on each of the next three days, simulated (one tick a day at
   this time of day): the VIP journey's welcome e-mail, its wait of three days and its
   branch (nobody reads the demo's e-mails, so the branch sends everyone on to the
   Facebook audience);
3. syncs every destination again: only what changed is sent (the Facebook audience the
   journey filled; the others send nothing new);

and returns what was sent and what was not, with the orchestrator's reasons, read back
from the tables every run writes (``destination_runs``, ``activation_messages``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from personae.activate.journeys import TickReport, run_journeys
from personae.activate.orchestrator import (
    FixedClock,
    SystemClock,
    channel_rule_for,
    connectors_for,
)
from personae.activate.sync import SyncReport
from personae.activate.sync.status import run_destinations
from personae.catalog import ACTIVATION_MESSAGES, JOURNEY_STATE
from personae.config.destinations import WebhookDestination
from personae.demo.receivers import RECEIVED, receivers
from personae.engine import Engine
from personae.project import Project
from personae.protect.suppression import Suppression

#: journey ticks: now, then a day later, and so on
TICKS = 4


@dataclass
class CampaignOutcome:
    campaign: str
    #: status -> messages (sent, control, suppressed, outranked, capped, deduped…)
    statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class HeldReason:
    status: str
    messages: int
    #: the most frequent reason of this status
    reason: str


@dataclass
class DemoActivation:
    #: the first (full) sync and the second (diff) sync of every destination
    first_sync: list[SyncReport]
    second_sync: list[SyncReport]
    ticks: list[TickReport]
    campaigns: list[CampaignOutcome]
    held: list[HeldReason]
    #: journey -> (path, persons), the most frequent first
    paths: dict[str, list[tuple[str, int]]]
    #: where the receivers wrote, relative to the project
    received: Path
    emails_received: int = 0
    #: destination -> change type -> changes its receiver got
    webhook_changes: dict[str, dict[str, int]] = field(default_factory=dict)


def tick_times(start: dt.datetime) -> list[dt.datetime]:
    """The journeys' ticks: ``start`` (naive UTC, the clock's convention), then one a day.
    Segment members enter a journey once the run that found them is past, so the
    ticks start at the time of the activation, not at the data's reference date."""
    return [start + dt.timedelta(days=day) for day in range(TICKS)]


def activate_demo(project: Project) -> DemoActivation:
    """Sync the destinations, run the journeys over simulated days, sync again."""
    config, engine, root = project.config, project.engine, project.root
    smtp = None
    if config.journeys and config.messages.email is not None:
        server = config.messages.email.smtp
        smtp = (server.host, server.effective_port)
    hooks = {
        name: destination.url
        for name, destination in config.destinations.items()
        if isinstance(destination, WebhookDestination)
    }
    folder = root / RECEIVED
    with receivers(folder, smtp, hooks) as found:
        first = run_destinations(engine, config, root)
        ticks = [
            run_journeys(
                engine,
                config,
                FixedClock(at),
                connectors_for(config, root),
                suppression=Suppression.load(project.state_dir),
                channel_rule=channel_rule_for(config),
                root=root,
            )
            for at in tick_times(SystemClock().now())
        ]
        second = run_destinations(engine, config, root)
    return DemoActivation(
        first_sync=first,
        second_sync=second,
        ticks=ticks,
        campaigns=_campaigns(engine),
        held=_held(engine),
        paths=_paths(engine),
        received=Path(RECEIVED),
        emails_received=found.mail.received if found.mail else 0,
        webhook_changes={name: dict(inbox.changes) for name, inbox in found.webhooks.items()},
    )


def _campaigns(engine: Engine) -> list[CampaignOutcome]:
    if not engine.table_exists(ACTIVATION_MESSAGES):
        return []
    outcomes: dict[str, CampaignOutcome] = {}
    for campaign, status, n in engine.rows(
        f"SELECT campaign, status, count(*) FROM {ACTIVATION_MESSAGES} GROUP BY 1, 2 ORDER BY 1, 2"
    ):
        outcomes.setdefault(campaign, CampaignOutcome(campaign)).statuses[status] = int(n)
    return list(outcomes.values())


def _held(engine: Engine) -> list[HeldReason]:
    """Each status other than ``sent``, with its count and its most frequent reason."""
    if not engine.table_exists(ACTIVATION_MESSAGES):
        return []
    rows = engine.rows(
        f"SELECT status, sum(n), arg_max(reason, n) FROM (SELECT status, reason, count(*) AS n "
        f"FROM {ACTIVATION_MESSAGES} WHERE status <> 'sent' GROUP BY 1, 2) GROUP BY 1 "
        "ORDER BY 2 DESC, 1"
    )
    return [HeldReason(status, int(n), reason) for status, n, reason in rows]


def _paths(engine: Engine) -> dict[str, list[tuple[str, int]]]:
    if not engine.table_exists(JOURNEY_STATE):
        return {}
    paths: dict[str, list[tuple[str, int]]] = {}
    for journey, path, n in engine.rows(
        f"SELECT journey, path, count(*) FROM {JOURNEY_STATE} GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"
    ):
        paths.setdefault(journey, []).append((path, int(n)))
    return paths
