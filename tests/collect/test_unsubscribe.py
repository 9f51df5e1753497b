"""The whole unsubscribe loop: an e-mail sent through SMTP, its RFC 8058 one-click URL
POSTed back to personae serve, the event collected, and after the pipeline the person's
e-mail consent withdrawn. (No address is at example.org: identity resolution blocks such
test domains, and the unsubscribe would then reach nobody.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from helpers.collect import Served, ServeFactory
from helpers.smtp import Inbox, require_aiosmtpd, smtp_server
from personae.activate.connectors.messages import message_connector
from personae.activate.links import MessageLinks
from personae.activate.outbox import Decision, compose_messages
from personae.config.loader import load_config
from personae.errors import ConfigError
from personae.pipeline import run
from personae.project import Project

CONFIG = """
as_of: 2026-11-01
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {customer_id: id, email: email, first_name: first}
    consent:
      - {column: news, purpose: email_marketing, at: news_at}
collect:
  flush_seconds: 60
  public_url: http://testserver
messages:
  email:
    from: Shop <news@shop.example>
    smtp: {host: 127.0.0.1, port: PORT, security: none}
  templates:
    spring:
      subject: "${first_name}, our spring sale"
      text: "Hello ${first_name}. Unsubscribe: ${unsubscribe_url}"
"""
CRM = (
    "id,email,first,news,news_at\n"
    "c1,jeanne@client.fr,Jeanne,yes,2026-01-10\n"
    "c2,paul@client.fr,Paul,yes,2026-01-10\n"
)


def consent(served: Served) -> dict[str, Any]:
    """E-mail -> may the person be e-mailed; one person per e-mail."""
    with Project.load(served.root) as project:
        run(project)
        rows = project.engine.rows(
            "SELECT p.email, f.consent_email_marketing FROM consent_flags f "
            "JOIN profiles p USING (person_id)"
        )
    assert len({email for email, _ in rows}) == len(rows), rows
    return dict(rows)


def send_spring(served: Served, email: str) -> None:
    """Send the spring e-mail to the person holding ``email``, as the orchestrator does."""
    config = load_config(served.root)
    with Project.load(served.root) as project:
        ids = dict(project.engine.rows("SELECT email, person_id FROM profiles"))
        decisions = [
            Decision("m-1", "spring", ids[email], "spring"),
            Decision("m-2", "spring", 999_999, "spring"),  # gone since the decision
        ]
        outbox = compose_messages(project.engine, config, served.root, decisions)
    assert outbox.unaddressed == {"m-2": "person 999999 has no profile (erased or merged)"}
    connector = message_connector(config, served.root, "email")
    for message in outbox.messages:
        connector.send(message)
    connector.close()


def test_one_click_unsubscribe_withdraws_email_consent(serve: ServeFactory) -> None:
    require_aiosmtpd()
    inbox = Inbox()
    with smtp_server(inbox) as port:
        served = serve(CONFIG.replace("PORT", str(port)))
        (served.root / "crm.csv").write_text(CRM)
        assert consent(served) == {"jeanne@client.fr": True, "paul@client.fr": True}
        send_spring(served, "jeanne@client.fr")
    (received,) = inbox.received
    mail = received.message
    assert mail["Subject"] == "Jeanne, our spring sale"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip().strip("<>")
    assert url.startswith("http://testserver/v1/unsubscribe?")
    body = mail.get_body(("plain",))
    assert body is not None and url in body.get_content()
    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}"

    page = served.client.get(path)  # a link scanner's GET records nothing
    assert page.status_code == 200 and 'method="post"' in page.text
    assert "jeanne@client.fr" in page.text
    assert served.rows() == []

    forged = path.replace("jeanne%40client.fr", "paul%40client.fr")
    for method in (served.client.get, served.client.post):
        refused = method(forged)
        assert refused.status_code == 400 and refused.json()["code"] == "unsigned_url"

    one_click = {"content-type": "application/x-www-form-urlencoded"}
    for _ in range(2):  # a mail client retrying counts once
        done = served.client.post(path, content=b"List-Unsubscribe=One-Click", headers=one_click)
        assert done.status_code == 200 and "unsubscribed" in done.text
    (row,) = served.rows()
    assert (row["source"], row["event"]) == ("messages", "Unsubscribed")
    assert consent(served) == {"jeanne@client.fr": False, "paul@client.fr": True}
    with Project.load(served.root) as project:
        (withdrawal,) = project.engine.rows(
            "SELECT purpose, channel, source, proof FROM profile_consent WHERE status = 'withdrawn'"
        )
    assert withdrawal[:3] == ("email_marketing", "email", "messages")
    assert '"campaign":"spring"' in withdrawal[3].replace(" ", "")


def test_email_needs_the_unsubscribe_event_and_a_public_url(serve: ServeFactory) -> None:
    served = serve(
        CONFIG.replace("PORT", "2525") + "consent:\n  unsubscribe: {events: [Email Unsubscribed]}\n"
    )
    config = load_config(served.root)
    try:
        message_connector(config, served.root, "email")
    except ConfigError as exc:
        assert "consent.unsubscribe.events" in str(exc) and "'Unsubscribed'" in str(exc)
    else:
        raise AssertionError("an e-mail whose unsubscribes withdraw nothing must be refused")
    no_url = config.collect.model_copy(update={"public_url": None})
    bare = config.model_copy(update={"collect": no_url})
    try:
        MessageLinks.of_project(bare, served.root, campaign="c", message_id="m", email="a@b.fr")
    except ConfigError as exc:
        assert "collect.public_url" in str(exc)
    else:
        raise AssertionError("links need collect.public_url")


def test_validate_names_an_unknown_template_field(serve: ServeFactory) -> None:
    from personae.pipeline import validate

    served = serve(CONFIG.replace("PORT", "2525").replace("Hello ${first_name}", "Hi ${frist}"))
    try:
        validate(load_config(served.root), served.root)
    except ConfigError as exc:
        assert "messages.templates.spring" in str(exc) and "${frist}" in str(exc)
        assert "first_name" in str(exc)
    else:
        raise AssertionError("an unknown placeholder must be refused before sending")
