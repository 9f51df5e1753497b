"""Sending what the orchestrator chose, through each channel's :class:`MessageConnector`,
and recording every decision (sent or not) in ``activation_messages``.

A connector is asked for by channel (``connectors(channel)``): the messages side fills the
registry; tests pass in-memory fakes. A :class:`TransientError` leaves the message
``failed`` with a reason saying it is retried: the journey keeps the person at the send
step and the next run sends it again under the same message id. A
:class:`PermanentError` fails it for good.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from personae.activate.connectors.base import (
    Message,
    MessageConnector,
    PermanentError,
    TransientError,
)
from personae.activate.orchestrator.decide import Decision
from personae.activate.orchestrator.rules import Connectors
from personae.activate.orchestrator.tables import MESSAGES_SCHEMA, append_rows
from personae.catalog import ACTIVATION_MESSAGES
from personae.config.models import ProjectConfig
from personae.engine import Engine

#: the reason of a message failed for a reason worth retrying starts with this
RETRIED = "temporary failure, retried at the next run: "


@dataclass
class Delivery:
    """What a batch of decisions came to."""

    decisions: list[Decision] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for d in self.decisions if d.status == status)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for d in self.decisions:
            found[d.status] = found.get(d.status, 0) + 1
        return found


def message_of(config: ProjectConfig, decision: Decision) -> Message:
    c = decision.candidate
    spec = config.orchestration.campaigns[c.campaign]
    extra = {
        k: v
        for k, v in {
            "template": spec.template,
            "journey": c.journey,
            "step": c.step,
            "purpose": spec.purpose,
            "transactional": spec.transactional,
        }.items()
        if v is not None
    }
    return Message(
        message_id=c.message_id,
        campaign=c.campaign,
        person_id=c.person_id,
        channel=c.channel,
        to=decision.address or "",
        subject=spec.subject,
        body=spec.body or "",
        extra=extra,
    )


def deliver(
    engine: Engine,
    config: ProjectConfig,
    decisions: Sequence[Decision],
    connectors: Connectors,
    now: dt.datetime,
) -> Delivery:
    """Send every decision still ``send``, then record all of them."""
    opened: dict[str, MessageConnector] = {}
    try:
        for decision in decisions:
            if decision.status != "send":
                continue
            channel = decision.candidate.channel
            if channel not in opened:
                opened[channel] = connectors(channel)
            try:
                result = opened[channel].send(message_of(config, decision))
            except TransientError as error:
                decision.status, decision.reason = "failed", f"{RETRIED}{error}"
                decision.retry = True
                if error.retry_after is not None:
                    decision.retry_at = now + dt.timedelta(seconds=error.retry_after)
            except PermanentError as error:
                decision.status, decision.reason = "failed", f"refused: {error}"
            else:
                decision.status, decision.provider_id = "sent", result.provider_id
                decision.reason = decision.reason or "sent"
    finally:
        for connector in opened.values():
            connector.close()
        append_rows(engine, ACTIVATION_MESSAGES, MESSAGES_SCHEMA, [d.row(now) for d in decisions])
    return Delivery(list(decisions))
