"""``personae messages preview``: a template filled for one person, and a test send."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from helpers.collect import write_project
from helpers.smtp import Inbox, require_aiosmtpd, smtp_server
from personae.cli.main import app
from personae.pipeline import run
from personae.project import Project

CONFIG = """
sources:
  crm:
    kind: people
    path: crm.csv
    record_id: id
    fields: {customer_id: id, email: email, first_name: first, city: city}
collect:
  public_url: https://collect.shop.fr
messages:
  email:
    from: Shop <news@shop.fr>
    smtp: {host: 127.0.0.1, port: PORT, security: none}
  templates:
    spring:
      subject: "${first_name}, our sale in ${city}"
      text: "Hello ${first_name}. Unsubscribe: ${unsubscribe_url}"
      html: "<p>Hello ${first_name}</p>"
"""


def project(tmp_path: Path, port: int) -> tuple[Path, int]:
    root = write_project(tmp_path, CONFIG.replace("PORT", str(port)))
    (root / "crm.csv").write_text("id,email,first,city\nc1,ana@client.fr,Ana,Lyon\n")
    with Project.load(root) as opened:
        run(opened)
        (person,) = opened.engine.rows("SELECT person_id FROM profiles")[0]
    return root, int(person)


def test_preview_prints_the_message_for_a_person(tmp_path: Path) -> None:
    root, person = project(tmp_path, 2525)
    runner = CliRunner()
    args = ["--project", str(root), "messages", "preview", "spring", "--person", str(person)]
    result = runner.invoke(app, [*args, "--html"])
    assert result.exit_code == 0, result.output
    assert "To: ana@client.fr" in result.output
    assert "Subject: Ana, our sale in Lyon" in result.output
    assert "Unsubscribe: https://collect.shop.fr/v1/unsubscribe?" in result.output
    assert "<p>Hello Ana</p>" in result.output and "/v1/pixel.gif?" in result.output
    missing = runner.invoke(app, [*args[:-1], "424242"])
    assert missing.exit_code == 1
    assert "person 424242 has no profile" in missing.output
    unknown = runner.invoke(app, [*args[:4], "sprig", "--person", str(person)])
    assert unknown.exit_code == 1 and "did you mean 'spring'" in unknown.output


def test_send_to_sends_a_test_through_smtp(tmp_path: Path) -> None:
    require_aiosmtpd()
    inbox = Inbox()
    with smtp_server(inbox) as port:
        root, person = project(tmp_path, port)
        result = CliRunner().invoke(
            app,
            [
                "--project",
                str(root),
                "messages",
                "preview",
                "spring",
                "--person",
                str(person),
                "--send-to",
                "me@shop.fr",
            ],
        )
    assert result.exit_code == 0, result.output
    assert "Sent to me@shop.fr" in result.output
    (got,) = inbox.received
    assert got.rcpt_tos == ["me@shop.fr"]
    assert got.message["Subject"] == "Ana, our sale in Lyon"
    assert got.message["X-Personae-Campaign"] == "test"
