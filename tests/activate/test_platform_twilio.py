"""SMS through a local server enforcing Twilio's Messages API: form fields, basic auth,
E.164, body length, opted-out numbers, 429."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from activate.fakes.server import serve
from activate.fakes.twilio import FakeTwilio
from personae.activate.connectors.base import Message, PermanentError, TransientError
from personae.activate.connectors.twilio import TwilioConnector
from personae.config.platforms import TwilioSms

SID, TOKEN = "AC" + "0" * 32, "auth-token"
ENV = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}


def sms(to: str = "+33612345678", body: str = "Votre offre VIP", n: int = 1) -> Message:
    return Message(f"m{n}", "vip_preview", n, "sms", to, None, body)


@pytest.fixture
def twilio() -> Iterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio(SID, TOKEN)
    with serve(fake) as url:
        yield fake, url


def connect(url: str, **options: object) -> TwilioConnector:
    config = TwilioSms.model_validate({"from": "+33700000000", "base_url": url, **options})
    return TwilioConnector.from_config(config, path="channels.sms", env=ENV)


def test_a_message_is_sent_and_twilios_sid_comes_back(twilio: tuple[FakeTwilio, str]) -> None:
    fake, url = twilio
    result = connect(url).send(sms())
    assert fake.sent == [
        {
            "sid": result.provider_id,
            "to": "+33612345678",
            "from": "+33700000000",
            "messaging_service_sid": None,
            "body": "Votre offre VIP",
            "status": "queued",
            "account_sid": SID,
        }
    ]
    assert str(result.provider_id).startswith("SM")


def test_a_messaging_service_can_pick_the_sender(twilio: tuple[FakeTwilio, str]) -> None:
    fake, url = twilio
    service = "MG" + "a" * 32
    config = TwilioSms(messaging_service_sid=service, base_url=url)
    TwilioConnector.from_config(config, path="channels.sms", env=ENV).send(sms())
    assert fake.sent[0]["messaging_service_sid"] == service
    assert fake.sent[0]["from"] is None


def test_refusals_about_the_message_are_permanent_with_twilios_code(
    twilio: tuple[FakeTwilio, str],
) -> None:
    fake, url = twilio
    connector = connect(url)
    with pytest.raises(PermanentError, match="21211"):
        connector.send(sms(to="0612345678"))
    fake.opted_out.add("+33611111111")
    with pytest.raises(PermanentError, match="21610"):
        connector.send(sms(to="+33611111111"))
    assert fake.sent == []


def test_a_body_over_1600_characters_is_refused_before_sending(
    twilio: tuple[FakeTwilio, str],
) -> None:
    fake, url = twilio
    with pytest.raises(PermanentError, match=r"1600.*shorten"):
        connect(url).send(sms(body="x" * 1601))
    assert fake.requests == []


def test_429_is_transient_with_retry_after_then_sent_once(twilio: tuple[FakeTwilio, str]) -> None:
    fake, url = twilio
    connector = connect(url)
    fake.throttle(retry_after=1)
    with pytest.raises(TransientError, match="20429") as error:
        connector.send(sms())
    assert error.value.retry_after == 1
    connector.send(sms())
    assert len(fake.sent) == 1


def test_a_wrong_token_is_permanent_and_names_both_variables(
    twilio: tuple[FakeTwilio, str],
) -> None:
    _, url = twilio
    config = TwilioSms.model_validate({"from": "+33700000000", "base_url": url})
    env = {**ENV, "TWILIO_AUTH_TOKEN": "wrong"}
    with pytest.raises(PermanentError) as error:
        TwilioConnector.from_config(config, path="channels.sms", env=env).send(sms())
    assert "20003" in str(error.value)
    assert "TWILIO_ACCOUNT_SID" in str(error.value)
    assert "TWILIO_AUTH_TOKEN" in str(error.value)


def test_the_sms_channel_sends_through_the_declared_provider(
    twilio: tuple[FakeTwilio, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from personae.activate.connectors.messages import message_connector
    from personae.config.models import ProjectConfig
    from personae.errors import ConfigError

    fake, url = twilio
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config = ProjectConfig.model_validate(
        {"messages": {"sms": {"provider": {"type": "twilio", "from": "+33700000000",
                                            "base_url": url}}}}
    )  # fmt: skip
    message_connector(config, tmp_path, "sms").send(sms())
    assert [m["to"] for m in fake.sent] == ["+33612345678"]
    with pytest.raises(ConfigError, match="provider"):
        message_connector(ProjectConfig(), tmp_path, "sms")
