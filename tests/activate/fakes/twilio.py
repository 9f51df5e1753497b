"""Twilio's Messages API, as documented: HTTP basic auth (Account SID, Auth Token);
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` form-encoded ``To`` (E.164),
``From`` or ``MessagingServiceSid``, ``Body`` (at most 1,600 characters); 201 with the
message (``sid`` SM…); errors ``{"code", "message", "more_info", "status"}``."""

from __future__ import annotations

import re
from typing import Any

from activate.fakes.server import FakePlatform, Refused, Reply, Request

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


def twilio_error(status: int, code: int, message: str) -> Refused:
    return Refused(
        Reply(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )
    )


class FakeTwilio(FakePlatform):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        #: messages accepted, in order
        self.sent: list[dict[str, Any]] = []
        #: numbers that replied STOP
        self.opted_out: set[str] = set()

    def rate_limited(self, retry_after: float | None) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return Reply(
            429,
            {
                "code": 20429,
                "message": "Too Many Requests",
                "more_info": "https://www.twilio.com/docs/errors/20429",
                "status": 429,
            },
            headers,
        )

    def handle(self, request: Request) -> Reply:
        if request.basic_auth() != (self.account_sid, self.auth_token):
            raise twilio_error(401, 20003, "Authenticate")
        if (
            request.method != "POST"
            or request.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        ):
            raise twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            raise twilio_error(400, 20001, "Parameters must be form-encoded")
        form = {k: v[0] for k, v in request.form().items()}
        to = form.get("To", "")
        if not to:
            raise twilio_error(400, 21604, "A 'To' phone number is required.")
        if not E164.match(to):
            raise twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            raise twilio_error(400, 21603, "A 'From' phone number is required.")
        body = form.get("Body", "")
        if not body:
            raise twilio_error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            raise twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to in self.opted_out:
            raise twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = f"SM{len(self.sent) + 1:032x}"
        message = {
            "sid": sid,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": body,
            "status": "queued",
            "account_sid": self.account_sid,
        }
        self.sent.append(message)
        return Reply(201, message)
