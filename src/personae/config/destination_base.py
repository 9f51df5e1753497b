"""What every destination of ``destinations:`` says, whatever its type: the audience, the
fields and their names, the purpose, the schedule, the rate limit, retries and
pseudonymisation (:class:`DestinationBase`). The types build on it: ``file`` and
``webhook`` in :mod:`.destinations`, the platforms in :mod:`.platforms`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from personae.config.base import Strict

#: how pseudonymised values are normalised before SHA-256: ``meta`` (Custom Audiences),
#: ``google`` (Customer Match), ``generic`` (trimmed, lower case, E.164 phones)
Platform = Literal["meta", "google", "generic"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h)\s*$")
_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> dt.timedelta:
    """``30s``, ``15m``, ``1h``, ``1d``."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(
            f"{text!r} is not a duration; write a positive number and a unit, e.g. 30s, "
            "15m, 1h or 1d"
        )
    return dt.timedelta(seconds=float(match.group(1)) * _SECONDS[match.group(2)])


class Pseudonymise(Strict):
    """Replace personal data by SHA-256 hashes or masks before it leaves."""

    #: ``hash``: SHA-256 (hex) after the platform's normalisation; ``mask``: j***@example.com
    mode: Literal["hash", "mask"] = "hash"
    platform: Platform = "generic"
    #: the fields it applies to (default: every personal-data field of the export)
    fields: list[str] | None = None


class ConsentAudience(Strict):
    """``audience: {consent: email_marketing}``: every live person with that consent."""

    consent: str


class JourneyAudience(Strict):
    """``audience: {journey: vip}`` (or ``{journey: [vip, winback]}``): the persons those
    journeys' ``audience: {add: <this destination>}`` steps put in, until a ``remove``
    step takes them out (``journey_audience_members``)."""

    journey: str | list[str]

    @field_validator("journey")
    @classmethod
    def _named(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not value:
            raise ValueError("names no journey; write journey: <name> or journey: [a, b]")
        return value

    @property
    def journeys(self) -> list[str]:
        return [self.journey] if isinstance(self.journey, str) else list(self.journey)


class Schedule(Strict):
    """``schedule: {every: 1h}``; ``schedule: on_change`` is written as a plain string."""

    every: str

    @field_validator("every")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def interval(self) -> dt.timedelta:
        return parse_duration(self.every)


class DestinationBase(Strict):
    """The fields every destination has."""

    #: who is sent: a segment's name, ``{consent: <purpose>}`` for everyone with it, or
    #: ``{journey: <name>}`` for those journeys' audience steps put in
    audience: str | ConsentAudience | JourneyAudience | None = None
    #: the older spelling of ``audience: <segment>``
    segment: str | None = None
    #: the profile fields sent: a list (sent under their own names) or a mapping
    #: output name -> profile field; e-mail and names when omitted
    fields: list[str] | dict[str, str] | None = None
    #: the purpose of processing it serves (``consent.purposes``): only persons with a
    #: valid consent for it on ``channel`` are sent; a destination without one is refused
    #: (``audience: {consent: X}`` implies ``purpose: X``)
    purpose: str | None = None
    #: the channel it reaches people on; the purpose's only channel when omitted
    channel: str | None = None
    pseudonymise: Pseudonymise | None = None
    #: ``on_change`` (every ``destinations run --due``, sending only what changed) or
    #: ``{every: 1h}``; ``None``: only when run by name or with every destination
    schedule: Schedule | Literal["on_change"] | None = None
    #: requests per second, minute or hour at most: ``10/s``, ``600/m``
    rate_limit: str | None = None
    #: tries of a batch that failed transiently (a 5xx, a 429, a timeout) before its
    #: members go to the dead letters
    max_attempts: int = Field(default=6, ge=1, le=20)
    #: first wait between tries, doubled each time, with jitter (``Retry-After`` wins)
    backoff_seconds: float = Field(default=1.0, ge=0, le=600)

    @model_validator(mode="before")
    @classmethod
    def _segment_is_an_audience(cls, data: Any) -> Any:
        if isinstance(data, dict) and "audience" in data and "segment" in data:
            raise ValueError(
                "give 'audience:' or its older spelling 'segment:', not both; keep "
                f"audience: {data['segment']}"
            )
        if isinstance(data, dict) and "segment" in data:
            data = {**data, "audience": data["segment"]}
            data.pop("segment")
        if isinstance(data, dict) and "audience" not in data:
            raise ValueError(
                "needs 'audience:': a segment's name (audience: vip), everyone with a "
                "consent (audience: {consent: email_marketing}) or the persons a journey's "
                "audience steps add (audience: {journey: vip})"
            )
        return data

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        if value is None or value == "on_change" or isinstance(value, dict):
            return value
        raise ValueError(
            f"{value!r} is not a schedule; write schedule: on_change (send what changed at "
            "every `personae destinations run --due`) or schedule: {every: 1h}"
        )

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None:
            match = _RATE.match(value)
            if not match or float(match.group(1)) <= 0:
                raise ValueError(
                    f"{value!r} is not a rate; write requests per second, minute or hour, "
                    "e.g. 10/s, 600/m or 5000/h"
                )
        return value

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: list[str] | dict[str, str] | None) -> Any:
        if value is not None and len(value) == 0:
            raise ValueError("lists no field; name at least one profile field (e.g. [email])")
        return value

    @model_validator(mode="after")
    def _consent_purpose(self) -> DestinationBase:
        if isinstance(self.audience, ConsentAudience):
            if self.purpose is not None and self.purpose != self.audience.consent:
                raise ValueError(
                    f"audience: {{consent: {self.audience.consent}}} sends people for "
                    f"{self.audience.consent}, but purpose says {self.purpose}; drop "
                    "purpose: or make them the same"
                )
            object.__setattr__(self, "purpose", self.audience.consent)
        object.__setattr__(
            self, "segment", self.audience if isinstance(self.audience, str) else None
        )
        return self

    @property
    def journeys(self) -> list[str]:
        """The journeys whose audience steps feed it (``audience: {journey: …}``)."""
        return self.audience.journeys if isinstance(self.audience, JourneyAudience) else []

    @property
    def field_map(self) -> dict[str, str] | None:
        """Output name -> profile field (None: the default fields)."""
        if self.fields is None:
            return None
        if isinstance(self.fields, list):
            return {f: f for f in self.fields}
        return dict(self.fields)

    @property
    def profile_fields(self) -> list[str]:
        """The profile fields it reads."""
        return list(self.field_map.values()) if self.field_map else []

    @property
    def requests_per_second(self) -> float | None:
        if self.rate_limit is None:
            return None
        match = _RATE.match(self.rate_limit)
        assert match is not None
        return float(match.group(1)) / _SECONDS[match.group(2)]
