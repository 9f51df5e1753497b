"""E-mail through a real SMTP server (aiosmtpd): templates, RFC 8058 headers, STARTTLS,
login, and SMTP answers sorted into transient and permanent failures."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers.smtp import Inbox, accept_login, require_aiosmtpd, self_signed, smtp_server
from personae.activate.connectors.base import PermanentError, TransientError
from personae.activate.connectors.smtp import SmtpConnector
from personae.activate.links import MessageLinks
from personae.activate.templates import compose
from personae.collect.signing import verify
from personae.config.messages import EmailChannel, MessagesConfig
from personae.errors import ConfigError

require_aiosmtpd()

SECRET = b"k" * 32
TEMPLATES = {
    "spring": {
        "subject": "${first_name}, -20% this spring",
        "text": "Hello ${first_name},\nour sale: https://shop.example/sale\n"
        "Unsubscribe: ${unsubscribe_url}",
        "html": '<html><body><p>Hello ${first_name}</p><a href="https://shop.example/sale">'
        'Sale</a> <a href="${unsubscribe_url}">Unsubscribe</a></body></html>',
    }
}

PROFILE = {"first_name": None, "last_name": "Martin"}  # a missing value renders empty


def messages_config(port: int, **smtp: Any) -> MessagesConfig:
    return MessagesConfig.model_validate(
        {
            "email": {
                "from": "Shop <news@shop.example>",
                "unsubscribe_mailto": "unsubscribe@shop.example",
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none", **smtp},
            },
            "templates": TEMPLATES,
        }
    )


def links(message_id: str = "m-1", email: str = "jeanne@example.org") -> MessageLinks:
    return MessageLinks(
        SECRET, "https://collect.shop.example", "messages", "spring", message_id, email
    )


def email_channel(config: MessagesConfig) -> EmailChannel:
    assert config.email is not None
    return config.email


def test_a_templated_email_arrives_with_its_one_click_unsubscribe() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = messages_config(port)
        profile = {"first_name": "Jeanne <b>&", "last_name": "Martin"}
        message = compose(config, "spring", profile, links(), person_id=7, to="jeanne@example.org")
        connector = SmtpConnector(email_channel(config))
        result = connector.send(message)
        connector.close()
    (got,) = inbox.received
    assert got.mail_from == "news@shop.example" and got.rcpt_tos == ["jeanne@example.org"]
    mail = got.message
    assert mail["Subject"] == "Jeanne <b>&, -20% this spring"
    assert mail["X-Personae-Campaign"] == "spring"
    assert mail["X-Personae-Message-Id"] == "m-1"
    assert result.provider_id == mail["Message-ID"] and "@shop.example>" in mail["Message-ID"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (part.strip().strip("<>") for part in mail["List-Unsubscribe"].split(","))
    assert https == links().unsubscribe
    assert mailto.startswith("mailto:unsubscribe@shop.example?subject=unsubscribe")
    query = {k: v[0] for k, v in parse_qs(urlsplit(https).query).items()}
    assert verify(SECRET, query)
    assert query["email"] == "jeanne@example.org"
    ids = (query["campaign"], query["message_id"], query["source"])
    assert ids == ("spring", "m-1", "messages")
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert "Hello Jeanne <b>&," in text.get_content()  # plain text: as is
    assert https in text.get_content()
    content = html.get_content()
    assert "Hello Jeanne &lt;b&gt;&amp;" in content  # HTML: escaped
    assert "<b>&" not in content
    assert "https://collect.shop.example/v1/r?" in content  # the sale link is tracked
    assert 'href="https://shop.example/sale"' not in content
    assert "/v1/pixel.gif?" in content and content.index("pixel.gif") < content.index("</body>")
    assert content.count("/v1/unsubscribe?") == 1  # the unsubscribe link is not redirected


def test_values_cannot_inject_headers() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = messages_config(port)
        profile = {"first_name": "Eve\r\nBcc: victim@example.org"}
        message = compose(config, "spring", profile, links(), person_id=1, to="eve@example.org")
        SmtpConnector(email_channel(config)).send(message)
    (got,) = inbox.received
    assert got.rcpt_tos == ["eve@example.org"]
    assert got.message["Bcc"] is None
    assert got.message["Subject"].startswith("Eve Bcc: victim@example.org")


def test_login_and_refused_login(monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = Inbox()
    options = {"authenticator": accept_login("shop", "s3cret"), "auth_require_tls": False}
    with smtp_server(inbox, **options) as port:
        config = messages_config(port, username_env="SMTP_USER", password_env="SMTP_PASSWORD")
        message = compose(config, "spring", PROFILE, links(), person_id=1, to="a@example.org")
        env = {"SMTP_USER": "shop", "SMTP_PASSWORD": "s3cret"}
        SmtpConnector(email_channel(config), environ=env).send(message)
        assert len(inbox.received) == 1
        wrong = SmtpConnector(email_channel(config), environ={**env, "SMTP_PASSWORD": "no"})
        with pytest.raises(PermanentError, match=r"refused the login.*SMTP_USER"):
            wrong.send(message)
    with pytest.raises(ConfigError, match="SMTP_PASSWORD"):
        SmtpConnector(email_channel(config), environ={"SMTP_USER": "shop"})


def test_starttls(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    inbox = Inbox()
    with smtp_server(inbox, tls_context=server_tls, require_starttls=True) as port:
        config = messages_config(port, security="starttls")
        message = compose(config, "spring", PROFILE, links(), person_id=1, to="a@example.org")
        SmtpConnector(email_channel(config), tls_context=client_tls).send(message)
        assert len(inbox.received) == 1
        # without STARTTLS the server refuses the mail: a permanent error (530)
        plain = SmtpConnector(email_channel(messages_config(port)))
        with pytest.raises(PermanentError, match="530"):
            plain.send(message)
        # a certificate the client does not trust: nothing is sent
        with pytest.raises(TransientError, match="certificate"):
            SmtpConnector(email_channel(config)).send(message)
    assert len(inbox.received) == 1


def test_smtp_answers_are_transient_or_permanent() -> None:
    inbox = Inbox(
        refuse={
            "full@example.org": "452 4.2.2 Mailbox full",
            "nobody@example.org": "550 5.1.1 No such user",
        }
    )
    with smtp_server(inbox) as port:
        config = messages_config(port)
        connector = SmtpConnector(email_channel(config))

        def send(to: str) -> None:
            message = compose(config, "spring", PROFILE, links(to), person_id=1, to=to)
            connector.send(message)

        with pytest.raises(TransientError, match=r"452 4.2.2 Mailbox full"):
            send("full@example.org")
        with pytest.raises(PermanentError, match=r"550 5.1.1 No such user"):
            send("nobody@example.org")
        send("ok@example.org")  # the connection survives refused recipients
        connector.close()
    assert [r.rcpt_tos for r in inbox.received] == [["ok@example.org"]]
    down = SmtpConnector(email_channel(messages_config(port)))
    with pytest.raises(TransientError, match="cannot reach the SMTP server"):
        down.send(compose(config, "spring", PROFILE, links(), person_id=1, to="a@example.org"))


def test_accents_survive_and_a_forged_recipient_is_refused() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = messages_config(port)
        email = email_channel(config).model_copy(
            update={"sender": "Boutique Élise <news@shop.example>"}
        )
        connector = SmtpConnector(email)
        profile = {"first_name": "Hélène", "last_name": "Çelik"}
        message = compose(config, "spring", profile, links(), person_id=1, to="h@example.org")
        connector.send(message)
        forged = compose(
            config, "spring", profile, links(), person_id=1, to="h@example.org\r\nBcc: x@y.fr"
        )
        with pytest.raises(PermanentError, match="line break"):
            connector.send(forged)
        connector.close()
    (got,) = inbox.received
    mail = got.message
    assert mail["Subject"] == "Hélène, -20% this spring"
    assert mail["From"] == "Boutique Élise <news@shop.example>"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert "Hello Hélène," in text.get_content()
    assert "Hello Hélène</p>" in html.get_content()
    assert all(len(line) <= 998 for line in mail.as_string().splitlines())
