"""``destinations:``: where audiences are sent, for which purpose, and how their personal
data leaves (in clear, hashed after a platform's rules, or masked).

Every destination has the common fields of :class:`.destination_base.DestinationBase`
(the audience, the fields and their names, the purpose, the schedule, the rate limit,
pseudonymisation) and those of its ``type``: ``file`` and ``webhook`` here, the platforms
in :mod:`.platforms`, all in the union :data:`Destination`. Credentials never appear in
``personae.yml``: a destination names the environment variable holding them
(``secret_env: WEBHOOK_SECRET``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from personae.config.destination_base import (
    ConsentAudience,
    DestinationBase,
    JourneyAudience,
    Platform,
    Pseudonymise,
    Schedule,
    parse_duration,
)
from personae.config.platforms import (
    BrevoDestination,
    GoogleCustomerMatchDestination,
    MailchimpDestination,
    MetaAudienceDestination,
)

__all__ = [
    "ConsentAudience",
    "Destination",
    "DestinationBase",
    "FileDestination",
    "JourneyAudience",
    "Platform",
    "Pseudonymise",
    "Schedule",
    "WebhookDestination",
    "parse_duration",
]


class FileDestination(DestinationBase):
    """The whole audience written to a CSV or Parquet file each run (a snapshot), in a
    folder of the project or on object storage (``s3://bucket/key.parquet`` through
    fsspec)."""

    type: Literal["file"] = "file"
    #: ``exports/vip.csv`` (relative to the project) or ``s3://bucket/vip.parquet``
    path: str
    #: also write what each run changed next to the file: ``vip.added.csv``,
    #: ``vip.updated.csv``, ``vip.removed.csv``
    diff_files: bool = False
    #: fsspec options of the storage (``endpoint_url``, ``client_kwargs``…); never
    #: credentials: those come from the storage's own environment variables
    #: (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``)
    storage_options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("path")
    @classmethod
    def _suffix(cls, value: str) -> str:
        if not value.lower().endswith((".csv", ".parquet", ".pq")):
            raise ValueError(f"{value!r}: end the path with .csv or .parquet")
        return value


class WebhookDestination(DestinationBase):
    """Changes POSTed as JSON batches to a URL, signed with HMAC-SHA256 over
    ``<t>.<body>`` in ``X-Personae-Signature: t=…,v1=…``."""

    type: Literal["webhook"] = "webhook"
    url: str
    #: the environment variable holding the signing secret (never the secret itself)
    secret_env: str | None = None
    #: changes per request
    batch_size: int = Field(default=500, ge=1, le=10_000)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    #: the signature header
    header: str = "X-Personae-Signature"

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                f"{value!r} is not an http(s) URL; write e.g. https://example.com/hook"
            )
        return value


Destination = Annotated[
    FileDestination
    | WebhookDestination
    | BrevoDestination
    | MailchimpDestination
    | MetaAudienceDestination
    | GoogleCustomerMatchDestination,
    Field(discriminator="type"),
]
