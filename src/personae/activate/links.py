"""The signed links a message carries back to ``personae serve``.

Every link holds the message's ``campaign`` and ``message_id`` and the recipient's
address, signed with the project secret (``.personae/collect/secret.key``, HMAC-SHA256
over the query: :mod:`personae.collect.signing`), so nobody can forge a link that
unsubscribes someone else or redirects elsewhere:

* the **unsubscribe** URL (``/v1/unsubscribe``): a GET shows a confirmation page, a POST
  (RFC 8058 one-click, or the page's button) records an ``Unsubscribed`` event;
* the **pixel** (``/v1/pixel.gif``) records ``Email Opened``;
* the **click redirect** (``/v1/r``) records ``Email Link Clicked`` and redirects.

The events land in the event source ``messages.source`` with properties ``campaign`` and
``message_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from personae.collect.paths import CollectPaths
from personae.collect.signing import load_secret, signed_query, tracking_url
from personae.config.models import ProjectConfig
from personae.errors import ConfigError

UNSUBSCRIBE_PATH = "/v1/unsubscribe"


@dataclass(frozen=True)
class MessageLinks:
    """Signed links for one message to one recipient."""

    secret: bytes
    base: str
    source: str
    campaign: str
    message_id: str
    email: str
    user_id: str | None = None

    @classmethod
    def of_project(
        cls,
        config: ProjectConfig,
        root: Path,
        *,
        campaign: str,
        message_id: str,
        email: str,
        user_id: str | None = None,
    ) -> MessageLinks:
        base = config.collect.public_url
        if not base:
            raise ConfigError(
                "is missing: e-mails link back to personae serve for unsubscribes, opens "
                "and clicks; set it to the server's public base URL, e.g. "
                "public_url: https://collect.shop.fr",
                path="collect.public_url",
            )
        secret = load_secret(CollectPaths.of(root, config.collect.events_dir).secret)
        return cls(secret, base, config.messages.source, campaign, message_id, email, user_id)

    def _identity(self) -> dict[str, str]:
        who = {"userId": self.user_id} if self.user_id else {"anonymousId": self._anonymous}
        return {
            **who,
            "email": self.email,
            "campaign": self.campaign,
            "message_id": self.message_id,
        }

    @property
    def _anonymous(self) -> str:
        # a fresh anonymous id per message: it links nothing, the e-mail does
        return f"message:{self.message_id}"

    @property
    def unsubscribe(self) -> str:
        query = {"source": self.source, **self._identity()}
        return f"{self.base.rstrip('/')}{UNSUBSCRIBE_PATH}?{signed_query(self.secret, query)}"

    @property
    def pixel(self) -> str:
        return tracking_url(self.secret, self.base, "open", self.source, self._identity())

    def click(self, url: str) -> str:
        return tracking_url(self.secret, self.base, "click", self.source, self._identity(), url)
