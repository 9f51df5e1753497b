"""Pydantic models of the ``collect`` section of ``personae.yml`` (``personae serve``)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from personae.config.base import Strict

_PUBLIC_URL = re.compile(r"^https?://[^/\s?#@]+(/[^\s?#]*)?$")

MessageType = Literal["identify", "track", "page", "screen", "group", "alias"]


class RateLimit(Strict):
    """A token bucket per write key, counted in messages."""

    #: sustained messages per second per key
    per_second: float = Field(default=1000.0, gt=0)
    #: messages a key may send at once above the sustained rate
    burst: int = Field(default=5000, gt=0)


class WebhookSignature(Strict):
    """An HMAC sent by the webhook's emitter in a header.

    ``scheme: timestamped`` (the default, as Stripe does): the header reads
    ``t=<unix seconds>,v1=<hex HMAC of "<t>.<raw body>">``; a delivery whose ``t`` is
    more than ``tolerance_seconds`` away from the server's clock, or whose signature was
    already used, is refused, so a captured request cannot be replayed. ``scheme: body``:
    the header holds the HMAC of the raw body alone (``prefix`` before the hex digest),
    for emitters that cannot sign a timestamp; such deliveries can be replayed, only the
    (source, messageId) dedupe window absorbs repeats.
    """

    scheme: Literal["timestamped", "body"] = "timestamped"
    header: str = "X-Personae-Signature"
    #: the shared secret itself, or …
    secret: str | None = None
    #: … the environment variable holding it (preferred: keeps it out of the file)
    secret_env: str | None = None
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    #: text before the hex digest in the header, e.g. ``sha256=`` (``scheme: body``)
    prefix: str = ""
    #: how far ``t`` may be from the server's clock, in seconds (``scheme: timestamped``)
    tolerance_seconds: int = Field(default=300, gt=0)

    @model_validator(mode="after")
    def _one_secret(self) -> WebhookSignature:
        if (self.secret is None) == (self.secret_env is None):
            raise ValueError("give exactly one of 'secret' or 'secret_env'")
        return self


class WebhookMapping(Strict):
    """How one webhook's JSON becomes messages. Values starting with ``$`` are paths
    (``$.data.user.id``, ``$.items[0].sku``); any other value is a literal."""

    #: the event source the messages belong to (default: the webhook's name)
    source: str | None = None
    #: path to a list in the body: one message per item (paths are then per item)
    items: str | None = None
    type: MessageType = "track"
    event: str | None = "$.event"
    user_id: str | None = "$.userId"
    anonymous_id: str | None = None
    email: str | None = None
    timestamp: str | None = None
    message_id: str | None = None
    #: path of the object stored as the event's properties (``$`` = the whole item)
    properties: str | None = "$"
    #: optional HMAC check; without it the caller must give a write key of this
    #: webhook's own source
    signature: WebhookSignature | None = None


class TrackingPlan(Strict):
    """A JSON Schema checked against every message of an event name and/or type."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    event: str | None = None
    type: MessageType | None = None
    json_schema: dict[str, Any] = Field(alias="schema")
    #: ``record``: accept and store the violations; ``reject``: answer 400
    mode: Literal["record", "reject"] = "record"

    @model_validator(mode="after")
    def _has_target(self) -> TrackingPlan:
        if self.event is None and self.type is None:
            raise ValueError("a tracking plan needs 'event' and/or 'type'")
        return self


class CollectConfig(Strict):
    """``personae serve``: the Segment-compatible collection API."""

    #: event sources write keys may be created for; empty = any name
    sources: list[str] = Field(default_factory=list)
    #: names this collector's files; give each collector sharing a project its own id
    collector_id: str = Field(default="c0", pattern=r"^[A-Za-z0-9]+$")
    #: where collected events are written as Parquet, ``date=YYYY-MM-DD/part-<collector>-
    #: <seq>.parquet``: a folder relative to the project or absolute. Collectors sharing
    #: it write side by side (their ids name their files); a Spark cluster reads it in
    #: parallel when it is on storage the executors reach. Default:
    #: ``.personae/collect/events``
    events_dir: str | None = None
    #: messageId deduplication window, in hours
    dedupe_hours: float = Field(default=24.0, ge=0)
    max_message_bytes: int = 32 * 1024
    max_batch_bytes: int = 500 * 1024
    #: a request body must arrive within this many seconds (slow bodies get 408)
    body_timeout_seconds: float = 10.0
    rate_limit: RateLimit | None = None
    #: seal the write-ahead log segment and write it to Parquet this often
    flush_seconds: float = Field(default=5.0, gt=0)
    #: seal a segment earlier when it grows beyond this many bytes
    segment_bytes: int = 64 * 1024 * 1024
    #: run the whole pipeline every N minutes while serving (off when omitted)
    schedule_minutes: float | None = Field(default=None, gt=0)
    #: the public base URL clients reach this server at (``https://collect.shop.fr``):
    #: written into ``/v1/projects/{key}/settings`` (``apiHost``) and the default base of
    #: ``personae collect sign-url``. Without it, settings fall back to the request's
    #: Host header, which a client controls: set it in production
    public_url: str | None = None
    #: browser origins allowed by CORS
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    webhooks: dict[str, WebhookMapping] = Field(default_factory=dict)
    tracking_plans: dict[str, TrackingPlan] = Field(default_factory=dict)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and not _PUBLIC_URL.match(value):
            raise ValueError(
                f"not an http(s) base URL: {value!r}; write it like https://collect.shop.fr "
                "(an optional path, no query)"
            )
        return value.rstrip("/") if value else value
