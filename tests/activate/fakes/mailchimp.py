"""Mailchimp's Marketing API 3.0, as documented: HTTP basic auth with the API key as
password; ``POST /3.0/lists/{list_id}`` batch subscribe/unsubscribe (``members`` of at most
500, ``update_existing``; 200 with ``new_members``, ``updated_members`` and ``errors``);
``DELETE /3.0/lists/{list_id}/members/{md5 of the lower-case e-mail}`` archives (204, 404
when absent); errors are problem documents ``{"type", "title", "status", "detail"}``."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from activate.fakes.server import FakePlatform, Refused, Reply, Request

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STATUSES = {"subscribed", "unsubscribed", "cleaned", "pending", "transactional"}


def problem(status: int, title: str, detail: str) -> Refused:
    return Refused(
        Reply(
            status,
            {
                "type": "https://mailchimp.com/developer/marketing/docs/errors/",
                "title": title,
                "status": status,
                "detail": detail,
                "instance": "00000000-0000-0000-0000-000000000000",
            },
        )
    )


def md5(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()


class FakeMailchimp(FakePlatform):
    def __init__(self, api_key: str, lists: tuple[str, ...] = ("a1b2c3",)) -> None:
        super().__init__()
        self.api_key = api_key
        #: list id -> subscriber hash -> member
        self.lists: dict[str, dict[str, dict[str, Any]]] = {list_id: {} for list_id in lists}
        self.merge_tags = {"FNAME", "LNAME", "PHONE", "BIRTHDAY"}
        #: merge fields the audience's settings make required
        self.required_merge: set[str] = set()
        #: e-mails that unsubscribed themselves: the API may not resubscribe them
        self.compliance: set[str] = set()

    def rate_limited(self, retry_after: float | None) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        body = {
            "title": "Too Many Requests",
            "status": 429,
            "detail": "You have exceeded the limit of 10 simultaneous connections.",
        }
        return Reply(429, body, headers)

    def handle(self, request: Request) -> Reply:
        auth = request.basic_auth()
        if auth is None or auth[1] != self.api_key:
            raise problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        match = re.fullmatch(r"/3\.0/lists/([^/]+)", request.path)
        if match and request.method == "POST":
            return self.batch(self._list(match.group(1)), request)
        match = re.fullmatch(r"/3\.0/lists/([^/]+)/members/([^/]+)", request.path)
        if match and request.method == "DELETE":
            members = self._list(match.group(1))
            if match.group(2) not in members:
                raise problem(
                    404, "Resource Not Found", "The requested resource could not be found."
                )
            del members[match.group(2)]
            return Reply(204)
        raise problem(404, "Resource Not Found", f"no route {request.method} {request.path}")

    def _list(self, list_id: str) -> dict[str, dict[str, Any]]:
        if list_id not in self.lists:
            raise problem(404, "Resource Not Found", "The requested resource could not be found.")
        return self.lists[list_id]

    def batch(self, members: dict[str, dict[str, Any]], request: Request) -> Reply:
        try:
            body = request.json()
        except ValueError:
            raise problem(
                400, "JSON Parse Exception", "We encountered an unspecified JSON parsing error."
            ) from None
        items = body.get("members") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise problem(400, "Invalid Resource", "Schema describes array, object found instead")
        if len(items) > 500:
            raise problem(
                400, "Invalid Resource", "members: Schema describes array of at most 500 items"
            )
        for item in items:
            if not isinstance(item, dict) or "email_address" not in item:
                raise problem(400, "Invalid Resource", "email_address: required")
            if item.get("status") not in STATUSES and item.get("status_if_new") not in STATUSES:
                raise problem(
                    400, "Invalid Resource", "status: Data did not match any of the schemas"
                )
        update = bool(body.get("update_existing"))
        new, updated, errors = [], [], []
        for item in items:
            email = str(item["email_address"]).lower()
            key = md5(email)
            status = item.get("status") or item.get("status_if_new")
            merge = item.get("merge_fields") or {}

            def refuse(message: str, code: str, email: str = email, **field: str) -> None:
                errors.append(
                    {"email_address": email, "error": message, "error_code": code, **field}
                )

            missing = sorted(t for t in self.required_merge if not merge.get(t))
            # tags the audience does not have are ignored
            merge = {k: v for k, v in merge.items() if k in self.merge_tags}

            if not EMAIL.match(email):
                refuse(
                    f"{email} looks fake or invalid, please enter a real email address.",
                    "ERROR_GENERIC",
                )
            elif missing and (status == "subscribed" or key not in members):
                refuse(
                    "Your merge fields were invalid.",
                    "ERROR_GENERIC",
                    field=missing[0],
                    field_message="Please enter a value",
                )
            elif status == "subscribed" and email in self.compliance:
                refuse(
                    f"{email} is in a compliance state due to unsubscribe, bounce, or "
                    "compliance review and cannot be subscribed.",
                    "ERROR_CONTACT_EXISTS",
                )
            elif key in members and not update:
                refuse(f"{email} is already a list member.", "ERROR_CONTACT_EXISTS")
            else:
                member = members.setdefault(key, {"email_address": email, "merge_fields": {}})
                (updated if member.get("status") else new).append({"email_address": email})
                member["status"] = status
                member["merge_fields"].update(merge)
        return Reply(
            200,
            {
                "new_members": new,
                "updated_members": updated,
                "errors": errors,
                "total_created": len(new),
                "total_updated": len(updated),
                "error_count": len(errors),
            },
        )

    def subscribed(self, list_id: str) -> dict[str, dict[str, Any]]:
        """e-mail -> merge fields of the list's subscribed members."""
        return {
            m["email_address"]: m["merge_fields"]
            for m in self.lists[list_id].values()
            if m["status"] == "subscribed"
        }
