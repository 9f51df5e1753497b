"""``destinations:``: where audiences are sent, for which purpose, and how their personal
data leaves (in clear, hashed after a platform's rules, or masked)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from personae.config.base import Strict
from personae.config.platforms import (
    BrevoDestination,
    GoogleCustomerMatchDestination,
    MailchimpDestination,
    MetaAudienceDestination,
)

#: how pseudonymised values are normalised before SHA-256: ``meta`` (Custom Audiences),
#: ``google`` (Customer Match), ``generic`` (trimmed, lower case, E.164 phones)
Platform = Literal["meta", "google", "generic"]


class Pseudonymise(Strict):
    """Replace personal data by SHA-256 hashes or masks before it leaves."""

    #: ``hash``: SHA-256 (hex) after the platform's normalisation; ``mask``: j***@example.com
    mode: Literal["hash", "mask"] = "hash"
    platform: Platform = "generic"
    #: the fields it applies to (default: every personal-data field of the export)
    fields: list[str] | None = None


class FileDestination(Strict):
    type: Literal["file"] = "file"
    segment: str
    path: str
    fields: list[str] | None = None
    #: the purpose of processing it serves (``consent.purposes``): only persons with a
    #: valid consent for it on ``channel`` are sent; a destination without one is refused
    purpose: str | None = None
    #: the channel it reaches people on; the purpose's only channel when omitted
    channel: str | None = None
    pseudonymise: Pseudonymise | None = None


Destination = Annotated[
    FileDestination
    | BrevoDestination
    | MailchimpDestination
    | MetaAudienceDestination
    | GoogleCustomerMatchDestination,
    Field(discriminator="type"),
]
