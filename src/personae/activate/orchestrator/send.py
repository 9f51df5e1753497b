"""Sending what the orchestrator chose, through each channel's :class:`MessageConnector`,
and recording every decision (sent or not) in ``activation_messages``.

A connector is asked for by channel (``connectors(channel)``): the messages side fills the
registry; tests pass in-memory fakes. A :class:`TransientError` leaves the message
``failed`` with a reason saying it is retried: the journey keeps the person at the send
step and the next run sends it again under the same message id. A
:class:`PermanentError` fails it for good.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from personae.activate.connectors.base import (
    Message,
    MessageConnector,
    PermanentError,
    TransientError,
)
from personae.activate.orchestrator.decide import Decision
from personae.activate.orchestrator.rules import Connectors
from personae.activate.orchestrator.tables import MESSAGES_SCHEMA, append_rows
from personae.activate.outbox import Decision as Composed
from personae.activate.outbox import compose_messages
from personae.activate.templates import template_of
from personae.catalog import ACTIVATION_MESSAGES
from personae.config.models import ProjectConfig
from personae.engine import Engine
from personae.errors import ConfigError

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


def template_name(config: ProjectConfig, campaign: str) -> str | None:
    """The template campaign ``campaign`` is rendered with: its ``template``, else the
    template named like it, else None (its ``subject`` and ``body`` are sent as written)."""
    spec = config.orchestration.campaigns[campaign]
    if spec.template is not None:
        return spec.template
    return campaign if campaign in config.messages.templates else None


def check_message(config: ProjectConfig, campaign: str, channel: str, path: str) -> None:
    """A send of ``campaign`` on ``channel`` has something to send: a template of that
    channel, or a body. Raises ConfigError."""
    name = template_name(config, campaign)
    spec = config.orchestration.campaigns[campaign]
    if name is None:
        if not spec.body and channel in ("email", "sms"):
            raise ConfigError(
                f"campaign {campaign!r} has nothing to send on {channel}: declare "
                f"messages.templates.{campaign}, or name one (template: <name>), or give "
                "it a body",
                path=f"orchestration.campaigns.{campaign}",
            )
        return
    template = template_of(config.messages, name)
    if template.channel != channel:
        raise ConfigError(
            f"template {name!r} is a {template.channel} message, but campaign {campaign!r} "
            f"is sent on {channel}; use a {channel} template or send it on "
            f"{template.channel}",
            path=path,
        )


def _messages(
    engine: Engine, config: ProjectConfig, root: Path | None, decisions: Sequence[Decision]
) -> dict[str, Message]:
    """message id -> the message of each decision to send; a person the template cannot
    reach (no address, no profile any more) is suppressed with the reason."""
    messages: dict[str, Message] = {}
    templated: list[tuple[Decision, str]] = []
    for decision in decisions:
        name = template_name(config, decision.candidate.campaign)
        if name is None:
            messages[decision.candidate.message_id] = message_of(config, decision)
        else:
            templated.append((decision, name))
    if not templated:
        return messages
    if root is None:
        raise ConfigError(
            "templates link back to the project (unsubscribe, opens, clicks): pass the "
            "project folder to the journeys run",
            path="messages.templates",
        )
    outbox = compose_messages(
        engine,
        config,
        root,
        [
            Composed(d.candidate.message_id, d.candidate.campaign, d.candidate.person_id, name)
            for d, name in templated
        ],
    )
    composed = {m.message_id: m for m in outbox.messages}
    for decision, _ in templated:
        mid = decision.candidate.message_id
        if mid in outbox.unaddressed:
            decision.status, decision.reason = "suppressed", outbox.unaddressed[mid]
            continue
        plain = message_of(config, decision)
        message = composed[mid]
        messages[mid] = dataclasses.replace(message, extra={**plain.extra, **message.extra})
    return messages


def deliver(
    engine: Engine,
    config: ProjectConfig,
    decisions: Sequence[Decision],
    connectors: Connectors,
    now: dt.datetime,
    root: Path | None = None,
) -> Delivery:
    """Send every decision still ``send`` (rendering its template, when it has one, with
    links signed for the project at ``root``), then record all of them."""
    opened: dict[str, MessageConnector] = {}
    try:
        messages = _messages(engine, config, root, [d for d in decisions if d.status == "send"])
        for decision in decisions:
            if decision.status != "send":
                continue
            channel = decision.candidate.channel
            if channel not in opened:
                opened[channel] = connectors(channel)
            try:
                result = opened[channel].send(messages[decision.candidate.message_id])
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
