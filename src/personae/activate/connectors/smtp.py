"""E-mail through an SMTP server (``messages.email``).

Each message is a ``multipart/alternative`` (text, and HTML when the template has one)
carrying:

* ``List-Unsubscribe: <https://…/v1/unsubscribe?…>`` (and ``<mailto:…>`` when
  ``unsubscribe_mailto`` is set) with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
  (RFC 8058, required by Gmail and Yahoo for bulk senders): the mail client POSTs to the
  signed URL and ``personae serve`` records the unsubscribe;
* ``X-Personae-Campaign`` and ``X-Personae-Message-Id``, the ids of the decision;
* a ``Message-ID`` of its own, returned as the provider id.

One connection serves every message of a run (opened on the first send, reopened when
the server drops it). Failures are sorted as the contract says: a 4xx answer, a refused
or dropped connection or a timeout is a :class:`TransientError`; a 5xx answer (a refused
recipient, a refused login) is a :class:`PermanentError`.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from personae.activate.connectors.base import (
    Message,
    PermanentError,
    SendResult,
    TransientError,
)
from personae.config.messages import EmailChannel
from personae.errors import ConfigError

ONE_CLICK = "List-Unsubscribe=One-Click"


class SmtpConnector:
    """Sends e-mails through ``channel.smtp``; see the module's docstring."""

    def __init__(
        self,
        channel: EmailChannel,
        *,
        environ: Mapping[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.channel = channel
        self.smtp = channel.smtp
        self.tls_context = tls_context or ssl.create_default_context()
        self.login: tuple[str, str] | None = None
        env = os.environ if environ is None else environ
        if self.smtp.username_env is not None and self.smtp.password_env is not None:
            missing = [n for n in (self.smtp.username_env, self.smtp.password_env) if n not in env]
            if missing:
                raise ConfigError(
                    f"the environment variable {' and '.join(missing)} holding the SMTP "
                    "login is not set; export it before sending",
                    path="messages.email.smtp",
                )
            self.login = (env[self.smtp.username_env], env[self.smtp.password_env])
        self._client: smtplib.SMTP | None = None
        domain = parseaddr(channel.sender)[1].rpartition("@")[2]
        self._domain = domain or None

    # --- the wire format

    def build(self, message: Message) -> EmailMessage:
        """The e-mail of ``message`` as it is sent."""
        email = EmailMessage()
        email["From"] = self.channel.sender
        email["To"] = message.to
        if self.channel.reply_to:
            email["Reply-To"] = self.channel.reply_to
        email["Subject"] = message.subject or ""
        email["Date"] = formatdate(localtime=False, usegmt=True)
        token = re.sub(r"[^A-Za-z0-9._-]", "-", message.message_id)
        email["Message-ID"] = make_msgid(idstring=token, domain=self._domain)
        email["X-Personae-Campaign"] = message.campaign
        email["X-Personae-Message-Id"] = message.message_id
        unsubscribe = message.extra.get("unsubscribe_url")
        if unsubscribe:
            targets = [f"<{unsubscribe}>"]
            if self.channel.unsubscribe_mailto:
                address = parseaddr(self.channel.unsubscribe_mailto)[1]
                targets.append(f"<mailto:{address}?subject=unsubscribe%20{message.message_id}>")
            email["List-Unsubscribe"] = ", ".join(targets)
            email["List-Unsubscribe-Post"] = ONE_CLICK
        email.set_content(message.body)
        html = message.extra.get("html")
        if html:
            email.add_alternative(html, subtype="html")
        return email

    # --- sending

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        try:
            client: smtplib.SMTP
            if smtp.security == "ssl":
                client = smtplib.SMTP_SSL(
                    smtp.host,
                    smtp.effective_port,
                    timeout=smtp.timeout_seconds,
                    context=self.tls_context,
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=smtp.timeout_seconds)
                if smtp.security == "starttls":
                    client.starttls(context=self.tls_context)
            if self.login is not None:
                client.login(*self.login)
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(
                f"the SMTP server {smtp.host}:{smtp.effective_port} does not offer "
                f"STARTTLS ({exc}); set messages.email.smtp.security to ssl or none"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(
                f"the SMTP server {smtp.host} refused the login: {exc.smtp_code} "
                f"{_text(exc.smtp_error)}; check {smtp.username_env} and {smtp.password_env}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(
                f"cannot reach the SMTP server {smtp.host}:{smtp.effective_port}: {exc}"
            ) from None
        return client

    def send(self, message: Message) -> SendResult:
        email = self.build(message)
        sender = parseaddr(self.channel.sender)[1]
        for attempt in (1, 2):
            if self._client is None:
                self._client = self._connect()
            try:
                refused = self._client.send_message(email, from_addr=sender, to_addrs=[message.to])
            except smtplib.SMTPServerDisconnected:
                self._client = None
                if attempt == 2:
                    raise TransientError(
                        f"the SMTP server {self.smtp.host} closed the connection"
                    ) from None
                continue  # an idle connection the server dropped: reconnect once
            except smtplib.SMTPRecipientsRefused as exc:
                code, why = exc.recipients.get(message.to, (550, b"refused"))
                raise _answer(code, why, f"refused the recipient {message.to}") from None
            except smtplib.SMTPResponseException as exc:
                raise _answer(exc.smtp_code, exc.smtp_error, "refused the message") from None
            except (OSError, smtplib.SMTPException) as exc:
                self._client = None
                raise TransientError(f"sending through {self.smtp.host} failed: {exc}") from None
            if refused:  # only possible with several recipients; kept for safety
                code, why = next(iter(refused.values()))
                raise _answer(code, why, f"refused the recipient {message.to}")
            return SendResult(provider_id=str(email["Message-ID"]))
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._client.quit()
            self._client = None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _answer(code: int, why: bytes | str, what: str) -> TransientError | PermanentError:
    detail = f"the SMTP server {what}: {code} {_text(why)}"
    return TransientError(detail) if 400 <= code < 500 else PermanentError(detail)
