"""Brevo (ex-Sendinblue) contact lists, through the v3 API.

* additions and updates: ``POST /contacts/import`` with ``jsonBody`` (``email`` and
  ``attributes``), ``listIds`` and ``updateExistingContacts: true`` (the contact is created
  or updated, and put in the list; Brevo answers 202 with a ``processId``);
* removals: ``POST /contacts/lists/{listId}/contacts/remove`` with ``emails``, at most 150
  per request (Brevo's limit), which is also the batch size of the whole connector;
* auth: the ``api-key`` header; 429 carries ``x-sib-ratelimit-reset`` (seconds).

A member without a valid e-mail is refused here, per member. A removal Brevo lists under
``failure`` (the address is not in the list) leaves the list as wanted: it counts as done.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from personae.activate.connectors import platform_http as http
from personae.activate.connectors.base import BatchResult, Change
from personae.activate.connectors.identifiers import first, texts, valid_email
from personae.config.platforms import BrevoDestination

#: Brevo's limit of e-mails per list removal (and per list addition)
MAX_BATCH = 150
DEFAULT_ATTRIBUTES = {"first_name": "FIRSTNAME", "last_name": "LASTNAME", "phone": "SMS"}
_PLATFORM = "Brevo"


class BrevoConnector:
    max_batch = MAX_BATCH
    #: the fields that identify a member here: when they change, the old member must be
    #: removed (with the fields sent last) and the new one added
    identity_fields: tuple[str, ...] = ("email", "emails")

    def __init__(self, config: BrevoDestination, *, api_key: str, credential: str) -> None:
        self.config = config
        self._api_key = api_key
        self._credential = credential
        self.attributes = {**DEFAULT_ATTRIBUTES, **config.attributes}

    @classmethod
    def from_config(
        cls, config: BrevoDestination, *, path: str, env: Mapping[str, str] | None = None
    ) -> BrevoConnector:
        key = http.secret(
            env, config.api_key_env, path=f"{path}.api_key_env", what="a Brevo API key"
        )
        return cls(config, api_key=key, credential=f"environment variable {config.api_key_env}")

    def send(self, changes: Sequence[Change]) -> BatchResult:
        result = BatchResult()
        upserts: list[dict[str, Any]] = []
        removals: list[str] = []
        for change in changes:
            email = first(change.fields, "email", "emails")
            if email is None or not valid_email(email):
                result.failed[change.person_id] = (
                    f"no valid e-mail to identify the contact ({email!r})"
                    if email
                    else "no e-mail to identify the contact"
                )
            elif change.kind == "remove":
                removals.append(email.lower())
            else:
                upserts.append({"email": email.lower(), "attributes": self._attributes(change)})
        if removals:
            self._post(
                f"/contacts/lists/{self.config.list_id}/contacts/remove",
                {"emails": removals},
                what=f"the removal of {len(removals)} contacts from list {self.config.list_id}",
            )
        if upserts:
            self._post(
                "/contacts/import",
                {
                    "listIds": [self.config.list_id],
                    "jsonBody": upserts,
                    "updateExistingContacts": True,
                    "emptyContactsAttributes": False,
                    "disableNotification": True,
                },
                what=f"the import of {len(upserts)} contacts",
            )
        return result

    def _attributes(self, change: Change) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in change.fields.items():
            if name in ("email", "emails"):
                continue
            values = texts(value)
            attribute = self.attributes.get(name, name.upper())
            if values:
                out[attribute] = values[0] if not isinstance(value, int | float) else value
        return out

    def _post(self, route: str, payload: dict[str, Any], *, what: str) -> Any:
        response = http.request(
            "POST",
            self.config.base_url + route,
            headers={
                "api-key": self._api_key,
                "content-type": "application/json",
                "accept": "application/json",
            },
            body=json.dumps(payload).encode(),
            platform=_PLATFORM,
        )
        if response.status >= 300:
            body = response.json()
            detail = (
                f"{body.get('code')}: {body.get('message')}"
                if isinstance(body, dict)
                else response.body[:200].decode("utf-8", "replace")
            )
            http.fail(
                response,
                platform=_PLATFORM,
                what=what,
                detail=detail,
                credential=self._credential,
                retry_headers=("x-sib-ratelimit-reset",),
            )
        return response.json()

    def close(self) -> None:
        """Nothing to finish: every request is complete when it returns."""
