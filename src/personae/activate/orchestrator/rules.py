"""Channel rules the orchestrator asks before sending: quiet hours, days without
commercial SMS. They belong to the channels (the messages side); the orchestrator only
calls them.

A rule is ``(channel, when) -> None`` when the channel may carry a marketing message at
``when`` (naive UTC), or the reason it may not ("SMS: no commercial SMS on Sundays in
France"). :func:`default_channel_rule` uses ``channel_allows`` of
``personae.activate.connectors.messages`` when that module defines it, so the channel
rules apply without the orchestrator importing the channels' code; otherwise every time
is allowed.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

ChannelRule = Callable[[str, dt.datetime], str | None]

#: the module (the messages connectors') that may define ``channel_allows``
RULES_MODULE = "personae.activate.connectors.messages"


def always_allowed(channel: str, when: dt.datetime) -> str | None:
    return None


def default_channel_rule() -> ChannelRule:
    """``channel_allows(channel, when)`` of the messages module when present: it returns
    True/None when allowed, False or a reason (text) when not."""
    try:
        module = importlib.import_module(RULES_MODULE)
    except ImportError:
        return always_allowed
    hook = getattr(module, "channel_allows", None)
    if hook is None:
        return always_allowed

    def rule(channel: str, when: dt.datetime) -> str | None:
        answer = hook(channel, when)
        if answer is True or answer is None:
            return None
        if answer is False:
            return f"{channel} may not carry marketing messages at {when:%Y-%m-%d %H:%M} UTC"
        return str(answer)

    return rule
