"""Message templates (``messages.templates``) filled with a person's profile.

Placeholders are ``string.Template``'s ``${name}``: a profile field (``${first_name}``) or
one of :data:`BUILTINS` (``${unsubscribe_url}``, ``${campaign}``, ``${message_id}``). A
missing profile value is empty. In the HTML body every value is HTML-escaped, links
(``href="http…"``) go through the signed click redirect when ``track_clicks`` is on, and a
tracking pixel is added when ``track_opens`` is on.

An SMS template marked commercial (the default) gets ``messages.sms.stop_text`` (``STOP au
36xxx``) appended when its text lacks it.

:func:`compose` turns a template, a profile and the ids the orchestrator decided into the
:class:`~personae.activate.connectors.base.Message` a connector sends.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

from personae.activate.connectors.base import Message
from personae.activate.links import MessageLinks
from personae.config.messages import MessagesConfig, MessageTemplate
from personae.config.models import ProjectConfig
from personae.errors import ConfigError, did_you_mean

BUILTINS = ("unsubscribe_url", "campaign", "message_id")
_HREF = re.compile(r"""(href\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def template_of(config: MessagesConfig, name: str) -> MessageTemplate:
    if name not in config.templates:
        declared = list(config.templates)
        hint = did_you_mean(name, declared, prefix="") or f"declared: {', '.join(declared)}"
        raise ConfigError(f"no template {name!r}; {hint or 'none declared'}", path="messages")
    return config.templates[name]


def check_template(name: str, template: MessageTemplate, fields: Iterable[str]) -> None:
    """Raise a :class:`ConfigError` naming each placeholder that is neither a profile
    field nor a built-in."""
    listed = [f for f in fields if "__" not in f and f != "person_id"]
    known = {*listed, *BUILTINS}
    for placeholder in sorted(template.placeholders() - known):
        shown = ", ".join(listed[:25]) + (", …" if len(listed) > 25 else "")
        raise ConfigError(
            f"${{{placeholder}}} is not a profile field or trait"
            f"{did_you_mean(placeholder, known)}; use one of {shown} or "
            f"{', '.join(BUILTINS)}",
            path=f"messages.templates.{name}",
        )


def check_templates(config: ProjectConfig, columns: Iterable[str]) -> None:
    """Every template's placeholders name a profile field or trait (``columns``) or a
    built-in, and its channel is a declared consent channel (``personae validate``)."""
    known = list(columns)
    channels = config.consent.channels
    for name, template in config.messages.templates.items():
        if template.channel not in channels:
            raise ConfigError(
                f"channel {template.channel!r} is not one of {', '.join(channels)}"
                f"{did_you_mean(template.channel, channels)}",
                path=f"messages.templates.{name}.channel",
            )
        check_template(name, template, known)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def render_text(source: str, values: Mapping[str, Any]) -> str:
    return string.Template(source).substitute({k: _text(v) for k, v in values.items()})


def _one_line(source: str, values: Mapping[str, Any]) -> str:
    """A header's text: a value holding a line break cannot inject another header."""
    return re.sub(r"\s*[\r\n]+\s*", " ", render_text(source, values)).strip()


def render_html(
    source: str, values: Mapping[str, Any], links: MessageLinks, *, clicks: bool, opens: bool
) -> str:
    escaped = {k: html.escape(_text(v), quote=True) for k, v in values.items()}
    body = string.Template(source).substitute(escaped)
    if clicks:
        unsubscribe = escaped.get("unsubscribe_url")

        def tracked(match: re.Match[str]) -> str:
            url = html.unescape(match.group(3))
            if match.group(3) == unsubscribe or url == links.unsubscribe:
                return match.group(0)
            quote = match.group(2)
            return f"{match.group(1)}{quote}{html.escape(links.click(url))}{quote}"

        body = _HREF.sub(tracked, body)
    if opens:
        pixel = f'<img src="{html.escape(links.pixel)}" width="1" height="1" alt="">'
        ends = list(_BODY_END.finditer(body))
        if ends:
            at = ends[-1].start()
            body = f"{body[:at]}{pixel}{body[at:]}"
        else:
            body = f"{body}{pixel}"
    return body


def compose(
    config: MessagesConfig,
    template_name: str,
    profile: Mapping[str, Any],
    links: MessageLinks,
    *,
    person_id: int,
    to: str,
) -> Message:
    """The message of ``template_name`` for one person, its links signed for them."""
    template = template_of(config, template_name)
    check_template(template_name, template, profile)
    values = {
        **profile,
        "unsubscribe_url": links.unsubscribe,
        "campaign": links.campaign,
        "message_id": links.message_id,
    }
    email = config.email
    extra: dict[str, Any] = {"template": template_name}
    if template.channel == "email":  # an SMS is unsubscribed by answering STOP
        extra["unsubscribe_url"] = links.unsubscribe
    if template.html is not None:
        extra["html"] = render_html(
            template.html,
            values,
            links,
            clicks=email.track_clicks if email else False,
            opens=email.track_opens if email else False,
        )
    body = render_text(template.text, values)
    stop = config.sms.stop_text
    if template.channel == "sms" and template.commercial and stop and stop not in body:
        body = f"{body}\n{stop}"
    extra["commercial"] = template.commercial
    return Message(
        message_id=links.message_id,
        campaign=links.campaign,
        person_id=person_id,
        channel=template.channel,
        to=to,
        subject=None if template.subject is None else _one_line(template.subject, values),
        body=body,
        extra=extra,
    )
