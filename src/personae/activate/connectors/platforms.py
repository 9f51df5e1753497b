"""The platform connectors by destination ``type``, for the sync engine and the
orchestrator to build from a destination's config.

Each factory is ``factory(config, *, path, env=None)``: ``path`` is where the config sits
in personae.yml (``destinations.news``), named by errors; ``env`` holds the credentials
(default: the process environment).
"""

from __future__ import annotations

from collections.abc import Callable

from personae.activate.connectors.base import AudienceConnector, MessageConnector
from personae.activate.connectors.brevo import BrevoConnector
from personae.activate.connectors.google_ads import GoogleCustomerMatchConnector
from personae.activate.connectors.mailchimp import MailchimpConnector
from personae.activate.connectors.meta import MetaAudienceConnector
from personae.activate.connectors.twilio import TwilioConnector

#: audience destinations: ``type`` -> factory of an ``AudienceConnector``
PLATFORM_CONNECTORS: dict[str, Callable[..., AudienceConnector]] = {
    "brevo": BrevoConnector.from_config,
    "mailchimp": MailchimpConnector.from_config,
    "meta_audience": MetaAudienceConnector.from_config,
    "google_customer_match": GoogleCustomerMatchConnector.from_config,
}

#: message channels: ``type`` -> factory of a ``MessageConnector``
MESSAGE_CONNECTORS: dict[str, Callable[..., MessageConnector]] = {
    "twilio": TwilioConnector.from_config,
}
