"""Errors of the collection API. Each carries its HTTP status and a stable code.

::

    PersonaeError
    └── CollectError           the server cannot start or a collect file is unusable
        └── ApiError           a request is refused: ``status``, ``code``, ``message``
"""

from __future__ import annotations

from personae.errors import PersonaeError


class CollectError(PersonaeError):
    """A problem with the collection server or its files."""


class ApiError(CollectError):
    """A refused request. Rendered as ``{"code": …, "message": …}`` with ``status``."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        #: per-message refusals of a batch, when every message was refused
        self.rejected: list[dict[str, object]] = []
        #: how many were refused (``rejected`` lists only the first ones)
        self.rejected_count = 0
        super().__init__(message)

    def with_rejected(self, rejected: list[dict[str, object]], count: int) -> ApiError:
        self.rejected = rejected
        self.rejected_count = count
        return self
