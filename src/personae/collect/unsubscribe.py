"""The unsubscribe link of personae's e-mails (``/v1/unsubscribe``), RFC 8058.

The link is signed by the project (:mod:`personae.collect.signing`) over its query:
``source``, ``email``, ``campaign``, ``message_id`` and the recipient's ``userId`` or
``anonymousId``, so nobody can unsubscribe someone else.

* ``POST`` (the mail client's one-click request, body ``List-Unsubscribe=One-Click``, or
  the landing page's button) records a track event :data:`UNSUBSCRIBE_EVENT` with the
  e-mail in ``context.traits`` and ``campaign``/``message_id`` in its properties; the
  consent ledger reads it (``consent.unsubscribe.events``) and withdraws
  ``email_marketing`` on ``email`` for the person holding that e-mail. Its messageId is
  derived from the message's, so repeated clicks count once.
* ``GET`` only shows a page with a button that POSTs: link scanners and previews follow
  GET links, and must not unsubscribe anybody (RFC 8058, section 3.2).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from personae.collect.errors import ApiError
from personae.collect.keys import WriteKey
from personae.collect.signing import verify

#: the event recorded; listed in ``consent.unsubscribe.events`` by default
UNSUBSCRIBE_EVENT = "Unsubscribed"
_IDENTITY = ("userId", "anonymousId")


def check(secret: bytes, params: Mapping[str, str]) -> WriteKey:
    """The signed source of an unsubscribe link; refuses an unsigned or altered one."""
    if not verify(secret, params) or not params.get("source") or not params.get("email"):
        raise ApiError(
            400,
            "unsigned_url",
            "this unsubscribe link is not signed by the server or was altered; use the "
            "link of the e-mail as it was received",
        )
    return WriteKey(key_id="signed", source=params["source"], created_at="")


def message(params: Mapping[str, str], method: str, user_agent: str) -> dict[str, Any]:
    """The track message recording the unsubscribe."""
    properties = {k: params[k] for k in ("campaign", "message_id") if params.get(k)}
    properties["channel"] = "email"
    properties["method"] = method
    event: dict[str, Any] = {
        "event": UNSUBSCRIBE_EVENT,
        "properties": properties,
        "context": {"traits": {"email": params["email"]}, "userAgent": user_agent},
    }
    for name in _IDENTITY:
        if params.get(name):
            event[name] = params[name]
    if not any(params.get(n) for n in _IDENTITY):
        event["anonymousId"] = f"unsubscribe:{params.get('message_id') or params['email']}"
    if params.get("message_id"):
        event["messageId"] = f"unsubscribe-{params['message_id']}"
    return event


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<h1>{title}</h1>
{body}
</body></html>
"""


def landing_page(email: str, action: str) -> str:
    """The GET page: asks for a click before anything is recorded."""
    body = (
        f"<p>Stop receiving marketing e-mails at <strong>{html.escape(email)}</strong>?</p>"
        f'<form method="post" action="{html.escape(action, quote=True)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _PAGE.format(title="Unsubscribe", body=body)


def done_page(email: str) -> str:
    body = (
        f"<p><strong>{html.escape(email)}</strong> will receive no more marketing e-mails. "
        "It may take until the next sync to take effect everywhere.</p>"
    )
    return _PAGE.format(title="You are unsubscribed", body=body)
