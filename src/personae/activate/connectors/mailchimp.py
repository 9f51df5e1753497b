"""Mailchimp audiences (lists), through the Marketing API 3.0.

* additions and updates: "batch subscribe or unsubscribe list members",
  ``POST /lists/{list_id}`` with ``members`` (``email_address``, ``status``,
  ``merge_fields``) and ``update_existing: true``; at most 500 members per request, the
  connector's batch size. Mailchimp answers 200 and lists the members it refused under
  ``errors``: those are the batch's failures;
* removals: archived one by one (``DELETE /lists/{list_id}/members/{subscriber_hash}``, the
  hash being the MD5 of the lower-case e-mail; a 404 means already gone), or, with
  ``on_remove: unsubscribe``, sent through the batch endpoint with ``status: unsubscribed``;
* auth: HTTP basic, any user name and the API key as password; the API key's suffix
  (``…-us6``) names the data center of the base URL.

Every request is idempotent, so a batch retried after a transient failure does no harm.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from personae.activate.connectors import platform_http as http
from personae.activate.connectors.base import BatchResult, Change
from personae.activate.connectors.identifiers import first, texts, valid_email
from personae.config.platforms import MailchimpDestination
from personae.errors import ConfigError

#: Mailchimp's limit of members per batch subscribe request
MAX_BATCH = 500
DEFAULT_MERGE_FIELDS = {"first_name": "FNAME", "last_name": "LNAME", "phone": "PHONE"}
_PLATFORM = "Mailchimp"


def subscriber_hash(email: str) -> str:
    """Mailchimp's id of a list member: the MD5 of the lower-case e-mail."""
    return hashlib.md5(email.lower().encode("utf-8"), usedforsecurity=False).hexdigest()


class MailchimpConnector:
    max_batch = MAX_BATCH
    #: the fields that identify a member here (see BrevoConnector.identity_fields)
    identity_fields: tuple[str, ...] = ("email", "emails")

    def __init__(
        self, config: MailchimpDestination, *, api_key: str, credential: str, base_url: str
    ) -> None:
        self.config = config
        self.base_url = base_url.rstrip("/")
        self._auth = "Basic " + base64.b64encode(f"personae:{api_key}".encode()).decode()
        self._credential = credential
        self.merge_fields = {**DEFAULT_MERGE_FIELDS, **config.merge_fields}

    @classmethod
    def from_config(
        cls, config: MailchimpDestination, *, path: str, env: Mapping[str, str] | None = None
    ) -> MailchimpConnector:
        key = http.secret(
            env, config.api_key_env, path=f"{path}.api_key_env", what="a Mailchimp API key"
        )
        base_url = config.base_url
        if base_url is None:
            server = config.server or (key.rpartition("-")[2] if "-" in key else None)
            if not server:
                raise ConfigError(
                    f"the API key in {config.api_key_env} has no data-center suffix (…-us6); "
                    "say which data center the account is on, e.g. server: us6",
                    path=f"{path}.server",
                )
            base_url = f"https://{server}.api.mailchimp.com/3.0"
        return cls(
            config,
            api_key=key,
            credential=f"environment variable {config.api_key_env}",
            base_url=base_url,
        )

    def send(self, changes: Sequence[Change]) -> BatchResult:
        result = BatchResult()
        members: list[dict[str, Any]] = []
        archive: list[str] = []
        person_of: dict[str, int] = {}
        for change in changes:
            email = first(change.fields, "email", "emails")
            if email is None or not valid_email(email):
                result.failed[change.person_id] = (
                    f"no valid e-mail to identify the member ({email!r})"
                    if email
                    else "no e-mail to identify the member"
                )
                continue
            email = email.lower()
            person_of[email] = change.person_id
            if change.kind == "remove" and self.config.on_remove == "archive":
                archive.append(email)
            elif change.kind == "remove":
                members.append({"email_address": email, "status": "unsubscribed"})
            else:
                member: dict[str, Any] = {"email_address": email, "status": "subscribed"}
                merge = self._merge_fields(change)
                if merge:
                    member["merge_fields"] = merge
                members.append(member)
        for email in archive:
            self._request(
                "DELETE",
                f"/lists/{self.config.list_id}/members/{subscriber_hash(email)}",
                None,
                what="the archiving of a member",
                gone_is_fine=True,
            )
        if members:
            answer = self._request(
                "POST",
                f"/lists/{self.config.list_id}",
                {"members": members, "update_existing": True},
                what=f"the batch of {len(members)} members",
            )
            for error in (answer or {}).get("errors") or []:
                person = person_of.get(str(error.get("email_address", "")).lower())
                if person is not None:
                    result.failed[person] = _refusal(error)
        return result

    def _merge_fields(self, change: Change) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in change.fields.items():
            if name in ("email", "emails"):
                continue
            values = texts(value)
            if values:
                out[self.merge_fields.get(name, name.upper()[:10])] = values[0]
        return out

    def _request(
        self,
        method: str,
        route: str,
        payload: dict[str, Any] | None,
        *,
        what: str,
        gone_is_fine: bool = False,
    ) -> Any:
        headers = {"authorization": self._auth, "accept": "application/json"}
        if payload is not None:
            headers["content-type"] = "application/json"
        response = http.request(
            method,
            self.base_url + route,
            headers=headers,
            body=None if payload is None else json.dumps(payload).encode(),
            platform=_PLATFORM,
        )
        if response.status == 404 and gone_is_fine:
            return None
        if response.status >= 300:
            body = response.json()
            detail = (
                f"{body.get('title')}: {body.get('detail')}"
                if isinstance(body, dict)
                else response.body[:200].decode("utf-8", "replace")
            )
            http.fail(
                response, platform=_PLATFORM, what=what, detail=detail, credential=self._credential
            )
        return response.json()

    def close(self) -> None:
        """Nothing to finish: every request is complete when it returns."""


def _refusal(error: Mapping[str, Any]) -> str:
    """Mailchimp's reason for refusing a member, with the merge field at fault."""
    reason = str(error.get("error") or "refused")
    if error.get("field"):
        reason += f" {error['field']}: {error.get('field_message') or 'invalid'}"
    code = error.get("error_code")
    return f"{reason} ({code})" if code else reason
