"""The contract between the sync engine and the connectors.

Two kinds of destinations exist:

* **audiences** (a file, a webhook, an e-mail tool's contact list, an ad platform's
  custom audience): the sync engine diffs the audience against what the destination
  already holds and hands an :class:`AudienceConnector` batches of :class:`Change`;
* **messages** (an e-mail through SMTP, an SMS): the orchestrator decides who may be sent
  what, and a :class:`MessageConnector` sends one :class:`Message` at a time.

A connector never decides who is sent: consent, suppression, caps and diffs are decided
before it is called. It only speaks the destination's wire format, and says what the
destination accepted (:class:`BatchResult`, :class:`SendResult`). It signals a failure
worth retrying (a timeout, a 5xx, a 429) with :class:`TransientError`, and one that no
retry can fix (a 400 about the request, a 401) with :class:`PermanentError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from personae.errors import PersonaeError

ChangeKind = Literal["add", "update", "remove"]


@dataclass(frozen=True)
class Change:
    """One member of an audience entering, changing or leaving the destination."""

    kind: ChangeKind
    person_id: int
    #: the fields sent, already renamed and pseudonymised; for a removal, the fields sent
    #: last (a platform removes a member by the identifiers it was added with)
    fields: Mapping[str, Any]


@dataclass
class BatchResult:
    """What the destination did with a batch: changes not listed in ``failed`` were
    accepted (acknowledged) and are never sent again."""

    #: person_id -> why the destination refused that member for good (a malformed e-mail)
    failed: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One message to one person on one channel."""

    message_id: str
    campaign: str
    person_id: int
    channel: str
    #: the address on the channel: an e-mail, an E.164 phone number
    to: str
    subject: str | None
    body: str
    #: anything else the connector needs (an HTML body, a sender, an unsubscribe URL)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    """The destination accepted the message; ``provider_id`` is its own id of it."""

    provider_id: str | None = None


class ConnectorError(PersonaeError):
    """A destination refused or failed a request."""


class TransientError(ConnectorError):
    """Worth retrying later: a timeout, a 5xx, a 429 (``retry_after`` seconds when the
    destination said so, as in ``Retry-After``)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """No retry can fix it (a refused credential, a request the destination rejects)."""


class AudienceConnector(Protocol):
    """Keeps a destination's copy of an audience up to date, a batch at a time."""

    #: the most changes the destination takes in one request (its documented limit)
    max_batch: int
    #: the sent fields the destination knows a member by and cannot update in place (the
    #: hashed keys of an ad platform, the e-mail of a contact list). When one of them
    #: changes, the sync sends no ``update`` but a ``remove`` with the fields sent last,
    #: then an ``add`` with the new ones, in separate batches. Empty (the default, see
    #: :func:`identity_fields`): an update is applied in place, by the member's key
    #: (files, webhooks).
    identity_fields: tuple[str, ...]

    def send(self, changes: Sequence[Change]) -> BatchResult:
        """Apply ``changes`` at the destination; raise :class:`TransientError` or
        :class:`PermanentError` when the whole batch failed."""
        ...

    def close(self) -> None:
        """Finish the sync (a file destination writes its file here) and release."""
        ...


def identity_fields(connector: object) -> tuple[str, ...]:
    """The connector's :attr:`AudienceConnector.identity_fields` (none when it declares
    none: its updates are applied in place)."""
    return tuple(getattr(connector, "identity_fields", ()))


class MessageConnector(Protocol):
    """Sends one message at a time on one channel."""

    def send(self, message: Message) -> SendResult:
        """Send ``message``; raise :class:`TransientError` or :class:`PermanentError`."""
        ...

    def close(self) -> None: ...
