"""Brevo's v3 contacts API, as documented: ``api-key`` header; ``POST /v3/contacts/import``
(``jsonBody`` of ``{email, attributes}``, ``listIds``, 202 with a ``processId``);
``POST /v3/contacts/lists/{id}/contacts/remove`` (``emails``, at most 150; 201 with
``contacts.success``/``failure``); errors ``{"code", "message"}``; 429 with
``x-sib-ratelimit-reset``."""

from __future__ import annotations

import re
from typing import Any

from activate.fakes.server import FakePlatform, Refused, Reply, Request

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IMPORT_KEYS = {
    "fileUrl",
    "fileBody",
    "jsonBody",
    "listIds",
    "notifyUrl",
    "newList",
    "emailBlacklist",
    "disableNotification",
    "smsBlacklist",
    "updateExistingContacts",
    "emptyContactsAttributes",
}


def error(status: int, code: str, message: str) -> Refused:
    return Refused(Reply(status, {"code": code, "message": message}))


class FakeBrevo(FakePlatform):
    def __init__(self, api_key: str, lists: tuple[int, ...] = (7,)) -> None:
        super().__init__()
        self.api_key = api_key
        #: list id -> e-mails in it
        self.lists: dict[int, set[str]] = {list_id: set() for list_id in lists}
        #: e-mail -> attributes
        self.contacts: dict[str, dict[str, Any]] = {}
        #: the attributes the account declares (others are ignored by an import)
        self.attributes = {"FIRSTNAME", "LASTNAME", "SMS", "CITY"}
        self.processes = 0

    def rate_limited(self, retry_after: float | None) -> Reply:
        headers = {"x-sib-ratelimit-limit": "10", "x-sib-ratelimit-remaining": "0"}
        if retry_after is not None:
            headers["x-sib-ratelimit-reset"] = str(retry_after)
        return Reply(429, {"code": "too_many_requests", "message": "Too many requests"}, headers)

    def handle(self, request: Request) -> Reply:
        if request.headers.get("api-key") != self.api_key:
            raise error(401, "unauthorized", "Key not found")
        if request.method != "POST":
            raise error(405, "method_not_allowed", f"{request.method} not allowed")
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise error(400, "bad_request", "Content-Type must be application/json")
        try:
            body = request.json()
        except ValueError:
            raise error(400, "bad_request", "Invalid JSON") from None
        if not isinstance(body, dict):
            raise error(400, "bad_request", "The body must be a JSON object")
        if request.path == "/v3/contacts/import":
            return self.import_contacts(body)
        match = re.fullmatch(r"/v3/contacts/lists/(\d+)/contacts/remove", request.path)
        if match:
            return self.remove(int(match.group(1)), body)
        raise error(404, "document_not_found", f"no route {request.path}")

    def _list(self, list_id: Any) -> set[str]:
        if not isinstance(list_id, int) or list_id not in self.lists:
            raise error(404, "document_not_found", "List ID does not exist")
        return self.lists[list_id]

    def import_contacts(self, body: dict[str, Any]) -> Reply:
        unknown = set(body) - IMPORT_KEYS
        if unknown:
            raise error(400, "invalid_parameter", f"unknown parameter {sorted(unknown)[0]}")
        sources = [k for k in ("fileUrl", "fileBody", "jsonBody") if k in body]
        if len(sources) != 1:
            raise error(400, "missing_parameter", "one of fileUrl, fileBody, jsonBody is required")
        if not body.get("listIds") and "newList" not in body:
            raise error(400, "missing_parameter", "listIds or newList is required")
        lists = [self._list(list_id) for list_id in body.get("listIds") or []]
        contacts = body["jsonBody"]
        if not isinstance(contacts, list) or not contacts:
            raise error(400, "invalid_parameter", "jsonBody must be a non-empty array")
        update = body.get("updateExistingContacts", True)
        for contact in contacts:
            if not isinstance(contact, dict) or not isinstance(contact.get("email"), str):
                raise error(400, "invalid_parameter", "each jsonBody item needs an email")
            email = contact["email"].lower()
            if not EMAIL.match(email):
                continue  # the import process skips it (reported in its result file)
            attributes = contact.get("attributes") or {}
            if not isinstance(attributes, dict):
                raise error(400, "invalid_parameter", "attributes must be an object")
            if email in self.contacts and not update:
                continue
            kept = {k: v for k, v in attributes.items() if k in self.attributes}
            self.contacts.setdefault(email, {}).update(kept)
            for members in lists:
                members.add(email)
        self.processes += 1
        return Reply(202, {"processId": self.processes})

    def remove(self, list_id: int, body: dict[str, Any]) -> Reply:
        members = self._list(list_id)
        emails = body.get("emails")
        if not isinstance(emails, list) or not emails:
            raise error(400, "missing_parameter", "emails, ids or all is required")
        if len(emails) > 150:
            raise error(
                400, "invalid_parameter", "You can pass a maximum of 150 emails in one request"
            )
        success, failure = [], []
        for email in emails:
            if email in members:
                members.discard(email)
                success.append(email)
            else:
                failure.append(email)
        return Reply(201, {"contacts": {"success": success, "failure": failure}})
