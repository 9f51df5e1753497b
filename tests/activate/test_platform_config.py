"""Platform destinations in personae.yml: strict, with messages that say how to fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from personae.activate.connectors.platforms import MESSAGE_CONNECTORS, PLATFORM_CONNECTORS
from personae.config.destinations import FileDestination
from personae.config.loader import parse_config
from personae.config.platforms import (
    PLATFORM_DESTINATIONS,
    BrevoDestination,
    GoogleCustomerMatchDestination,
    MailchimpDestination,
    MetaAudienceDestination,
    TwilioSms,
)
from personae.errors import ConfigError

HEAD = """
segments:
  vip: {all: [{trait: record_count, ">=": 1}]}
destinations:
  out:
"""


def load(body: str) -> object:
    return parse_config(HEAD + "".join(f"    {line}\n" for line in body.strip().splitlines()))


def error_of(body: str) -> str:
    with pytest.raises(ConfigError) as error:
        load(body)
    return str(error.value)


def test_each_platform_type_loads_with_its_defaults() -> None:
    config = parse_config(
        HEAD.replace("  out:\n", "")
        + """
  news: {type: brevo, segment: vip, list_id: 7, purpose: email_marketing}
  chimp: {type: mailchimp, segment: vip, list_id: a1b2c3, purpose: email_marketing}
  fb: {type: meta_audience, segment: vip, audience_id: "238500", purpose: advertising}
  ads:
    type: google_customer_match
    segment: vip
    customer_id: 123-456-7890
    user_list_id: "555"
    purpose: advertising
"""
    )
    news, chimp, fb, ads = config.destinations.values()  # type: ignore[attr-defined]
    assert isinstance(news, BrevoDestination) and news.api_key_env == "BREVO_API_KEY"
    assert news.base_url == "https://api.brevo.com/v3"
    assert isinstance(chimp, MailchimpDestination) and chimp.on_remove == "archive"
    assert isinstance(fb, MetaAudienceDestination)
    assert fb.base_url == "https://graph.facebook.com"
    assert isinstance(ads, GoogleCustomerMatchDestination) and ads.customer_id == "1234567890"


def test_mistakes_are_located_and_say_what_to_write() -> None:
    assert error_of("type: brevo\nsegment: vip") == (
        "personae.yml: destinations.out.list_id: required key is missing"
    )
    assert "did you mean 'api_key_env'" in error_of(
        "type: brevo\nsegment: vip\nlist_id: 7\napi_key: x"
    )
    message = error_of("type: brevo\nsegment: vip\nlist_id: 7\napi_key_env: xkeysib-abc 123")
    assert message.startswith("personae.yml: destinations.out.api_key_env: ")
    assert "never the credential itself" in message
    message = error_of("type: meta_audience\nsegment: vip\naudience_id: act_12")
    assert message == (
        "personae.yml: destinations.out.audience_id: 'act_12' is not a Custom Audience id: "
        "digits, as 23851234567890123"
    )
    assert "ten digits" in error_of(
        "type: google_customer_match\nsegment: vip\ncustomer_id: 12-34\nuser_list_id: '5'"
    )
    assert "10 characters" in error_of(
        "type: mailchimp\nsegment: vip\nlist_id: a1\nmerge_fields: {first_name: FIRSTNAME_X}"
    )
    assert "data center such as us6" in error_of(
        "type: mailchimp\nsegment: vip\nlist_id: a1\nserver: https://us6"
    )


def test_twilio_says_who_sends() -> None:
    with pytest.raises(ValidationError, match="either 'from'"):
        TwilioSms()
    with pytest.raises(ValidationError, match="not both"):
        TwilioSms.model_validate({"from": "+33700000000", "messaging_service_sid": "MG" + "a" * 32})
    with pytest.raises(ValidationError, match="MG and 32 hex digits"):
        TwilioSms(messaging_service_sid="MG123")


def test_every_platform_type_has_a_connector_and_a_place_in_the_union() -> None:
    assert set(PLATFORM_CONNECTORS) == set(PLATFORM_DESTINATIONS)
    assert set(MESSAGE_CONNECTORS) == {"twilio"}
    for kind in PLATFORM_DESTINATIONS:
        assert kind in error_of("type: nope\nsegment: vip")
    assert FileDestination(segment="vip", path="x.csv").type == "file"


def test_every_platform_setting_is_documented_with_an_example() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "activation.md").read_text()
    section = docs.split("## E-mail tools, ad platforms and SMS providers", 1)[1]
    section = section.split("\n## ", 1)[0]
    from personae.config.destination_base import DestinationBase

    common = set(DestinationBase.model_fields)  # documented under "Destinations and syncs"
    for model in (*PLATFORM_DESTINATIONS.values(), TwilioSms):
        for name, field in model.model_fields.items():
            if name in common:
                continue
            key = field.alias or name
            assert f"{key}:" in section or f"`{key}`" in section, (model.__name__, key)
        kind = model.model_fields["type"].default
        assert f"type: {kind}" in section, kind


@pytest.mark.parametrize(
    "value",
    ["", "plain", "a b+c&d=e", '{"schema": ["EMAIL"], "data": [["ab", ""]]}', "é€😀/?#%~._-"],
)
def test_form_encoding_is_urlencodes(value: str) -> None:
    import urllib.parse

    from personae.activate.connectors.platform_http import form_encode

    fields = {"payload": value, "access_token": "EAAB 1/2"}
    assert form_encode(fields) == urllib.parse.urlencode(fields).encode()


def test_retry_after_reads_seconds_dates_and_platform_headers() -> None:
    import email.utils
    import time

    from personae.activate.connectors.platform_http import Response, retry_after

    assert retry_after(Response(429, {"retry-after": "12"}, b"")) == 12
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= (retry_after(Response(429, {"Retry-After": in_a_minute}, b"")) or 0) <= 60
    reset = {"x-sib-ratelimit-reset": "4"}
    assert retry_after(Response(429, reset, b""), "x-sib-ratelimit-reset") == 4
    assert retry_after(Response(429, {}, b"")) is None
    assert retry_after(Response(429, {"Retry-After": "soon"}, b"")) is None


@pytest.mark.parametrize(
    "platform",
    [
        'type: meta_audience\naudience_id: "123"',
        'type: google_customer_match\ncustomer_id: 123-456-7890\nuser_list_id: "555"',
    ],
)
@pytest.mark.parametrize(
    "pseudonymise", ["{mode: hash, platform: meta}", "{mode: hash}", "{mode: mask}"]
)
def test_an_ad_platform_is_never_pseudonymised_first(platform: str, pseudonymise: str) -> None:
    message = error_of(
        f"{platform}\nsegment: vip\npurpose: advertising\npseudonymise: {pseudonymise}"
    )
    assert "destinations.out.pseudonymise: an ad platform's connector hashes" in message
    assert "remove pseudonymise: from this destination" in message
    # without it, the identifiers are hashed once, by the connector
    assert load(f"{platform}\nsegment: vip\npurpose: advertising") is not None
