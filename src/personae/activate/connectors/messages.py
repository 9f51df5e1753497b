"""The registry of message connectors: channel -> the factory of its connector.

The orchestrator asks :func:`message_connector` for the connector of a channel and calls
it for each message it decided to send. Adding a channel (an SMS provider) is one line in
:data:`MESSAGE_CONNECTORS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from personae.activate.connectors.base import MessageConnector
from personae.activate.connectors.smtp import SmtpConnector
from personae.activate.connectors.twilio import TwilioConnector
from personae.collect.unsubscribe import UNSUBSCRIBE_EVENT
from personae.config.models import ProjectConfig
from personae.errors import ConfigError

MessageConnectorFactory = Callable[[ProjectConfig, Path], MessageConnector]


def smtp_connector(config: ProjectConfig, root: Path) -> MessageConnector:
    email = config.messages.email
    if email is None:
        raise ConfigError(
            "has no email section; add messages.email with the sender (from:) and the "
            "SMTP server (smtp: {host: …, port: …})",
            path="messages",
        )
    unsubscribes = config.consent.unsubscribe.events
    if UNSUBSCRIBE_EVENT not in unsubscribes:
        raise ConfigError(
            f"does not list {UNSUBSCRIBE_EVENT!r}, the event personae serve records when a "
            "recipient unsubscribes, so their consent would never be withdrawn; add it "
            f"(events: [{', '.join([UNSUBSCRIBE_EVENT, *unsubscribes])}])",
            path="consent.unsubscribe.events",
        )
    return SmtpConnector(email)


def sms_connector(config: ProjectConfig, root: Path) -> MessageConnector:
    provider = config.messages.sms.provider
    if provider is None:
        raise ConfigError(
            "has no provider; add the SMS provider, e.g. provider: {type: twilio, from: "
            "'+33612345678'} with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the environment",
            path="messages.sms",
        )
    return TwilioConnector.from_config(provider, path="messages.sms.provider")


MESSAGE_CONNECTORS: dict[str, MessageConnectorFactory] = {
    "email": smtp_connector,
    "sms": sms_connector,
}


def message_connector(config: ProjectConfig, root: Path, channel: str) -> MessageConnector:
    """The connector sending ``channel``'s messages."""
    factory = MESSAGE_CONNECTORS.get(channel)
    if factory is None:
        raise ConfigError(
            f"no connector sends {channel!r} messages; channels with one: "
            f"{', '.join(MESSAGE_CONNECTORS)}",
            path="messages.templates",
        )
    return factory(config, root)
