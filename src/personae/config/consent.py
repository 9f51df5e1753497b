"""``consent:``: the purposes personae processes personal data for, the channels each
purpose reaches people on, and how collected consent signals map to purposes.

A purpose is bound to one or more channels (``email_marketing`` reaches people by
``email``); consent is held per (purpose, channel). A purpose's ``basis`` says what holds
for a person with no consent record at all: ``consent`` (opt-in, the default: nobody is
reached until they grant it) or ``legitimate_interest`` (everybody is, until they object,
GDPR article 21). Either way a withdrawal always wins.

Segment's consent spec (``context.consent.categoryPreferences``: category id -> true or
false, on any collected event, and the ``Segment Consent Preference Updated`` event) is
read through ``categories``: category id -> the purposes it stands for. An unsubscribe
event (from an e-mail tool's webhook or an events source) withdraws ``unsubscribe.purpose``
on ``unsubscribe.channel``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from personae.config.base import Strict

#: what a purpose, channel or category id may be named (they become column names)
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_CHANNELS: tuple[str, ...] = ("email", "sms", "web", "ads", "push", "post", "phone")
#: the event name Segment's consent spec uses to record a change of preferences
PREFERENCE_UPDATED = "Segment Consent Preference Updated"

Basis = Literal["consent", "legitimate_interest"]


class Purpose(Strict):
    """One purpose of processing and the channels it reaches people on."""

    channels: tuple[str, ...]
    #: what holds for a person without any consent record for it
    basis: Basis = "consent"
    description: str | None = None

    @field_validator("channels", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def _default_purposes() -> dict[str, Purpose]:
    return {
        "analytics": Purpose(channels=("web",)),
        "email_marketing": Purpose(channels=("email",)),
        "sms_marketing": Purpose(channels=("sms",)),
        "advertising": Purpose(channels=("ads",)),
        "personalisation": Purpose(channels=("web", "email")),
    }


def _default_categories() -> dict[str, tuple[str, ...]]:
    """Segment's example category ids."""
    return {
        "Analytics": ("analytics",),
        "Advertising": ("advertising",),
        "Personalization": ("personalisation",),
        "Personalisation": ("personalisation",),
    }


class Unsubscribe(Strict):
    """Events that withdraw one purpose on one channel (an e-mail tool's unsubscribes)."""

    events: tuple[str, ...] = ("Unsubscribed", "Email Unsubscribed")
    purpose: str = "email_marketing"
    channel: str = "email"


class ConsentConfig(Strict):
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    purposes: dict[str, Purpose] = Field(default_factory=_default_purposes)
    #: Segment consent category id -> the purposes it grants or withdraws (on all their
    #: channels)
    categories: dict[str, tuple[str, ...]] = Field(default_factory=_default_categories)
    unsubscribe: Unsubscribe = Field(default_factory=Unsubscribe)

    @field_validator("categories", mode="before")
    @classmethod
    def _category_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _names_are_declared(self) -> ConsentConfig:
        for channel in self.channels:
            _check_name(channel, f"consent.channels: {channel!r}")
        for name, purpose in self.purposes.items():
            _check_name(name, f"consent.purposes.{name}")
            if not purpose.channels:
                raise ValueError(
                    f"consent.purposes.{name}.channels is empty; list the channels it reaches "
                    f"people on, e.g. channels: [{self.channels[0]}]"
                )
            for channel in purpose.channels:
                self.check_channel(channel, f"consent.purposes.{name}.channels")
        for category, named in self.categories.items():
            for one in named:
                self.check_purpose(one, f"consent.categories.{category}")
        self.check_purpose(self.unsubscribe.purpose, "consent.unsubscribe.purpose")
        self.check_channel(
            self.unsubscribe.channel,
            "consent.unsubscribe.channel",
            self.purposes[self.unsubscribe.purpose].channels,
        )
        return self

    def check_purpose(self, purpose: str, path: str) -> None:
        if purpose not in self.purposes:
            raise ValueError(
                f"{path}: no purpose {purpose!r}; declare it under consent.purposes or use "
                f"one of {', '.join(self.purposes)}"
            )

    def check_channel(
        self, channel: str, path: str, allowed: tuple[str, ...] | None = None
    ) -> None:
        allowed = self.channels if allowed is None else allowed
        if channel not in allowed:
            raise ValueError(
                f"{path}: channel {channel!r} is not one of {', '.join(allowed)}; "
                "use one of them or declare it (consent.channels, or the purpose's channels)"
            )

    def problem(self, purpose: str, channel: str | None) -> str | None:
        """What is wrong with a reference to ``purpose`` (on ``channel``), or None."""
        if purpose not in self.purposes:
            return (
                f"no purpose {purpose!r}; use one of {', '.join(self.purposes)}, or declare "
                f"it under consent.purposes"
            )
        channels = self.purposes[purpose].channels
        if channel is not None and channel not in channels:
            return (
                f"purpose {purpose!r} does not reach people by {channel!r}; its channels are "
                f"{', '.join(channels)} (add {channel} to consent.purposes.{purpose}.channels "
                "if it should)"
            )
        return None

    def pairs(self) -> list[tuple[str, str]]:
        """Every (purpose, channel) consent is held for, in declaration order."""
        return [(p, c) for p, spec in self.purposes.items() for c in spec.channels]


def _check_name(name: str, path: str) -> None:
    if not NAME.match(name):
        raise ValueError(
            f"{path}: {name!r} must be lower-case letters, digits and underscores, starting "
            "with a letter (it names consent columns such as consent_email_marketing)"
        )
