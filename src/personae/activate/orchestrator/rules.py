"""Channel rules the orchestrator asks before sending (quiet hours, days without
commercial SMS) and the connectors it sends through. Both belong to the channels (the
messages side); the orchestrator only calls them, through two seams:

* a rule is ``(channel, when) -> None`` when the channel may carry a marketing message at
  ``when`` (naive UTC), or the reason it may not (a text, or :class:`Held` with the time
  the channel opens again). :func:`channel_rule_for` uses ``channel_allows`` (and
  ``next_allowed``) of :data:`RULES_MODULE` with the project's ``messages:`` rules when
  that module is installed, and allows every time otherwise;
* :func:`connectors_for` gives each channel's :class:`MessageConnector` from
  ``message_connector(config, root, channel)`` of :data:`CONNECTORS_MODULE`.

They are looked up when called (``importlib``), so the orchestrator never imports the
channels' code and tests pass their own rules and in-memory connectors.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from personae.activate.connectors.base import MessageConnector
from personae.config.models import ProjectConfig
from personae.errors import ConfigError


@dataclass(frozen=True)
class Held:
    """A channel closed now: why, and when it opens again (None: unknown, ask again at
    the next run)."""

    reason: str
    until: dt.datetime | None = None


ChannelRule = Callable[[str, dt.datetime], "str | Held | None"]
#: channel -> the connector sending on it
Connectors = Callable[[str], MessageConnector]

#: the module that may define ``channel_allows(channel, at, rules) -> (ok, why)``
RULES_MODULE = "personae.activate.channel_rules"
#: the module that may define ``message_connector(config, root, channel)``
CONNECTORS_MODULE = "personae.activate.connectors.messages"


def always_allowed(channel: str, when: dt.datetime) -> str | None:
    return None


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and name.startswith(error.name):
            return None
        raise


def _reason(answer: Any, channel: str, when: dt.datetime) -> str | None:
    """None when ``answer`` allows; the reason otherwise. ``answer`` is a bool, None, a
    reason, or ``(ok, why)``."""
    if isinstance(answer, tuple):
        ok, why = answer
        return None if ok else str(why)
    if answer is True or answer is None:
        return None
    if answer is False:
        return f"{channel} may not carry marketing messages at {when:%Y-%m-%d %H:%M} UTC"
    return str(answer)


def channel_rule_for(config: ProjectConfig) -> ChannelRule:
    """The channels' rules for this project, or :func:`always_allowed` without them."""
    module = _module(RULES_MODULE)
    hook = None if module is None else getattr(module, "channel_allows", None)
    if hook is None:
        return always_allowed
    rules_class = getattr(module, "ChannelRules", None)
    messages = getattr(config, "messages", None)
    rules = (
        rules_class.from_config(messages)
        if rules_class is not None and messages is not None
        else None
    )

    opens = None if module is None else getattr(module, "next_allowed", None)

    def rule(channel: str, when: dt.datetime) -> str | Held | None:
        answer = hook(channel, when, rules) if rules is not None else hook(channel, when)
        reason = _reason(answer, channel, when)
        if reason is None or opens is None:
            return reason
        until = opens(channel, when, rules) if rules is not None else opens(channel, when)
        return Held(reason, until if isinstance(until, dt.datetime) else None)

    return rule


def connectors_for(config: ProjectConfig, root: Path) -> Connectors:
    """Each channel's connector, from the messages registry."""
    module = _module(CONNECTORS_MODULE)
    factory = None if module is None else getattr(module, "message_connector", None)

    def connectors(channel: str) -> MessageConnector:
        if factory is None:
            raise ConfigError(
                f"no message connector is installed to send {channel!r} messages "
                f"({CONNECTORS_MODULE}.message_connector is missing); install a personae "
                "with message channels, or remove the journeys' send steps",
                path="orchestration",
            )
        connector: MessageConnector = factory(config, root, channel)
        return connector

    return connectors
