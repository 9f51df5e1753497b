"""Message templates without a server: placeholders checked with a fix, SMS opt-out text,
sender and SMTP settings validated."""

from __future__ import annotations

import pytest

from personae.activate.links import MessageLinks
from personae.activate.templates import check_template, compose
from personae.config.messages import MessagesConfig
from personae.errors import ConfigError

LINKS = MessageLinks(b"k" * 32, "https://c.shop.fr", "messages", "promo", "m-9", "")


def test_unknown_placeholders_are_named_with_a_fix() -> None:
    config = MessagesConfig.model_validate(
        {"email": {"from": "a@b.fr"}, "templates": {"t": {"subject": "s", "text": "x"}}}
    )
    with pytest.raises(ConfigError, match=r"\$\{frist_name\}.*did you mean 'first_name'"):
        check_template(
            "x",
            config.templates["t"].model_copy(update={"text": "Hi ${frist_name}"}),
            ["first_name", "email"],
        )
    with pytest.raises(ConfigError, match=r"no template 'tt'.*did you mean 't'"):
        compose(config, "tt", {}, LINKS, person_id=1, to="a@b.fr")
    with pytest.raises(ValueError, match=r"\$\$ for a dollar"):
        MessagesConfig.model_validate(
            {"email": {"from": "a@b.fr"}, "templates": {"t": {"subject": "s", "text": "5 $"}}}
        )
    with pytest.raises(ValueError, match=r"messages.email is missing"):
        MessagesConfig.model_validate({"templates": {"t": {"subject": "s", "text": "x"}}})
    with pytest.raises(ValueError, match=r"needs a subject"):
        MessagesConfig.model_validate(
            {"email": {"from": "a@b.fr"}, "templates": {"t": {"text": "x"}}}
        )


def test_sender_and_smtp_login_are_validated() -> None:
    with pytest.raises(ValueError, match=r"not an e-mail address.*Shop <news@shop.fr>"):
        MessagesConfig.model_validate({"email": {"from": "Shop"}})
    with pytest.raises(ValueError, match=r"both username_env and password_env"):
        MessagesConfig.model_validate(
            {"email": {"from": "a@b.fr", "smtp": {"username_env": "SMTP_USER"}}}
        )
    with pytest.raises(ValueError, match=r"letters, digits and underscores"):
        MessagesConfig.model_validate({"source": "my-mails"})
    email = MessagesConfig.model_validate({"email": {"from": "a@b.fr"}}).email
    assert email is not None and email.smtp.effective_port == 587


def test_a_commercial_sms_carries_the_stop_text_once() -> None:
    config = MessagesConfig.model_validate(
        {
            "sms": {"stop_text": "STOP au 36173"},
            "templates": {
                "promo": {"channel": "sms", "text": "${first_name}: -20% today"},
                "stopped": {"channel": "sms", "text": "Sale! STOP au 36173"},
                "parcel": {"channel": "sms", "text": "Parcel sent", "commercial": False},
            },
        }
    )

    def body(name: str) -> str:
        message = compose(config, name, {"first_name": "Ana"}, LINKS, person_id=1, to="+33612")
        assert "unsubscribe_url" not in message.extra
        assert message.extra["commercial"] is (name != "parcel")
        return message.body

    assert body("promo") == "Ana: -20% today\nSTOP au 36173"
    assert body("stopped") == "Sale! STOP au 36173"
    assert body("parcel") == "Parcel sent"


def test_a_template_channel_must_be_a_consent_channel() -> None:
    from personae.activate.templates import check_templates
    from personae.config.models import ProjectConfig

    config = ProjectConfig.model_validate(
        {"messages": {"templates": {"t": {"channel": "smss", "text": "x"}}}}
    )
    with pytest.raises(ConfigError, match=r"templates.t.channel.*'smss'.*did you mean 'sms'"):
        check_templates(config, ["first_name"])
