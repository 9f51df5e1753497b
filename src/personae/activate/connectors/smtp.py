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
from email.charset import QP, Charset
from email.header import Header
from email.message import Message as MimeMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from personae.activate.connectors.base import (
    Message,
    PermanentError,
    SendResult,
    TransientError,
)
from personae.config.messages import EmailChannel
from personae.errors import ConfigError

ONE_CLICK = "List-Unsubscribe=One-Click"
#: UTF-8 bodies in quoted-printable: readable, and what spam filters expect
_QP = Charset("utf-8")
_QP.body_encoding = QP
#: SMTP lines end in CRLF (smtplib sends bytes as they are)
_WIRE = compat32.clone(linesep="\r\n")


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

    def build(self, message: Message) -> MimeMessage:
        """The e-mail of ``message`` as it is sent. Built with the ``compat32`` MIME
        classes: five times faster than ``EmailMessage`` at building and flattening."""
        text = _part(message.body, "plain")
        html = message.extra.get("html")
        email: MimeMessage
        if html:
            email = MIMEMultipart("alternative")
            email.attach(text)
            email.attach(_part(str(html), "html"))
        else:
            email = text
        email["From"] = _address(self.channel.sender)
        email["To"] = _header(message.to, "the recipient")
        if self.channel.reply_to:
            email["Reply-To"] = _address(self.channel.reply_to)
        email["Subject"] = _header(message.subject or "", "the subject")
        email["Date"] = formatdate(localtime=False, usegmt=True)
        token = re.sub(r"[^A-Za-z0-9._-]", "-", message.message_id)
        email["Message-ID"] = make_msgid(idstring=token, domain=self._domain)
        email["X-Personae-Campaign"] = _header(message.campaign, "the campaign")
        email["X-Personae-Message-Id"] = _header(message.message_id, "the message id")
        unsubscribe = message.extra.get("unsubscribe_url")
        if unsubscribe:
            targets = [f"<{_header(str(unsubscribe), 'the unsubscribe URL')}>"]
            if self.channel.unsubscribe_mailto:
                address = parseaddr(self.channel.unsubscribe_mailto)[1]
                targets.append(f"<mailto:{address}?subject=unsubscribe%20{token}>")
            email["List-Unsubscribe"] = ", ".join(targets)
            email["List-Unsubscribe-Post"] = ONE_CLICK
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
                refused = self._client.sendmail(sender, [message.to], email.as_bytes(policy=_WIRE))
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


def _header(value: str, what: str) -> str:
    """A header value: ASCII as is, anything else RFC 2047-encoded; a line break (which
    would start another header) is refused."""
    if "\r" in value or "\n" in value:
        raise PermanentError(f"{what} holds a line break, which would forge headers: {value!r}")
    return value if value.isascii() else Header(value, "utf-8").encode()


def _part(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, _QP)
    return part


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _answer(code: int, why: bytes | str, what: str) -> TransientError | PermanentError:
    detail = f"the SMTP server {what}: {code} {_text(why)}"
    return TransientError(detail) if 400 <= code < 500 else PermanentError(detail)
