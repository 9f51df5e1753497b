"""The orchestrator: one place that decides every message across journeys and campaigns
(suppression, dedupe, quiet hours, contradictory offers, caps, control groups,
priorities), sends through the channels' connectors, and records every decision."""

from personae.activate.orchestrator.clock import Clock, FixedClock, SystemClock
from personae.activate.orchestrator.decide import (
    Candidate,
    Decision,
    Orchestrator,
    check_send,
    in_control_group,
    message_id,
)
from personae.activate.orchestrator.rules import (
    ChannelRule,
    Connectors,
    Held,
    channel_rule_for,
    connectors_for,
)
from personae.activate.orchestrator.send import Delivery, deliver
from personae.activate.orchestrator.why import decisions_about

__all__ = [
    "Candidate",
    "ChannelRule",
    "Clock",
    "Connectors",
    "Decision",
    "Delivery",
    "FixedClock",
    "Held",
    "Orchestrator",
    "SystemClock",
    "channel_rule_for",
    "check_send",
    "connectors_for",
    "decisions_about",
    "deliver",
    "in_control_group",
    "message_id",
]
