"""``messages:``: how personae sends e-mails (SMTP) and what rules each channel keeps.

* ``email``: the SMTP server (credentials named by environment variables, never written in
  ``personae.yml``), the sender, and whether opens and clicks are tracked;
* ``templates``: one per message, with ``${field}`` placeholders filled from the person's
  profile (HTML-escaped in the HTML body);
* ``rules``: per channel, quiet hours (local time in ``timezone``) and whether commercial
  messages are banned on Sundays and French public holidays (French SMS marketing rules:
  the default for ``sms`` is 20:00-08:00, no Sundays, no public holidays).

Unsubscribe and tracking links lead back to ``personae serve`` at ``collect.public_url``;
the events they record land in the event source ``source``.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import zoneinfo
from typing import Literal

from pydantic import Field, field_validator, model_validator

from personae.config.base import Strict
from personae.config.platforms import TwilioSms

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class Smtp(Strict):
    """An SMTP server. ``security``: ``starttls`` (port 587), ``ssl`` (implicit TLS, port
    465) or ``none`` (a local relay)."""

    host: str = "localhost"
    port: int | None = Field(default=None, gt=0, lt=65536)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    #: the environment variables holding the login and password (no login when omitted)
    username_env: str | None = None
    password_env: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _both_or_none(self) -> Smtp:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError(
                "give both username_env and password_env (the environment variables "
                "holding the SMTP login), or neither for a server without login"
            )
        return self

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class EmailChannel(Strict):
    smtp: Smtp = Field(default_factory=Smtp)
    #: the From header, ``news@shop.fr`` or ``Shop <news@shop.fr>``
    sender: str = Field(alias="from")
    reply_to: str | None = None
    #: an address receiving unsubscribe requests by mail, listed in List-Unsubscribe next
    #: to the one-click URL (optional)
    unsubscribe_mailto: str | None = None
    #: add a tracking pixel to HTML bodies (records ``Email Opened``)
    track_opens: bool = True
    #: route the HTML body's links through the click redirect (records
    #: ``Email Link Clicked``)
    track_clicks: bool = True

    @field_validator("sender", "reply_to", "unsubscribe_mailto")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        bare = value.rsplit("<", 1)[-1].rstrip(">").strip()
        if not _ADDRESS.match(bare):
            raise ValueError(
                f"not an e-mail address: {value!r}; write news@shop.fr or 'Shop <news@shop.fr>'"
            )
        return value


class MessageTemplate(Strict):
    """A message: ``${field}`` takes the person's profile field (``${first_name}``), plus
    ``${unsubscribe_url}``, ``${campaign}`` and ``${message_id}``; ``$$`` is a dollar."""

    channel: str = "email"
    #: a marketing message (the default): it keeps the channel's Sunday and holiday bans;
    #: ``false`` for a transactional one (an order confirmation), which keeps quiet hours
    commercial: bool = True
    subject: str | None = None
    #: the plain-text body (required: every e-mail has one; an SMS is only this)
    text: str
    #: the HTML body of an e-mail (profile values are HTML-escaped in it)
    html: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> MessageTemplate:
        for part in ("subject", "text", "html"):
            value = getattr(self, part)
            if value is None:
                continue
            template = string.Template(value)
            if not template.is_valid():
                raise ValueError(
                    f"{part}: a '$' that is not a placeholder; write ${{field}} for a "
                    "profile field and $$ for a dollar sign"
                )
        if self.channel == "email" and self.subject is None:
            raise ValueError("an e-mail template needs a subject")
        return self

    def placeholders(self) -> set[str]:
        names: set[str] = set()
        for value in (self.subject, self.text, self.html):
            if value is not None:
                names.update(string.Template(value).get_identifiers())
        return names


class QuietHours(Strict):
    """No message from ``start`` until ``end`` (local time); ``end`` before ``start``
    spans midnight."""

    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError(
                f"quiet hours from {self.start} to {self.end} are empty; give different "
                "start and end times, or remove quiet_hours"
            )
        return self


class ChannelRule(Strict):
    quiet_hours: QuietHours | None = None
    #: no commercial message on Sundays
    no_sundays: bool = False
    #: no commercial message on public holidays of this country (``FR``)
    no_public_holidays: Literal["FR"] | None = None


def _default_rules() -> dict[str, ChannelRule]:
    return {
        "sms": ChannelRule(
            quiet_hours=QuietHours(start=dt.time(20), end=dt.time(8)),
            no_sundays=True,
            no_public_holidays="FR",
        )
    }


class SmsChannel(Strict):
    #: the opt-out text every commercial SMS must carry in France (``STOP au 36xxx``, the
    #: short code your provider gives); appended to a commercial SMS that lacks it
    stop_text: str | None = None
    #: the provider SMS leave through (``type: twilio``, the Messages API)
    provider: TwilioSms | None = None


class MessagesConfig(Strict):
    #: the event source that opens, clicks and unsubscribes are recorded under
    source: str = "messages"
    email: EmailChannel | None = None
    sms: SmsChannel = Field(default_factory=SmsChannel)
    templates: dict[str, MessageTemplate] = Field(default_factory=dict)
    #: the time zone quiet hours, Sundays and holidays are read in
    timezone: str = "Europe/Paris"
    #: channel -> its rules; the default keeps French SMS marketing rules for ``sms``
    rules: dict[str, ChannelRule] = Field(default_factory=_default_rules)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"{value!r} is not a source name; use letters, digits and underscores, "
                "starting with a letter"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Paris"
            ) from None
        return value

    @model_validator(mode="after")
    def _templates_have_channels(self) -> MessagesConfig:
        for name, template in self.templates.items():
            if template.channel == "email" and self.email is None:
                raise ValueError(
                    f"templates.{name} is an e-mail but messages.email is missing; add "
                    "messages.email with the sender (from:) and the SMTP server (smtp:)"
                )
        return self
