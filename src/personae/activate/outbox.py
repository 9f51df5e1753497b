"""From the orchestrator's decisions to the messages a connector sends.

The orchestrator decides who gets which template (``activation_messages``: campaign,
message id, person, channel); :func:`compose_messages` reads those persons' profiles and
traits from the warehouse and composes each message with its signed links. A person
without an address on the channel (no e-mail, no mobile phone) gets no message: they are
returned apart, with the reason, for the orchestrator to record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personae.activate.connectors.base import Message
from personae.activate.export import profile_view
from personae.activate.links import MessageLinks
from personae.activate.templates import compose, template_of
from personae.config.models import ProjectConfig
from personae.engine import Engine

#: the profile field holding a person's address on each channel
ADDRESS_FIELDS = {"email": "email", "sms": "phone"}


@dataclass(frozen=True)
class Decision:
    """One message the orchestrator decided to send."""

    message_id: str
    campaign: str
    person_id: int
    template: str


@dataclass
class Outbox:
    messages: list[Message] = field(default_factory=list)
    #: message_id -> why no message could be composed (no address on the channel)
    unaddressed: dict[str, str] = field(default_factory=dict)


def _profiles(engine: Engine, person_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not person_ids:
        return {}
    ids = ", ".join(str(int(p)) for p in sorted(set(person_ids)))
    rows = engine.query(
        f"SELECT * FROM ({profile_view(engine)}) v WHERE person_id IN ({ids})"
    ).to_pylist()
    return {int(row["person_id"]): row for row in rows}


def compose_messages(
    engine: Engine, config: ProjectConfig, root: Path, decisions: Sequence[Decision]
) -> Outbox:
    """The messages of ``decisions``, in their order."""
    profiles = _profiles(engine, [d.person_id for d in decisions])
    outbox = Outbox()
    base: MessageLinks | None = None  # the secret is read once
    for decision in decisions:
        template = template_of(config.messages, decision.template)
        address_field = ADDRESS_FIELDS.get(template.channel, template.channel)
        profile = profiles.get(decision.person_id)
        address = None if profile is None else profile.get(address_field)
        if profile is None or not address:
            outbox.unaddressed[decision.message_id] = (
                f"person {decision.person_id} has no {address_field} for {template.channel}"
                if profile is not None
                else f"person {decision.person_id} has no profile (erased or merged)"
            )
            continue
        values = {k: v for k, v in profile.items() if "__" not in k}
        if base is None:
            base = MessageLinks.of_project(config, root, campaign="", message_id="", email="")
        links = dataclasses.replace(
            base,
            campaign=decision.campaign,
            message_id=decision.message_id,
            email=str(profile.get("email") or ""),
            user_id=profile.get("user_id") or None,
        )
        outbox.messages.append(
            compose(
                config.messages,
                decision.template,
                values,
                links,
                person_id=decision.person_id,
                to=str(address),
            )
        )
    return outbox
