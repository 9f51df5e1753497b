"""SMS through Twilio's Programmable Messaging API.

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded: ``To`` (E.164),
  ``From`` (a number or an alphanumeric sender id) or ``MessagingServiceSid``, ``Body``
  (at most 1,600 characters), ``StatusCallback`` when configured;
* auth: HTTP basic, the Account SID and its Auth Token;
* Twilio answers 201 with the message (its ``sid`` becomes the send's ``provider_id``);
  errors are ``{"code", "message", "more_info", "status"}``: 429 (code 20429) and 5xx are
  retried, honouring ``Retry-After``; 401 names the credential; any other 4xx (an invalid
  or unsubscribed number: 21211, 21610…) is final for that message.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from personae.activate.connectors import platform_http as http
from personae.activate.connectors.base import Message, PermanentError, SendResult
from personae.config.platforms import TwilioSms

#: Twilio's limit of characters of one message body
MAX_BODY = 1_600
_PLATFORM = "Twilio"


class TwilioConnector:
    def __init__(self, config: TwilioSms, *, account_sid: str, auth_token: str) -> None:
        self.config = config
        self.url = f"{config.base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"
        pair = f"{account_sid}:{auth_token}".encode()
        self._auth = "Basic " + base64.b64encode(pair).decode()
        self._credential = (
            f"environment variables {config.account_sid_env} and {config.auth_token_env}"
        )

    @classmethod
    def from_config(
        cls, config: TwilioSms, *, path: str, env: Mapping[str, str] | None = None
    ) -> TwilioConnector:
        sid = http.secret(
            env, config.account_sid_env, path=f"{path}.account_sid_env", what="the Account SID"
        )
        token = http.secret(
            env, config.auth_token_env, path=f"{path}.auth_token_env", what="the Auth Token"
        )
        return cls(config, account_sid=sid, auth_token=token)

    def send(self, message: Message) -> SendResult:
        if len(message.body) > MAX_BODY:
            raise PermanentError(
                f"SMS {message.message_id} of campaign {message.campaign!r} has "
                f"{len(message.body)} characters, more than Twilio's {MAX_BODY}; shorten "
                "its template"
            )
        form = {"To": message.to, "Body": message.body}
        if self.config.messaging_service_sid:
            form["MessagingServiceSid"] = self.config.messaging_service_sid
        else:
            form["From"] = str(self.config.from_)
        if self.config.status_callback:
            form["StatusCallback"] = self.config.status_callback
        response = http.request(
            "POST",
            self.url,
            headers={
                "authorization": self._auth,
                "content-type": "application/x-www-form-urlencoded",
                "accept": "application/json",
            },
            body=http.form_encode(form),
            platform=_PLATFORM,
        )
        answer = response.json()
        if response.status >= 300:
            detail = (
                f"{answer.get('message')} (code {answer.get('code')}, {answer.get('more_info')})"
                if isinstance(answer, dict)
                else response.body[:200].decode("utf-8", "replace")
            )
            http.fail(
                response,
                platform=_PLATFORM,
                what=f"SMS {message.message_id}",
                detail=detail,
                credential=self._credential,
            )
        sid = answer.get("sid") if isinstance(answer, dict) else None
        return SendResult(provider_id=str(sid) if sid else None)

    def close(self) -> None:
        """Nothing to release."""
